"""Arrange helpers the stand-in's HTTP tests share: tokens, archives, a tiny client, records."""

from __future__ import annotations

import io
import json
import tarfile
import time
import zipfile
from typing import Any

import httpx

from nomadclient.testing import NomadStandIn
from nomadclient.testing._state import EntryRecord, UploadRecord, create_uuid, entry_id_for

SILICON = {
    "data": {"m_def": "nomad.datamodel.metainfo.eln.ElnBaseSection", "name": "Si sample"},
    "results": {"material": {"elements": ["Si"], "chemical_formula_reduced": "Si"}},
    "metadata": {"comment": "from the file"},
}
JSON_ONLY = {"Accept": "application/json"}


def auth(server: NomadStandIn, username: str = "alice") -> dict[str, str]:
    """Headers that authenticate as `username`."""
    return {"Authorization": f"Bearer {server.token_for(username)}"}


def datasets_path(api_version: str) -> str:
    """The dataset collection's path: NOMAD 1.3 spelled it with a trailing slash."""
    return "/datasets" if api_version == "2.0" else "/datasets/"


def archive_zip(files: dict[str, Any] | None = None) -> bytes:
    """A zip of `files`: dicts are JSON-encoded, text and bytes written as they are.

    The default holds one `*.archive.json` mainfile and a raw file in a subdirectory.
    """
    files = files or {"sample.archive.json": SILICON, "notes/readme.txt": "raw"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, content in files.items():
            raw = content if isinstance(content, str | bytes) else json.dumps(content)
            bundle.writestr(name, raw)
    return buffer.getvalue()


def archive_tar(files: dict[str, str], mode: str = "w:gz") -> bytes:
    """A tar (gzipped by default) of text files."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as bundle:  # type: ignore[call-overload]
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            bundle.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class Api:
    """A tiny client for one user of the stand-in (anonymous for `username` None)."""

    def __init__(self, server: NomadStandIn, username: str | None) -> None:
        self.url = server.api_url
        self.version = server.config.api_version
        self.headers = auth(server, username) if username else {}
        self.http = httpx.Client(base_url=server.api_url, headers=self.headers, timeout=30)

    def create(self, content: bytes | None = None, **params: Any) -> str:
        """POST an upload; its id."""
        response = self.http.post(
            "/uploads", content=content or b"", params=params, headers=JSON_ONLY
        )
        assert response.status_code == 200, response.text
        upload_id: str = response.json()["upload_id"]
        return upload_id

    def upload(self, upload_id: str) -> dict[str, Any]:
        """The upload's `data`."""
        response = self.http.get(f"/uploads/{upload_id}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def wait(self, upload_id: str) -> dict[str, Any]:
        """The upload's `data` once no process runs any more."""
        deadline = time.monotonic() + 20
        while True:
            data = self.upload(upload_id)
            if not data["process_running"]:
                return data
            assert time.monotonic() < deadline, data
            time.sleep(0.01)

    def processed(self, content: bytes | None = None, **params: Any) -> str:
        """Create an upload (default: `archive_zip()`) and wait until it processed fine."""
        upload_id = self.create(content or archive_zip(), **params)
        assert self.wait(upload_id)["process_status"] == "SUCCESS"
        return upload_id


def in_13(api: Api) -> bool:
    """Whether `api` talks to a NOMAD 1.3 stand-in."""
    return api.version == "1.3"


def add_entry(
    server: NomadStandIn,
    owner: str,
    *,
    published: bool = False,
    archive: dict[str, Any] | None = None,
) -> tuple[str, str]:
    """An upload with one processed entry `data.archive.json`, put straight into the store.

    Quicker than processing a real upload; the mainfile exists on disk. Returns
    `(upload_id, entry_id)`.
    """
    store = server.store
    upload_id = create_uuid()
    entry_id = entry_id_for(upload_id, "data.archive.json")
    with store.lock:
        upload = UploadRecord(
            upload_id=upload_id,
            main_author=server.user(owner).user_id,
            files_dir=store.new_upload_dir(upload_id),
            published=published,
            process_status="SUCCESS",
            entry_ids=[entry_id],
        )
        (upload.files_dir / "data.archive.json").write_text('{"data": {}}')
        store.uploads[upload_id] = upload
        store.entries[entry_id] = EntryRecord(
            entry_id=entry_id,
            upload_id=upload_id,
            mainfile="data.archive.json",
            process_status="SUCCESS",
            archive={} if archive is None else archive,
            results={},
        )
        store.touch()
    return upload_id, entry_id
