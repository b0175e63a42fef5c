"""The async client on trio: it does all its waiting through anyio, so trio works too."""

from __future__ import annotations

import zipfile
from pathlib import Path

import anyio

from nomadclient import AsyncNomadClient
from nomadclient.testing import NomadStandIn

from ._support import write_archives


def test_the_async_workflow_runs_on_trio(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_archives(data, 3)

    async def workflow(api_url: str) -> list[str]:
        async with AsyncNomadClient(api_url, username="ann", password="pw") as nomad:
            upload = await nomad.uploads.create(data)  # zipped in a worker thread
            upload = await upload.wait_until_processed(timeout=60, poll_interval=0.01)
            entries = [entry async for entry in upload.entries()]
            target = await entries[0].download_raw(tmp_path / "raw.zip")
            with zipfile.ZipFile(target) as zipped:
                assert entries[0].mainfile in zipped.namelist()
            return sorted(entry.mainfile or "" for entry in entries)

    with NomadStandIn(users={"ann": "pw"}, processing_delay=0.01) as server:
        mainfiles = anyio.run(workflow, server.api_url, backend="trio")
    assert mainfiles == sorted(path.relative_to(data).as_posix() for path in data.rglob("*.json"))
