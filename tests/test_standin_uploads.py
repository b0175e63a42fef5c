"""The stand-in's upload lifecycle over HTTP: create, process, entries, edit, publish, delete."""

from __future__ import annotations

import io
import json
import tarfile
import threading
import time
from typing import Any

import httpx
from standin_helpers import JSON_ONLY, SILICON, Api, archive_tar, archive_zip, in_13

from nomadclient.testing import NomadStandIn

# --------------------------------------------------------------------------------------------
# creating


def test_zip_body_is_extracted_processed_and_listed(alice: Api) -> None:
    upload_id = alice.create(archive_zip(), upload_name="silicon")
    data = alice.wait(upload_id)
    assert data["process_status"] == "SUCCESS"
    assert data["entries"] == 1
    assert data["upload_name"] == "silicon"
    expected = "Process completed successfully"
    if in_13(alice):
        expected = "Process process_upload completed successfully"
    assert data["last_status_message"] == expected

    listing = alice.http.get(f"/uploads/{upload_id}/entries").json()
    assert listing["processing_successful"] == 1
    assert listing["processing_failed"] == 0
    assert listing["upload"]["upload_id"] == upload_id
    (entry,) = listing["data"]
    assert entry["mainfile"] == "sample.archive.json"
    assert entry["parser_name"] == "parsers/archive"
    assert entry["process_status"] == "SUCCESS"
    metadata = entry["entry_metadata"]
    assert metadata["results"]["material"]["elements"] == ["Si"]
    assert metadata["comment"] == "from the file"


def test_post_answers_json_only_for_exact_accept(alice: Api) -> None:
    response = alice.http.post("/uploads", content=archive_zip())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "Thanks for uploading your data to nomad." in response.text

    mixed = {"Accept": "application/json, text/plain"}
    response = alice.http.post("/uploads", content=b"", headers=mixed)
    assert response.headers["content-type"].startswith("text/plain")

    response = alice.http.post("/uploads", content=b"", headers=JSON_ONLY)
    body = response.json()
    assert set(body) == {"upload_id", "data"}
    # hand-serialized: nulls are kept
    assert body["data"]["publish_time"] is None
    assert body["data"]["process_status"] == "READY"
    assert body["data"]["current_process"] is None


def test_multipart_files_and_named_raw_body(alice: Api) -> None:
    files = [
        ("file", ("one.archive.json", json.dumps(SILICON).encode())),
        ("file", ("two.txt", b"just text")),
    ]
    response = alice.http.post("/uploads", files=files, headers=JSON_ONLY)
    assert response.status_code == 200
    upload_id = response.json()["upload_id"]
    assert response.json()["data"]["process_status"] == "PENDING"
    assert response.json()["data"]["upload_name"] is None
    assert alice.wait(upload_id)["entries"] == 1

    single = [("file", ("only.archive.json", json.dumps(SILICON).encode()))]
    response = alice.http.post("/uploads", files=single, headers=JSON_ONLY)
    assert response.json()["data"]["upload_name"] == "only.archive.json"

    upload_id = alice.create(json.dumps(SILICON).encode(), file_name="named.archive.json")
    assert alice.upload(upload_id)["upload_name"] == "named.archive.json"
    assert alice.wait(upload_id)["entries"] == 1


def test_tar_gz_body_is_extracted(alice: Api) -> None:
    content = archive_tar({"dir/x.archive.json": json.dumps(SILICON), "dir/y.txt": "y"})
    upload_id = alice.processed(content, file_name="bundle.tar.gz")
    listing = alice.http.get(f"/uploads/{upload_id}/rawdir/dir").json()
    names = [item["name"] for item in listing["directory_metadata"]["content"]]
    assert names == ["x.archive.json", "y.txt"]


def test_bad_creation_requests(alice: Api, anonymous: Api) -> None:
    assert anonymous.http.post("/uploads", content=b"").status_code == 401
    response = alice.http.post("/uploads", content=b"plain text")
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "No file name provided, and the file does not look like a zip or tar file."
    )
    response = alice.http.post("/uploads", params={"embargo_length": 37}, content=b"")
    assert response.json() == {"detail": "`embargo_length` must be between 0 and 36 months."}
    response = alice.http.post("/uploads", params={"local_path": "/etc"}, content=b"")
    assert response.status_code == (401 if in_13(alice) else 403)
    for name in ("../evil.txt", "a/b.txt", ".."):
        response = alice.http.post("/uploads", params={"file_name": name}, content=b"x")
        assert response.json() == {"detail": "Bad file name provided."}, name


def test_corrupt_archive_leaves_no_upload(alice: Api) -> None:
    response = alice.http.post("/uploads", params={"file_name": "broken.zip"}, content=b"PK no")
    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot extract file. Bad file format or file extension?"}
    assert alice.http.get("/uploads").json()["pagination"]["total"] == 0


def test_archive_members_cannot_escape_or_link(alice: Api, server: NomadStandIn) -> None:
    evil = archive_zip({"../../escaped.txt": "x"})
    response = alice.http.post("/uploads", content=evil)
    assert response.status_code == 400
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as bundle:
        link = tarfile.TarInfo("link")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        bundle.addfile(link)
    response = alice.http.post("/uploads", content=buffer.getvalue())
    assert response.status_code == 400
    assert not (server.store.root / "escaped.txt").exists()
    assert not (server.store.root.parent / "escaped.txt").exists()


def test_upload_limit(alice: Api, server: NomadStandIn) -> None:
    for _ in range(server.config.upload_limit):
        alice.create()
    response = alice.http.post("/uploads", content=b"")
    assert response.status_code == 400
    assert response.json() == {"detail": "Limit of unpublished uploads exceeded for user."}


def test_broken_archive_file_fails_only_its_entry(alice: Api) -> None:
    content = archive_zip(
        {"good.archive.json": SILICON, "bad.archive.json": "{not json", "list.archive.json": "[1]"}
    )
    upload_id = alice.create(content)
    assert alice.wait(upload_id)["process_status"] == "SUCCESS"
    listing = alice.http.get(f"/uploads/{upload_id}/entries").json()
    assert listing["processing_successful"] == 1
    assert listing["processing_failed"] == 2
    statuses = {entry["mainfile"]: entry["process_status"] for entry in listing["data"]}
    assert statuses == {
        "bad.archive.json": "FAILURE",
        "good.archive.json": "SUCCESS",
        "list.archive.json": "FAILURE",
    }
    failed = next(e for e in listing["data"] if e["mainfile"] == "bad.archive.json")
    assert failed["errors"]
    archive = alice.http.get(f"/uploads/{upload_id}/archive/{failed['entry_id']}")
    assert archive.status_code == 404


def test_concurrent_uploads_are_all_processed(alice: Api, server: NomadStandIn) -> None:
    server.add_user("carol", "pw", is_admin=True)
    carol = Api(server, "carol")
    ids: list[str] = []
    errors: list[BaseException] = []

    def create() -> None:
        try:
            ids.append(carol.create(archive_zip()))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=create) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(ids)) == 20
    for upload_id in ids:
        data = carol.wait(upload_id)
        assert (data["process_status"], data["entries"]) == ("SUCCESS", 1)


# --------------------------------------------------------------------------------------------
# reading and listing


def test_read_rules_before_and_after_publishing(alice: Api, bob: Api, anonymous: Api) -> None:
    upload_id = alice.processed()
    forbidden = 401 if in_13(alice) else 403
    response = bob.http.get(f"/uploads/{upload_id}")
    assert (response.status_code, response.json()) == (
        forbidden,
        {"detail": "You do not have access to the specified upload."},
    )
    response = anonymous.http.get(f"/uploads/{upload_id}")
    assert (response.status_code, response.json()["detail"]) == (
        401,
        "You need to log in to access the specified upload.",
    )
    response = anonymous.http.get("/uploads/nonexistent")
    assert response.status_code == 404
    assert response.json() == {"detail": "The specified upload_id was not found."}

    response = alice.http.post(f"/uploads/{upload_id}/action/publish")
    assert response.status_code == 200
    published = alice.wait(upload_id)
    assert published["published"] is True
    assert published["publish_time"]
    assert anonymous.upload(upload_id)["published"] is True
    assert bob.http.get(f"/uploads/{upload_id}/entries").status_code == 200
    entry = anonymous.http.get(f"/uploads/{upload_id}/entries").json()["data"][0]
    assert entry["entry_metadata"]["published"] is True


def test_embargoed_upload_stays_hidden(alice: Api, bob: Api, anonymous: Api) -> None:
    upload_id = alice.processed()
    response = alice.http.post(
        f"/uploads/{upload_id}/action/publish", params={"embargo_length": 12}
    )
    assert response.status_code == 200
    assert alice.wait(upload_id)["embargo_length"] == 12
    forbidden = 401 if in_13(alice) else 403
    for caller in (bob, anonymous):
        response = caller.http.get(f"/uploads/{upload_id}")
        assert response.status_code == forbidden
        assert response.json()["detail"] == (
            "You do not have access to the specified upload - published with embargo."
        )
    # lifting the embargo is the one edit a published upload allows
    response = alice.http.post(
        f"/uploads/{upload_id}/edit", json={"metadata": {"embargo_length": 3}}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == (
        f"Upload {upload_id} is published, embargo can only be lifted"
    )
    response = alice.http.post(
        f"/uploads/{upload_id}/edit", json={"metadata": {"embargo_length": 0}}
    )
    assert response.status_code == 200
    alice.wait(upload_id)
    assert anonymous.upload(upload_id)["embargo_length"] == 0


def test_list_filters_and_pagination(alice: Api, bob: Api) -> None:
    first = alice.create(upload_name="first")
    second = alice.processed(upload_name="second")
    bob.create(upload_name="bobs")
    listing = alice.http.get("/uploads").json()
    assert [u["upload_id"] for u in listing["data"]] == [first, second]
    assert listing["query"] == {}
    listing = alice.http.get("/uploads", params={"is_processing": False, "upload_name": "second"})
    assert [u["upload_id"] for u in listing.json()["data"]] == [second]
    assert listing.json()["query"] == {"upload_name": ["second"], "is_processing": False}
    desc = alice.http.get("/uploads", params={"order_by": "upload_name", "order": "desc"})
    assert [u["upload_name"] for u in desc.json()["data"]] == ["second", "first"]
    page = alice.http.get("/uploads", params={"page_size": 1, "page": 2}).json()
    assert [u["upload_id"] for u in page["data"]] == [second]
    assert page["pagination"]["total"] == 2
    assert alice.http.get("/uploads", params={"page": 3, "page_size": 1}).status_code == 400
    assert alice.http.get("/uploads", params={"order_by": "entries"}).status_code == 422
    assert alice.http.get("/uploads", params={"roles": "nobody"}).status_code == 422
    ready = alice.http.get("/uploads", params={"process_status": "ready"}).json()
    # NOMAD 1.3 accepted `process_status` but ignored it
    expected = [first, second] if in_13(alice) else [first]
    assert [u["upload_id"] for u in ready["data"]] == expected


def test_shared_uploads_are_listed_by_role(alice: Api, bob: Api) -> None:
    upload_id = alice.processed()
    assert bob.http.get("/uploads").json()["data"] == []
    response = alice.http.post(
        f"/uploads/{upload_id}/edit", json={"metadata": {"reviewers": "bob"}}
    )
    assert response.status_code == 200
    alice.wait(upload_id)
    assert [u["upload_id"] for u in bob.http.get("/uploads").json()["data"]] == [upload_id]
    as_coauthor = bob.http.get("/uploads", params={"roles": "coauthor"}).json()["data"]
    assert as_coauthor == []
    assert bob.upload(upload_id)["reviewers"] == [bob_id(bob, upload_id)]


def bob_id(bob: Api, upload_id: str) -> str:
    user_id: str = bob.upload(upload_id)["reviewers"][0]
    return user_id


def test_entry_and_archive_routes(alice: Api, bob: Api, anonymous: Api) -> None:
    upload_id = alice.processed()
    entries = alice.http.get(f"/uploads/{upload_id}/entries").json()["data"]
    entry_id = entries[0]["entry_id"]
    one = alice.http.get(f"/uploads/{upload_id}/entries/{entry_id}")
    assert one.json()["entry_id"] == entry_id
    assert one.json()["data"]["mainfile"] == "sample.archive.json"
    missing = alice.http.get(f"/uploads/{upload_id}/entries/nope")
    assert missing.status_code == 404
    assert anonymous.http.get(f"/uploads/{upload_id}/entries/{entry_id}").status_code == 401

    archive = alice.http.get(f"/uploads/{upload_id}/archive/{entry_id}").json()
    assert archive["entry_id"] == entry_id
    assert archive["data"]["parser_name"] == "parsers/archive"
    assert archive["data"]["archive"]["data"]["name"] == "Si sample"
    assert archive["data"]["archive"]["results"]["material"]["elements"] == ["Si"]
    by_mainfile = alice.http.get(f"/uploads/{upload_id}/archive/mainfile/sample.archive.json")
    assert by_mainfile.json()["entry_id"] == entry_id
    assert bob.http.get(f"/uploads/{upload_id}/archive/{entry_id}").status_code in (401, 403)
    bad_order = alice.http.get(f"/uploads/{upload_id}/entries", params={"order_by": "size"})
    assert bad_order.status_code == 422


# --------------------------------------------------------------------------------------------
# editing


def test_edit_upload_and_entries(alice: Api, bob: Api, server: NomadStandIn) -> None:
    upload_id = alice.processed()
    entry_id = alice.http.get(f"/uploads/{upload_id}/entries").json()["data"][0]["entry_id"]
    body = {
        "metadata": {
            "upload_name": "renamed",
            "coauthors": ["bob@example.org"],
            "references": ["https://doi.org/10.1000/xyz"],
        },
        "entries": {entry_id: {"comment": "per entry"}},
    }
    response = alice.http.post(f"/uploads/{upload_id}/edit", json=body)
    assert response.status_code == 200
    data = response.json()["data"]
    if in_13(alice):
        assert data["current_process"] == "edit_upload_metadata"
        assert data["process_status"] == "PENDING"
        data = alice.wait(upload_id)
    else:
        assert data["process_status"] == "SUCCESS"
    assert data["upload_name"] == "renamed"
    assert len(data["coauthors"]) == 1
    entry = alice.http.get(f"/uploads/{upload_id}/entries/{entry_id}").json()["data"]
    assert entry["entry_metadata"]["comment"] == "per entry"
    assert entry["entry_metadata"]["references"] == ["https://doi.org/10.1000/xyz"]
    # bob is a coauthor now and may edit, list operations included
    response = bob.http.post(
        f"/uploads/{upload_id}/edit",
        json={"metadata": {"references": {"remove": ["https://doi.org/10.1000/xyz"]}}},
    )
    assert response.status_code == 200
    alice.wait(upload_id)
    entry = alice.http.get(f"/uploads/{upload_id}/entries/{entry_id}").json()["data"]
    assert entry["entry_metadata"].get("references", []) == []


def test_edit_errors(alice: Api, bob: Api) -> None:
    upload_id = alice.processed()

    def edit(api: Api, body: Any, target: str = upload_id) -> httpx.Response:
        return api.http.post(f"/uploads/{target}/edit", json=body)

    def first_error(response: httpx.Response) -> tuple[str, list[Any]]:
        assert response.status_code == 422, response.text
        item = response.json()["detail"][0]
        return item["msg"], item["loc"]

    assert first_error(edit(alice, {})) == ("No fields to update specified", ["metadata"])
    assert first_error(edit(alice, {"metadata": {"upload_name": "x"}}, "nope")) == (
        "No matching upload found",
        ["upload_id"],
    )
    assert first_error(edit(alice, {"metadata": {"colour": "red"}})) == (
        "Unknown quantity",
        ["metadata", "colour"],
    )
    assert first_error(edit(alice, {"metadata": {"coauthors": "nobody"}})) == (
        "User reference not found: `nobody`",
        ["metadata", "coauthors"],
    )
    assert first_error(edit(alice, {"metadata": {"embargo_length": 40}}))[0] == (
        "Value should be between 0 and 36"
    )
    assert first_error(edit(alice, {"metadata": {"license": "MIT"}})) == (
        "Admin rights required",
        ["metadata", "license"],
    )
    assert first_error(edit(alice, {"metadata": {"datasets": {"set": ["x"]}}}))[0] == (
        "Only `add` and `remove` operations permitted for datasets"
    )
    assert first_error(edit(bob, {"metadata": {"upload_name": "mine"}})) == (
        f"AuthLevel.coauthor access required for upload {upload_id}",
        ["metadata", "upload_name"],
    )
    query_edit = {"metadata": {"upload_name": "x"}, "query": {"entry_id": "x"}}
    assert first_error(edit(alice, query_edit))[0] == (
        "Quantity can only be edited on the upload level"
    )
    malformed = alice.http.post(
        f"/uploads/{upload_id}/edit",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert malformed.status_code == 422
    assert edit(alice, [1, 2]).status_code == 422
    verify = edit(alice, {"metadata": {"upload_name": "dry"}, "verify_only": True})
    assert verify.status_code == 200
    assert alice.upload(upload_id).get("upload_name") != "dry"


# --------------------------------------------------------------------------------------------
# publishing, processing and deleting


def test_publish_checks(alice: Api, bob: Api) -> None:
    empty = alice.create()
    response = alice.http.post(f"/uploads/{empty}/action/publish")
    assert response.json() == {"detail": "Cannot publish an upload without any resulting entries."}
    upload_id = alice.processed()
    response = alice.http.post(
        f"/uploads/{upload_id}/action/publish", params={"embargo_length": 99}
    )
    assert response.json() == {"detail": "Invalid embargo_length. Must be between 0 and 36 months."}
    response = bob.http.post(f"/uploads/{upload_id}/action/publish")
    assert response.status_code == (401 if in_13(bob) else 403)
    assert alice.http.post(f"/uploads/{upload_id}/action/publish").status_code == 200
    alice.wait(upload_id)
    response = alice.http.post(f"/uploads/{upload_id}/action/publish")
    assert response.json() == {"detail": "Upload already published."}


def test_publish_directly(alice: Api) -> None:
    upload_id = alice.create(archive_zip(), publish_directly=True)
    deadline = time.monotonic() + 20
    while not (data := alice.upload(upload_id))["published"]:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert data["publish_time"]
    nothing = alice.create(archive_zip({"readme.txt": "no entries"}), publish_directly=True)
    assert alice.wait(nothing)["published"] is False


def test_operations_while_processing(server: NomadStandIn) -> None:
    with NomadStandIn(
        users={"alice": "pw"}, processing_delay=0.3, api_version=server.config.api_version
    ) as slow:
        alice = Api(slow, "alice")
        upload_id = alice.create(archive_zip())
        busy = {"detail": "The upload is currently being processed, operation not allowed."}
        assert alice.http.post(f"/uploads/{upload_id}/action/publish").json() == busy
        assert alice.http.post(f"/uploads/{upload_id}/action/process").json() == busy
        response = alice.http.post(
            f"/uploads/{upload_id}/edit", json={"metadata": {"upload_name": "queued"}}
        )
        if in_13(alice):
            # NOMAD 1.3 queued the edit behind the running processing
            assert response.status_code == 200
            assert alice.wait(upload_id)["upload_name"] == "queued"
        else:
            assert response.status_code == 400
            assert response.json()["detail"] == "'NoneType' object has no attribute 'is_blocking'"
            alice.wait(upload_id)


def test_blocking_in_20_async_in_13(alice: Api) -> None:
    upload_id = alice.processed()
    response = alice.http.post(f"/uploads/{upload_id}/action/publish")
    data = response.json()["data"]
    assert data["process_status"] == "PENDING"
    if in_13(alice):
        assert data["current_process"] == "publish_upload"
    else:
        assert data["current_process"] == "_publish_upload"
        # the 2.0 call returned after the workflow finished
        assert alice.upload(upload_id)["published"] is True


def test_delete(alice: Api, bob: Api, server: NomadStandIn) -> None:
    upload_id = alice.processed()
    response = bob.http.delete(f"/uploads/{upload_id}")
    assert response.status_code == (401 if in_13(bob) else 403)
    response = alice.http.delete(f"/uploads/{upload_id}")
    assert response.status_code == 200
    assert response.json()["data"]["current_process"] == "delete_upload"
    if in_13(alice):
        assert response.json()["data"]["process_running"] is True
        deadline = time.monotonic() + 20
        while alice.http.get(f"/uploads/{upload_id}").status_code != 404:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    assert alice.http.get(f"/uploads/{upload_id}").status_code == 404
    assert not (server.store.root / "uploads" / upload_id).exists()
    with server.store.lock:
        assert not any(e.upload_id == upload_id for e in server.store.entries.values())


def test_delete_pre_empts_processing_in_20(server: NomadStandIn) -> None:
    with NomadStandIn(
        users={"alice": "pw"}, processing_delay=0.3, api_version=server.config.api_version
    ) as slow:
        alice = Api(slow, "alice")
        upload_id = alice.create(archive_zip())
        response = alice.http.delete(f"/uploads/{upload_id}")
        if in_13(alice):
            assert response.json() == {"detail": "The upload is still being processed."}
        else:
            assert response.status_code == 200
            assert alice.http.get(f"/uploads/{upload_id}").status_code == 404


def test_reprocessing_keeps_entry_ids(alice: Api) -> None:
    upload_id = alice.processed()
    before = alice.http.get(f"/uploads/{upload_id}/entries").json()["data"][0]["entry_id"]
    assert alice.http.post(f"/uploads/{upload_id}/action/process").status_code == 200
    alice.wait(upload_id)
    after = alice.http.get(f"/uploads/{upload_id}/entries").json()["data"][0]["entry_id"]
    assert before == after


def test_server_stops_with_processing_under_way() -> None:
    server = NomadStandIn(users={"alice": "pw"}, processing_delay=5)
    server.start()
    alice = Api(server, "alice")
    alice.create(archive_zip())
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 3
    assert not [t for t in threading.enumerate() if t.name.startswith("nomad-standin-upload")]
