"""The stand-in's entry archives and raw files, for entries of real uploads over HTTP."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx
import pytest
from standin_helpers import JSON_ONLY, Api, archive_zip

from nomadclient.testing import NomadStandIn

ARCHIVE = {
    "data": {"m_def": "nomad.datamodel.metainfo.eln.ElnBaseSection", "name": "sample"},
    "run": [{"calculation": [{"energy": 1}, {"energy": 2}, {"energy": 3}]}],
    "results": {"material": {"elements": ["O", "Ti"], "n_elements": 2}},
}


@pytest.fixture
def entry(alice: Api) -> dict[str, Any]:
    """An entry of alice's unpublished upload: `calc/a.archive.json` next to `calc/notes.txt`."""
    content = archive_zip(
        {
            "calc/a.archive.json": ARCHIVE,
            "calc/notes.txt": b"0123456789",
            "calc/deeper/hidden.txt": b"not in the entry's directory",
        }
    )
    upload_id = alice.processed(content, file_name="up.zip")
    found = alice.http.post("/entries/query", json={"owner": "user"}).json()
    assert found["pagination"]["total"] == 1
    return {
        "entry_id": found["data"][0]["entry_id"],
        "upload_id": upload_id,
        "headers": {**alice.headers, **JSON_ONLY},
    }


def test_archive_contains_sections_metadata_and_results(
    server: NomadStandIn, entry: dict[str, Any]
) -> None:
    url = f"{server.api_url}/entries/{entry['entry_id']}/archive"
    assert httpx.get(url).status_code == 404
    response = httpx.get(url, headers=entry["headers"])
    assert response.status_code == 200
    body = response.json()
    assert body["required"] == "*"
    archive = body["data"]["archive"]
    assert archive["data"]["name"] == "sample"
    assert archive["metadata"]["entry_id"] == entry["entry_id"]
    assert archive["metadata"]["mainfile"] == "calc/a.archive.json"
    assert archive["results"]["material"]["elements"] == ["O", "Ti"]


def test_required_projects_the_archive(server: NomadStandIn, entry: dict[str, Any]) -> None:
    url = f"{server.api_url}/entries/{entry['entry_id']}/archive/query"
    required = {"run": {"calculation[-1]": "*"}, "metadata": {"upload_id": "*"}}
    response = httpx.post(url, json={"required": required}, headers=entry["headers"])
    assert response.status_code == 200
    archive = response.json()["data"]["archive"]
    assert archive == {
        "run": [{"calculation": [{"energy": 3}]}],
        "metadata": {"upload_id": entry["upload_id"]},
    }
    bad = httpx.post(url, json={"required": {"run": 5}}, headers=entry["headers"])
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][0] == "required"


def test_archives_query_and_owner_all(server: NomadStandIn, entry: dict[str, Any]) -> None:
    url = f"{server.api_url}/entries/archive/query"
    body = {"owner": "visible", "required": {"data": "*"}}
    response = httpx.post(url, json=body, headers=entry["headers"])
    assert response.status_code == 200
    (item,) = response.json()["data"]
    assert item["archive"] == {"data": ARCHIVE["data"]}
    forbidden = httpx.post(url, json={"owner": "all"}, headers=entry["headers"])
    assert forbidden.status_code == (403 if server.config.api_version == "2.0" else 401)


def test_archive_download_is_bare_json(server: NomadStandIn, entry: dict[str, Any]) -> None:
    url = f"{server.api_url}/entries/{entry['entry_id']}/archive/download"
    response = httpx.get(url, headers=entry["headers"])
    assert response.status_code == 200
    suffix = ".archive.json" if server.config.api_version == "2.0" else ".json"
    assert f'filename="{entry["entry_id"]}{suffix}"' in response.headers["content-disposition"]
    assert response.json()["data"]["name"] == "sample"


def test_raw_zip_holds_the_mainfile_directory(server: NomadStandIn, entry: dict[str, Any]) -> None:
    url = f"{server.api_url}/entries/{entry['entry_id']}/raw"
    response = httpx.get(url, headers=entry["headers"])
    assert response.status_code == 200
    names = set(zipfile.ZipFile(io.BytesIO(response.content)).namelist())
    assert names == {"calc/a.archive.json", "calc/notes.txt", "manifest.json"}
    filtered = httpx.get(url, params={"glob_pattern": "*.txt"}, headers=entry["headers"])
    assert set(zipfile.ZipFile(io.BytesIO(filtered.content)).namelist()) == {
        "calc/notes.txt",
        "manifest.json",
    }


def test_bad_re_pattern_is_a_422(server: NomadStandIn, entry: dict[str, Any]) -> None:
    url = f"{server.api_url}/entries/{entry['entry_id']}/raw"
    response = httpx.get(url, params={"re_pattern": "(unclosed"}, headers=entry["headers"])
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["re_pattern"]
    body = {"owner": "visible", "files": {"re_pattern": "["}}
    bulk = httpx.post(f"{server.api_url}/entries/raw/query", json=body, headers=entry["headers"])
    assert bulk.status_code == 422


def test_raw_file_windows_and_404(server: NomadStandIn, entry: dict[str, Any]) -> None:
    base = f"{server.api_url}/entries/{entry['entry_id']}/raw"
    window = httpx.get(
        f"{base}/notes.txt", params={"offset": 2, "length": 3}, headers=entry["headers"]
    )
    assert window.status_code == 200
    assert window.content == b"234"
    for missing in ("nothing.txt", "deeper"):
        response = httpx.get(f"{base}/{missing}", headers=entry["headers"])
        assert response.status_code == 404
    response = httpx.get(f"{base}/nothing.txt", headers=entry["headers"])
    assert response.json() == {"detail": "The requested file does not exist."}


def test_rawdir_and_multi_entry_raw_download(server: NomadStandIn, entry: dict[str, Any]) -> None:
    listing = httpx.get(
        f"{server.api_url}/entries/{entry['entry_id']}/rawdir", headers=entry["headers"]
    ).json()
    assert {f["path"]: f["size"] for f in listing["data"]["files"]}["calc/notes.txt"] == 10
    response = httpx.post(
        f"{server.api_url}/entries/raw/query",
        json={"owner": "visible", "query": {"upload_id": entry["upload_id"]}},
        headers=entry["headers"],
    )
    assert response.status_code == 200
    names = set(zipfile.ZipFile(io.BytesIO(response.content)).namelist())
    upload_id = entry["upload_id"]
    assert f"{upload_id}/calc/notes.txt" in names
    assert "manifest.json" in names
    denied = httpx.post(
        f"{server.api_url}/entries/raw/query", json={"owner": "all"}, headers=entry["headers"]
    )
    assert denied.status_code == (403 if server.config.api_version == "2.0" else 401)
