"""Errors by meaning: unknown ids, other people's data, bad edits, credentials, processing."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail

from nomadclient import (
    BadRequest,
    Forbidden,
    MissingCredentials,
    NomadClient,
    NotFound,
    ProcessingFailed,
    ProcessingTimeout,
    ValidationError,
)
from nomadclient.testing import NomadStandIn

from ._support import collect, maybe, write_archives
from .conftest import Account, Connect

pytestmark = pytest.mark.anyio

FAST = {"timeout": 30, "poll_interval": 0.01}


async def processed_upload(nomad: Any, directory: Path, count: int = 1) -> Any:
    """A new upload of `count` mainfiles, processed."""
    upload = await maybe(nomad.uploads.create(write_archives(directory, count)))
    return await maybe(upload.wait_until_processed(**FAST))


@pytest.mark.parametrize("manager", ["uploads", "entries", "datasets"])
async def test_unknown_ids_are_not_found_at_once(
    standin: NomadStandIn, connect: Connect, alice: Account, manager: str
) -> None:
    nomad = connect(alice)
    await maybe(nomad.users.me())  # the login is not what this test counts
    standin.requests.clear()
    with pytest.raises(NotFound) as caught:
        await maybe(getattr(nomad, manager).get("no-such-id"))
    assert caught.value.status_code == 404
    assert "no-such-id" in caught.value.url
    assert len(standin.requests) == 1  # a 404 is never retried


def test_unknown_user_id_is_not_found_at_once() -> None:
    # neither the client kind nor the API version matters here: one sync client on 2.0
    with NomadStandIn(users={}) as server, NomadClient(server.api_url, max_retries=1) as nomad:
        with pytest.raises(NotFound):
            nomad.users.get("no-such-user")
        assert len(server.requests.matching("GET", "/users*")) == 1


async def test_bob_cannot_see_or_delete_alices_upload(
    standin: NomadStandIn,
    connect: Connect,
    alice: Account,
    bob: Account,
    api_version: str,
    tmp_path: Path,
) -> None:
    upload = await processed_upload(connect(alice), tmp_path / "data")
    intruder = connect(bob)
    upload_id = upload.upload_id
    # NOMAD 1.3 said 401 where 2.0 says 403; either way it means "not allowed"
    expected_status = 403 if api_version == "2.0" else 401
    with pytest.raises(Forbidden) as seeing:
        await maybe(intruder.uploads.get(upload_id))
    assert seeing.value.status_code == expected_status
    assert "do not have access" in seeing.value.message
    with pytest.raises(Forbidden) as deleting:
        await maybe(intruder.uploads.delete(upload_id))
    assert deleting.value.status_code == expected_status
    assert (await maybe(connect(alice).uploads.get(upload_id))).upload_id == upload_id


async def test_a_refused_request_is_sent_once_with_one_login(
    standin: NomadStandIn,
    connect: Connect,
    alice: Account,
    bob: Account,
    api_version: str,
    tmp_path: Path,
) -> None:
    upload = await processed_upload(connect(alice), tmp_path / "data")
    intruder = connect(bob)
    await maybe(intruder.users.me())
    standin.requests.clear()
    with pytest.raises(Forbidden):
        await maybe(intruder.uploads.delete(upload.upload_id))
    assert [(item.method, item.path.split("/")[1]) for item in standin.requests] == [
        ("DELETE", "uploads")
    ]


async def test_bad_edits_are_validation_errors_naming_each_item(
    connect: Connect, alice: Account, tmp_path: Path
) -> None:
    upload = await processed_upload(connect(alice), tmp_path / "data")
    with pytest.raises(ValidationError) as caught:
        await maybe(upload.edit(embargo_length=100))
    assert caught.value.status_code == 422
    assert "metadata.embargo_length" in caught.value.message
    assert [item["loc"] for item in caught.value.errors] == [["metadata", "embargo_length"]]

    with pytest.raises(ValidationError) as unknown:
        await maybe(upload.edit(coauthors=["nobody-known"]))
    assert "metadata.coauthors" in unknown.value.message
    assert "nobody-known" in unknown.value.message


async def test_publishing_twice_is_a_bad_request(
    connect: Connect, alice: Account, tmp_path: Path
) -> None:
    upload = await processed_upload(connect(alice), tmp_path / "data")
    published = await maybe(upload.publish())
    published = await maybe(published.wait_until_processed(**FAST))
    assert published.published is True
    with pytest.raises(BadRequest) as caught:
        await maybe(published.publish())
    assert "already published" in caught.value.message.lower()


async def test_a_broken_zip_is_refused_when_uploading(
    connect: Connect, alice: Account, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip file")
    nomad = connect(alice)
    with pytest.raises(BadRequest) as caught:
        await maybe(nomad.uploads.create(broken))
    assert "Cannot extract file" in caught.value.message
    assert await collect(nomad.uploads.list()) == []


async def test_doi_for_a_dataset_is_forbidden_without_datacite(
    connect: Connect, alice: Account
) -> None:
    dataset = await maybe(connect(alice).datasets.create(f"doi of {alice.username}"))
    with pytest.raises(Forbidden) as caught:
        await maybe(dataset.assign_doi())
    assert "DataCite" in caught.value.message


async def test_missing_credentials_name_every_place_looked(
    monkeypatch: pytest.MonkeyPatch,
    standin: NomadStandIn,
    connect: Connect,
    tmp_path: Path,
) -> None:
    for name in ("NOMAD_TOKEN", "NOMAD_USERNAME", "NOMAD_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    nomad = connect()

    # reading public data needs no login
    public = await collect(nomad.entries.query(page_size=5, limit=5))
    assert all(entry.published for entry in public)
    standin.requests.clear()
    with pytest.raises(MissingCredentials) as caught:
        await maybe(nomad.users.me())
    error = caught.value
    assert len(standin.requests) == 0  # nothing was sent
    places = "\n".join(error.looked)
    assert error.looked[0].startswith("arguments")
    assert "NOMAD_TOKEN" in places
    assert "NOMAD_USERNAME" in places
    assert str(tmp_path / ".env") in places
    assert "keyring" in places
    assert "keyring.backends.fail" in places
    assert all(place in str(error) for place in error.looked)


async def test_a_failing_entry_leaves_the_upload_processed(
    connect: Connect, alice: Account, tmp_path: Path
) -> None:
    data = write_archives(tmp_path / "data", 1)
    (data / "broken.archive.json").write_text("{ not json")
    nomad = connect(alice)
    upload = await maybe(nomad.uploads.create(data))
    upload = await maybe(upload.wait_until_processed(**FAST))
    assert upload.process_status == "SUCCESS"
    statuses = {entry.mainfile: entry for entry in await collect(upload.entries())}
    assert statuses["sample0/sample0.archive.json"].process_status == "SUCCESS"
    broken = statuses["broken.archive.json"]
    assert broken.process_status == "FAILURE"
    assert any("could not parse" in message for message in broken.errors)


async def test_upload_processing_failure_raises_processing_failed(
    standin: NomadStandIn, connect: Connect, alice: Account, tmp_path: Path
) -> None:
    # The stand-in fails entries, never whole uploads (broken archives are refused at upload
    # time), so the test puts the upload into the state NOMAD reports for a failed process.
    upload = await processed_upload(connect(alice), tmp_path / "data")
    upload_id = upload.upload_id
    with standin.store.lock:
        record = standin.store.uploads[upload_id]
        record.process_status = "FAILURE"
        record.errors = ["could not extract the upload"]
        standin.store.touch(record)

    with pytest.raises(ProcessingFailed) as caught:
        await maybe(upload.wait_until_processed(**FAST))
    error = caught.value
    assert error.upload_id == upload_id
    assert error.errors == ["could not extract the upload"]
    assert error.upload.process_status == "FAILURE"
    assert "could not extract the upload" in str(error)


async def test_waiting_too_short_raises_processing_timeout_with_the_last_status(
    connect: Connect, api_version: str, tmp_path: Path
) -> None:
    with NomadStandIn(
        users={"slow": "slow-password"},
        processing_delay=30,
        api_version=api_version,  # type: ignore[arg-type]
    ) as slow_server:
        account = Account("slow", "slow-password", slow_server.user("slow").user_id)
        nomad = connect(account, url=slow_server.api_url)
        upload = await maybe(
            nomad.uploads.create(io.BytesIO(json.dumps({}).encode()), file_name="x.archive.json")
        )
        with pytest.raises(ProcessingTimeout) as caught:
            await maybe(upload.wait_until_processed(timeout=0.05, poll_interval=0.01))
        error = caught.value
        assert error.upload_id == upload.upload_id
        assert error.last_status in ("PENDING", "RUNNING")
        assert error.last_status in str(error)
        assert "0.05 s" in str(error)
