"""The issue's workflow, end to end, with both clients against NOMAD 2.0 and 1.3."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import BinaryIO

import pytest

from nomadclient import NotFound
from nomadclient.testing import NomadStandIn

from ._support import collect, first_of, maybe, write_archives, zip_directory
from .conftest import Account, Connect

pytestmark = pytest.mark.anyio


async def test_upload_edit_explore_dataset_publish_and_find(
    standin: NomadStandIn, connect: Connect, alice: Account, tmp_path: Path
) -> None:
    nomad = connect(alice)
    me = await maybe(nomad.users.me())
    assert (me.username, me.user_id) == (alice.username, alice.user_id)

    data = write_archives(tmp_path / "data", 5)
    upload = await maybe(nomad.uploads.create(data, upload_name="workflow"))
    upload = await maybe(upload.wait_until_processed(timeout=30, poll_interval=0.01))
    assert (upload.process_status, upload.entry_count, upload.upload_name) == (
        "SUCCESS",
        5,
        "workflow",
    )

    upload = await maybe(upload.edit(comment="made by a test", references=["https://x.org/1"]))
    upload = await maybe(upload.wait_until_processed(timeout=30, poll_interval=0.01))
    entries = await collect(upload.entries())
    assert sorted(entry.mainfile or "" for entry in entries) == [
        f"sample{n}/sample{n}.archive.json" for n in range(5)
    ]
    assert {(entry.comment, tuple(entry.references)) for entry in entries} == {
        ("made by a test", ("https://x.org/1",))
    }

    entry = entries[0]
    archive = await maybe(entry.archive())
    assert archive["results"]["material"]["elements"] == ["Si"]
    assert "data" in archive
    partial = await maybe(entry.archive(required={"results": {"material": "*"}}))
    assert partial == {"results": {"material": archive["results"]["material"]}}

    raw = await maybe(entry.download_raw(tmp_path / "raw.zip"))
    mainfile = entry.mainfile or ""
    with zipfile.ZipFile(raw) as zipped:
        assert mainfile in zipped.namelist()
        assert zipped.read(mainfile) == (data / mainfile).read_bytes()

    dataset = await maybe(nomad.datasets.create(f"workflow {upload.upload_id}"))
    upload = await maybe(upload.edit(datasets=[dataset.dataset_id]))
    upload = await maybe(upload.wait_until_processed(timeout=30, poll_interval=0.01))
    upload = await maybe(upload.publish())
    upload = await maybe(upload.wait_until_processed(timeout=30, poll_interval=0.01))
    assert upload.published is True

    standin.requests.clear()
    found = await collect(nomad.entries.query(dataset_id=dataset.dataset_id, page_size=2))
    assert len(standin.requests.matching("POST", "/entries/query")) == 3  # 2 + 2 + 1
    ids = [item.entry_id for item in found]
    assert len(ids) == len(set(ids))
    assert set(ids) == {entry.entry_id for entry in entries}
    assert all(item.published for item in found)

    listed = await collect(nomad.uploads.list())
    assert [item.upload_id for item in listed] == [upload.upload_id]
    fetched = await maybe(nomad.datasets.get(dataset.dataset_id))
    assert fetched.dataset_name == dataset.dataset_name


async def test_query_fetches_pages_only_as_iteration_needs_them(
    standin: NomadStandIn, connect: Connect, alice: Account, tmp_path: Path
) -> None:
    nomad = connect(alice)
    data = write_archives(tmp_path / "data", 3)
    upload = await maybe(nomad.uploads.create(data))
    await maybe(upload.wait_until_processed(timeout=30, poll_interval=0.01))
    standin.requests.clear()

    listing = nomad.entries.query(upload_id=upload.upload_id, owner="user", page_size=1)
    assert len(standin.requests) == 0  # nothing is fetched before the iteration starts
    first = await first_of(listing)
    assert first.upload_id == upload.upload_id
    assert len(standin.requests.matching("POST", "/entries/query")) == 1


async def test_upload_sources_zip_file_directory_and_file_object(
    connect: Connect, alice: Account, tmp_path: Path
) -> None:
    nomad = connect(alice)
    data = write_archives(tmp_path / "data", 2)
    zip_path = tmp_path / "data.zip"
    zip_path.write_bytes(zip_directory(data))
    expected = ["sample0/sample0.archive.json", "sample1/sample1.archive.json"]

    with zip_path.open("rb") as file_object:
        sources: list[Path | BinaryIO] = [zip_path, data, file_object]
        for source in sources:
            upload = await maybe(nomad.uploads.create(source))
            upload = await maybe(upload.wait_until_processed(timeout=30, poll_interval=0.01))
            entries = await collect(upload.entries())
            assert sorted(entry.mainfile or "" for entry in entries) == expected, source
            assert upload.upload_name in ("data.zip", "data"), source


async def test_datasets_list_get_delete(
    connect: Connect, alice: Account, bob: Account, tmp_path: Path
) -> None:
    nomad = connect(alice)
    first = await maybe(nomad.datasets.create(f"first of {alice.username}"))
    second = await maybe(nomad.datasets.create(f"second of {alice.username}"))
    await maybe(connect(bob).datasets.create(f"of {bob.username}"))

    mine = await collect(nomad.datasets.list(user_id=alice.user_id, page_size=1))
    assert sorted(item.dataset_id for item in mine) == sorted([first.dataset_id, second.dataset_id])
    fetched = await maybe(nomad.datasets.get(first.dataset_id))
    assert (fetched.dataset_name, fetched.user_id) == (first.dataset_name, alice.user_id)

    deleted = await maybe(first.delete())
    assert deleted.dataset_id == first.dataset_id
    remaining = await collect(nomad.datasets.list(user_id=alice.user_id))
    assert [item.dataset_id for item in remaining] == [second.dataset_id]


async def test_uploads_list_walks_every_page(
    standin: NomadStandIn, connect: Connect, alice: Account
) -> None:
    nomad = connect(alice)
    created = [await maybe(nomad.uploads.create(upload_name=f"empty {n}")) for n in range(3)]
    standin.requests.clear()
    listed = await collect(nomad.uploads.list(page_size=2))
    assert sorted(upload.upload_id for upload in listed) == sorted(
        upload.upload_id for upload in created
    )
    assert len(standin.requests.matching("GET", "/uploads")) == 2
    named = await collect(nomad.uploads.list(upload_name="empty 1"))
    assert [upload.upload_id for upload in named] == [created[1].upload_id]


async def test_archives_in_bulk_and_as_a_file(
    connect: Connect, alice: Account, tmp_path: Path
) -> None:
    nomad = connect(alice)
    upload = await maybe(nomad.uploads.create(write_archives(tmp_path / "data", 3)))
    await maybe(upload.wait_until_processed(timeout=30, poll_interval=0.01))
    archives = await collect(
        nomad.entries.archives(
            upload_id=upload.upload_id, owner="user", required={"results": "*"}, page_size=2
        )
    )
    assert len({item["entry_id"] for item in archives}) == 3
    assert all(set(item["archive"]) == {"results"} for item in archives)

    entry_id = archives[0]["entry_id"]
    target = await maybe(nomad.entries.download_archive(entry_id, tmp_path / "a.json"))
    saved = json.loads(target.read_text())
    assert saved["results"] == archives[0]["archive"]["results"]


async def test_a_deleted_upload_is_gone(connect: Connect, alice: Account, tmp_path: Path) -> None:
    nomad = connect(alice)
    upload = await maybe(nomad.uploads.create(write_archives(tmp_path / "data", 1)))
    upload = await maybe(upload.wait_until_processed(timeout=30, poll_interval=0.01))
    await maybe(upload.delete())
    with pytest.raises(NotFound):
        await maybe(upload.wait_until_processed(timeout=30, poll_interval=0.01))
    assert await collect(nomad.uploads.list()) == []
