import io
from pathlib import Path

from nomadclient import NomadClient
from nomadclient.progress import progress_bar
from nomadclient.testing import NomadStandIn


def test_progress_bar_follows_a_real_upload_to_the_end(tmp_path: Path) -> None:
    source = tmp_path / "data.bin"
    source.write_bytes(b"x" * (3 * 1024 * 1024 + 17))
    drawn = io.StringIO()
    with (
        NomadStandIn(users={"ann": "pw"}) as server,
        NomadClient(server.api_url, username="ann", password="pw") as nomad,
    ):
        callback = progress_bar("upload", file=drawn, mininterval=0)
        nomad.uploads.create(source, on_progress=callback)
    output = drawn.getvalue()
    assert "upload" in output
    assert "100%" in output
    assert "3.00M/3.00M" in output
