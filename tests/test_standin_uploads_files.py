"""The stand-in's raw-file routes of uploads over HTTP: download, rawdir, PUT, DELETE, traversal."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from standin_helpers import JSON_ONLY, SILICON, Api, archive_zip, in_13


def test_download_file_window_and_directory_zip(alice: Api) -> None:
    upload_id = alice.processed()
    response = alice.http.get(f"/uploads/{upload_id}/raw/notes/readme.txt")
    assert response.content == b"raw"
    assert 'filename="readme.txt"' in response.headers["content-disposition"]
    window = alice.http.get(
        f"/uploads/{upload_id}/raw/notes/readme.txt", params={"offset": 1, "length": 1}
    )
    assert window.content == b"a"
    assert window.headers["content-type"] == "application/octet-stream"

    directory = alice.http.get(f"/uploads/{upload_id}/raw/notes")
    assert directory.status_code == 400
    assert directory.json() == {"detail": "Path is a directory, `compress` must be set to true"}
    whole = alice.http.get(f"/uploads/{upload_id}/raw/", params={"compress": True})
    names = zipfile.ZipFile(io.BytesIO(whole.content)).namelist()
    assert sorted(names) == ["notes/readme.txt", "sample.archive.json"]
    filtered = alice.http.get(
        f"/uploads/{upload_id}/raw/", params={"compress": True, "glob_pattern": "*.json"}
    )
    assert zipfile.ZipFile(io.BytesIO(filtered.content)).namelist() == ["sample.archive.json"]
    both = alice.http.get(
        f"/uploads/{upload_id}/raw/notes/readme.txt", params={"compress": True, "offset": 1}
    )
    assert both.status_code == 400


def test_bad_re_pattern_is_a_400_and_the_server_survives(alice: Api) -> None:
    upload_id = alice.processed()
    response = alice.http.get(
        f"/uploads/{upload_id}/raw/", params={"compress": True, "re_pattern": "(unclosed"}
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Bad re_pattern: ")
    assert alice.http.get(f"/uploads/{upload_id}/raw/notes/readme.txt").content == b"raw"


def test_published_zip_endpoint(alice: Api, anonymous: Api) -> None:
    upload_id = alice.processed()
    response = alice.http.get(f"/uploads/{upload_id}/raw")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Cannot download raw files .zip from non published")
    alice.http.post(f"/uploads/{upload_id}/action/publish")
    alice.wait(upload_id)
    response = anonymous.http.get(f"/uploads/{upload_id}/raw")
    assert response.status_code == 200
    assert "sample.archive.json" in zipfile.ZipFile(io.BytesIO(response.content)).namelist()


def test_rawdir(alice: Api) -> None:
    upload_id = alice.processed()
    root = alice.http.get(f"/uploads/{upload_id}/rawdir/", params={"include_entry_info": True})
    body = root.json()
    assert body["path"] == ""
    assert body["access"] == "unpublished"
    content = body["directory_metadata"]["content"]
    assert [item["name"] for item in content] == ["notes", "sample.archive.json"]
    assert content[0] == {"name": "notes", "size": 3, "is_file": False}
    assert content[1]["parser_name"] == "parsers/archive"
    assert body["pagination"]["total"] == 2
    one = alice.http.get(f"/uploads/{upload_id}/rawdir/notes/readme.txt").json()
    assert one["file_metadata"] == {"name": "readme.txt", "size": 3}
    page = alice.http.get(f"/uploads/{upload_id}/rawdir/", params={"page_size": 1, "page": 2})
    assert [item["name"] for item in page.json()["directory_metadata"]["content"]] == [
        "sample.archive.json"
    ]
    assert alice.http.get(f"/uploads/{upload_id}/rawdir/missing").status_code == 404
    negative = alice.http.get(f"/uploads/{upload_id}/rawdir/", params={"page_size": -1})
    assert negative.status_code == 422


@pytest.mark.parametrize(
    "path", ["%2E%2E/%2E%2E/etc/passwd", "notes/%2E%2E/%2E%2E/secret", "%2Fetc%2Fpasswd"]
)
def test_traversal_never_leaves_the_upload(alice: Api, path: str) -> None:
    upload_id = alice.processed()
    url = f"{alice.url}/uploads/{upload_id}"
    assert alice.http.get(f"{url}/raw/{path}").status_code in (400, 404)
    assert alice.http.get(f"{url}/rawdir/{path}").status_code == 404
    put = alice.http.put(f"{url}/raw/{path}", params={"file_name": "x.txt"}, content=b"x")
    assert (put.status_code, put.json()) == (400, {"detail": "Bad path provided."})
    assert alice.http.delete(f"{url}/raw/{path}").status_code == 400


def test_put_adds_files_and_reprocesses(alice: Api) -> None:
    upload_id = alice.processed()
    response = alice.http.put(
        f"/uploads/{upload_id}/raw/more",
        params={"file_name": "extra.archive.json"},
        content=json.dumps(SILICON).encode(),
        headers=JSON_ONLY,
    )
    assert response.status_code == 200
    assert response.json()["processing"] is None
    assert response.json()["data"]["process_running"] is True
    assert alice.wait(upload_id)["entries"] == 2
    zipped = alice.http.put(
        f"/uploads/{upload_id}/raw/",
        files=[("file", ("more.zip", archive_zip({"z/z.archive.json": SILICON})))],
    )
    assert zipped.headers["content-type"].startswith("text/plain")
    assert alice.wait(upload_id)["entries"] == 3

    exists = alice.http.put(
        f"/uploads/{upload_id}/raw/more",
        params={"file_name": "extra.archive.json", "overwrite_if_exists": False},
        content=b"{}",
    )
    assert exists.status_code == 409
    bad = alice.http.put(
        f"/uploads/{upload_id}/raw/", params={"file_name": "bad.zip"}, content=b"not a zip"
    )
    assert bad.json() == {"detail": "Cannot extract file. Bad file format or file extension?"}
    nothing = alice.http.put(f"/uploads/{upload_id}/raw/", content=b"")
    assert nothing.status_code == 400


def test_put_with_wait_for_processing(alice: Api) -> None:
    upload_id = alice.processed()
    response = alice.http.put(
        f"/uploads/{upload_id}/raw/",
        params={
            "file_name": "new.archive.json",
            "wait_for_processing": True,
            "include_archive": True,
        },
        content=json.dumps(SILICON).encode(),
    )
    assert response.status_code == 200
    processing = response.json()["processing"]
    assert processing["path"] == "new.archive.json"
    assert processing["entry"]["process_status"] == "SUCCESS"
    assert processing["archive"]["data"]["name"] == "Si sample"
    needs_wait = alice.http.put(
        f"/uploads/{upload_id}/raw/",
        params={"file_name": "a.txt", "include_archive": True},
        content=b"x",
    )
    assert needs_wait.json() == {"detail": "`include_archive` requires `wait_for_processing`."}


def test_delete_raw_path_drops_entries(alice: Api) -> None:
    upload_id = alice.processed()
    response = alice.http.delete(f"/uploads/{upload_id}/raw/sample.archive.json")
    assert response.status_code == 200
    assert alice.wait(upload_id)["entries"] == 0
    missing = alice.http.delete(f"/uploads/{upload_id}/raw/sample.archive.json")
    assert missing.json() == {"detail": "No file or folder with that path found."}


def test_published_upload_files_are_frozen(alice: Api) -> None:
    upload_id = alice.processed()
    alice.http.post(f"/uploads/{upload_id}/action/publish")
    alice.wait(upload_id)
    response = alice.http.put(
        f"/uploads/{upload_id}/raw/", params={"file_name": "late.txt"}, content=b"x"
    )
    assert response.status_code == (401 if in_13(alice) else 400)
    assert response.json() == {"detail": "Upload is already published, operation not possible."}
