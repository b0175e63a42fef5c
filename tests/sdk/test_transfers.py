"""Moving files: streamed uploads from any source, atomic downloads, progress callbacks."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from nomadclient import NotFound, TransportError
from nomadclient.testing import NomadStandIn

from ._support import collect, leftovers, maybe, write_archives, zip_directory
from .conftest import Account, Connect

pytestmark = pytest.mark.anyio

FAST = {"timeout": 30, "poll_interval": 0.01}
# larger than the SDK's 1 MiB chunks, so that transfers report progress several times
BIG_FILE_SIZE = 2 * 1024 * 1024 + 12345


async def processed_upload(nomad: Any, source: Any, **options: Any) -> Any:
    """A new upload from `source`, processed."""
    upload = await maybe(nomad.uploads.create(source, **options))
    return await maybe(upload.wait_until_processed(**FAST))


class Progress:
    """Records the `(done, total)` calls of a progress callback."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def __call__(self, done: int, total: int) -> None:
        self.calls.append((done, total))

    @property
    def done(self) -> list[int]:
        """The byte counts reported, in order."""
        return [done for done, _ in self.calls]


async def test_progress_grows_while_uploading_and_downloading(
    connect: Connect, alice: Account, tmp_path: Path
) -> None:
    data = write_archives(tmp_path / "data", 1)
    big = os.urandom(BIG_FILE_SIZE)
    (data / "big.bin").write_bytes(big)
    nomad = connect(alice)

    sent = Progress()
    upload = await processed_upload(nomad, data, on_progress=sent)
    assert len(sent.calls) >= 3
    assert sent.done == sorted(set(sent.done))  # strictly growing
    assert sent.calls[-1][0] == sent.calls[-1][1] > BIG_FILE_SIZE  # the whole zip was sent

    received = Progress()
    target = await maybe(
        nomad.uploads.download_raw(
            upload.upload_id, tmp_path / "big.bin", path="big.bin", on_progress=received
        )
    )
    assert target.read_bytes() == big
    assert len(received.calls) >= 3
    assert received.done == sorted(set(received.done))
    assert received.done[-1] == BIG_FILE_SIZE
    # NOMAD streams raw files without a Content-Length: the total is then reported as 0
    assert {total for _, total in received.calls} <= {0, BIG_FILE_SIZE}


async def test_a_file_object_is_streamed_as_an_upload(
    connect: Connect, alice: Account, tmp_path: Path
) -> None:
    zipped = zip_directory(write_archives(tmp_path / "data", 2))
    sent = Progress()
    upload = await processed_upload(
        connect(alice), io.BytesIO(zipped), file_name="from-memory.zip", on_progress=sent
    )
    assert upload.upload_name == "from-memory.zip"
    assert upload.entry_count == 2
    assert sent.calls[-1] == (len(zipped), len(zipped))


async def test_a_nameless_zip_file_object_is_unpacked(
    connect: Connect, alice: Account, tmp_path: Path
) -> None:
    zipped = zip_directory(write_archives(tmp_path / "data", 2))
    upload = await processed_upload(connect(alice), io.BytesIO(zipped))
    assert upload.entry_count == 2


async def test_the_whole_upload_downloads_as_a_zip(
    connect: Connect, alice: Account, tmp_path: Path
) -> None:
    data = write_archives(tmp_path / "data", 2)
    nomad = connect(alice)
    upload = await processed_upload(nomad, data)
    target = await maybe(upload.download_raw(tmp_path / "all.zip"))
    with zipfile.ZipFile(target) as zipped:
        for path in data.rglob("*"):
            if path.is_file():
                name = path.relative_to(data).as_posix()
                assert zipped.read(name) == path.read_bytes()


async def test_an_existing_target_is_replaced_only_when_asked(
    connect: Connect, alice: Account, tmp_path: Path
) -> None:
    nomad = connect(alice)
    upload = await processed_upload(nomad, write_archives(tmp_path / "data", 1))
    entry = (await collect(upload.entries()))[0]
    target = tmp_path / "downloads" / "raw.zip"
    target.parent.mkdir()
    target.write_bytes(b"keep me")

    with pytest.raises(FileExistsError) as caught:
        await maybe(entry.download_raw(target))
    assert "overwrite=True" in str(caught.value)
    assert target.read_bytes() == b"keep me"

    await maybe(entry.download_raw(target, overwrite=True))
    assert zipfile.is_zipfile(target)
    assert leftovers(target.parent) == []


async def test_a_download_of_an_unknown_entry_leaves_nothing_behind(
    connect: Connect, tmp_path: Path
) -> None:
    downloads = tmp_path / "downloads"
    with pytest.raises(NotFound):
        await maybe(connect().entries.download_raw("no-such-entry", downloads / "raw.zip"))
    assert not (downloads / "raw.zip").exists()
    assert leftovers(downloads) == []


@pytest.mark.no_spec_validation
async def test_a_broken_download_leaves_the_old_file_and_no_part_file(
    standin: NomadStandIn, connect: Connect, alice: Account, tmp_path: Path
) -> None:
    nomad = connect(alice)
    upload = await processed_upload(nomad, write_archives(tmp_path / "data", 1))
    entry = (await collect(upload.entries()))[0]
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    fresh, existing = downloads / "fresh.zip", downloads / "existing.zip"
    existing.write_bytes(b"the previous download")
    impatient = nomad.with_options(max_retries=0)

    for target in (fresh, existing):
        standin.faults.add("GET", "/entries/*/raw", truncate=True)
        with pytest.raises(TransportError):
            await maybe(impatient.entries.download_raw(entry.entry_id, target, overwrite=True))
    assert sorted(path.name for path in downloads.iterdir()) == ["existing.zip"]
    assert existing.read_bytes() == b"the previous download"
