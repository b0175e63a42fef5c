"""The domain models and their converter, against NOMAD's real payload shapes (2.0 and 1.3)."""

from __future__ import annotations

import asyncio
import copy
import json
import pickle
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from nomadclient._types import NOT_GIVEN, NotGiven, is_given
from nomadclient.errors import DetachedObjectError, NomadError
from nomadclient.models import (
    AsyncDataset,
    AsyncEntry,
    AsyncUpload,
    Dataset,
    DatasetRef,
    Entry,
    NomadModel,
    StructureError,
    Upload,
    User,
    UserRef,
    bind,
    structure,
    unstructure,
)

DATA = Path(__file__).parent / "data" / "models"
UTC = timezone.utc


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def merged_entry(item: dict[str, Any]) -> dict[str, Any]:
    """An `EntryProcData` with its `entry_metadata` merged in, as the entries manager does."""
    proc = {key: value for key, value in item.items() if key != "entry_metadata"}
    return {**proc, **(item.get("entry_metadata") or {})}


Extract = Callable[[Any], list[dict[str, Any]]]

# (example file, model, the JSON objects of that model in the file, keys NOMAD sends that the
# model deliberately leaves in `extra`)
ENTRY_EXTRA = {"calc_id", "n_quantities", "domain"}
PAYLOADS: list[tuple[str, type[NomadModel], Extract, set[str]]] = [
    ("v2.0/upload.json", Upload, lambda doc: [doc["data"]], set()),
    ("v2.0/upload_post_response.json", Upload, lambda doc: [doc["data"]], set()),
    ("v2.0/upload_entries.json", Upload, lambda doc: [doc["upload"]], set()),
    (
        "v2.0/upload_entries.json",
        Entry,
        lambda doc: [merged_entry(item) for item in doc["data"]],
        ENTRY_EXTRA,
    ),
    ("v2.0/entry_metadata.json", Entry, lambda doc: [doc["data"]], ENTRY_EXTRA),
    ("v2.0/entries_query.json", Entry, lambda doc: doc["data"], set()),
    ("v2.0/user.json", User, lambda doc: [doc], set()),
    ("v2.0/users_list.json", User, lambda doc: doc["data"], set()),
    ("v2.0/users_me.json", User, lambda doc: [doc], set()),
    ("v2.0/dataset.json", Dataset, lambda doc: [doc["data"]], set()),
    ("v2.0/datasets_list.json", Dataset, lambda doc: doc["data"], set()),
    ("v1.3/GET_uploads.json", Upload, lambda doc: doc["data"], set()),
    ("v1.3/GET_uploads_id.json", Upload, lambda doc: [doc["data"]], set()),
    ("v1.3/POST_uploads_id_edit.json", Upload, lambda doc: [doc["data"]], set()),
    ("v1.3/GET_uploads_id_entries.json", Upload, lambda doc: [doc["upload"]], set()),
    (
        "v1.3/GET_uploads_id_entries.json",
        Entry,
        lambda doc: [merged_entry(item) for item in doc["data"]],
        ENTRY_EXTRA,
    ),
    ("v1.3/GET_entries_id.json", Entry, lambda doc: [doc["data"]], ENTRY_EXTRA),
    ("v1.3/GET_users_by_id.json", User, lambda doc: doc["data"], set()),
    (
        "v1.3/PUT_uploads_id_raw_wait_for_processing.json",
        Upload,
        lambda doc: [doc["data"]],
        set(),
    ),
    (
        "v1.3/PUT_uploads_id_raw_wait_for_processing.json",
        Entry,
        lambda doc: [merged_entry(doc["processing"]["entry"])],
        set(),
    ),
]


def as_time(value: Any) -> datetime | None:
    """`value` read as an ISO datetime (naive means UTC), or None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def assert_payload_kept(payload: dict[str, Any], written: dict[str, Any]) -> None:
    """Every fact of `payload` is in `written`: nulls left out, datetimes equal as instants."""
    for key, value in payload.items():
        if value is None:
            assert key not in written, key
        elif as_time(value) is not None and key != "entry_id":
            assert as_time(written[key]) == as_time(value), key
        else:
            assert written[key] == value, key


@pytest.mark.parametrize(
    ("name", "cls", "extract", "left_in_extra"),
    PAYLOADS,
    ids=[f"{name}:{cls.__name__}" for name, cls, _, _ in PAYLOADS],
)
def test_every_example_payload_structures_and_round_trips(
    name: str, cls: type[NomadModel], extract: Extract, left_in_extra: set[str]
) -> None:
    payloads = extract(load(name))
    assert payloads
    for payload in payloads:
        pristine = copy.deepcopy(payload)

        obj = structure(payload, cls)

        assert getattr(obj, cls._ID_FIELD) == payload[cls._ID_FIELD]
        assert set(obj.extra) == left_in_extra & payload.keys()
        written = unstructure(obj)
        assert_payload_kept(payload, written)
        assert structure(written, cls) == obj
        json.dumps(written)  # plain JSON, ready to cache or send
        assert payload == pristine


# ------------------------------------------------------------------------------------------
# what the examples mean, field by field


def test_upload_from_nomad_2_0() -> None:
    upload = structure(load("v2.0/upload.json")["data"], Upload)

    assert upload.upload_id == "dft_upload"
    assert upload.complete_time == datetime(2024, 9, 6, 19, 24, 53, 291000, tzinfo=UTC)
    assert upload.main_author == "68878af7-6845-46c0-b2c1-250d4d8eb470"
    assert upload.coauthors == ["a03af8b6-3aa7-428a-b3b1-4a6317e576b6"]
    assert upload.entry_count == 1
    assert upload.license == "CC BY 4.0"
    assert upload.upload_name is None  # NOMAD left it out
    assert (upload.is_done, upload.is_processing) == (True, False)


def test_upload_from_nomad_1_3_has_naive_times_read_as_utc() -> None:
    upload = structure(load("v1.3/GET_uploads_id.json")["data"], Upload)

    assert upload.complete_time == datetime(2022, 12, 13, 16, 10, 39, 750000, tzinfo=UTC)
    assert upload.coauthor_groups == []  # 1.3 recordings predate the *_groups fields
    assert upload.doi is None


def test_upload_while_nomad_edits_it_is_processing() -> None:
    upload = structure(load("v1.3/POST_uploads_id_edit.json")["data"], Upload)

    assert upload.process_status == "PENDING"
    assert (upload.is_processing, upload.is_done) == (True, False)
    assert upload.viewer_groups == ["group2", "group3"]


def test_new_upload_with_nulls_kept_by_nomad() -> None:
    upload = structure(load("v2.0/upload_post_response.json")["data"], Upload)

    assert upload.description is None
    assert upload.doi is None
    assert upload.complete_time is None
    assert upload.upload_name == "example.zip"
    assert "description" not in unstructure(upload)


def test_entry_from_an_uploads_entry_list_merges_processing_and_metadata() -> None:
    item = load("v2.0/upload_entries.json")["data"][0]

    entry = structure(merged_entry(item), Entry)

    assert entry.process_status == "SUCCESS"
    assert entry.process_running is False
    assert entry.main_author == UserRef(
        user_id="68878af7-6845-46c0-b2c1-250d4d8eb470", name="Markus Scheidgen"
    )
    assert [author.name for author in entry.authors] == ["Markus Scheidgen", "Sheldon Cooper"]
    assert entry.published is False
    assert entry.results == item["entry_metadata"]["results"]
    assert entry.entry_create_time == datetime(2024, 9, 6, 19, 24, 53, 293449, tzinfo=UTC)


def test_entry_of_a_projected_search_has_only_its_id() -> None:
    entry = structure(load("v2.0/entries_query.json")["data"][0], Entry)

    assert entry.entry_id == "--SZVYOxA2jTu_L-mSxefSQFmeyF"
    assert entry.upload_id is None
    assert entry.published is None
    assert entry.authors == []


def test_entry_datasets_are_refs_keeping_the_rest_of_the_dataset_document() -> None:
    dataset_doc = {
        "dataset_id": "ds1",
        "dataset_name": "my set",
        "doi": "10.17172/nomad/2019.10.29-1",
        "dataset_type": "owned",
        "dataset_create_time": "2024-09-06T19:24:53.290000",
    }

    entry = structure({"entry_id": "e1", "datasets": [dataset_doc]}, Entry)

    (ref,) = entry.datasets
    assert ref == DatasetRef(
        dataset_id="ds1",
        dataset_name="my set",
        doi="10.17172/nomad/2019.10.29-1",
        extra={"dataset_type": "owned", "dataset_create_time": "2024-09-06T19:24:53.290000"},
    )
    assert unstructure(entry)["datasets"] == [dataset_doc]


def test_users_from_every_users_endpoint() -> None:
    me = structure(load("v2.0/users_me.json"), User)
    public = structure(load("v2.0/user.json"), User)

    assert me.email == "sheldon.cooper@nomad-coe.eu"
    assert me.repo_user_id is None
    assert me.is_admin is False
    assert me.created == datetime(2019, 8, 28, 11, 54, 18, 504000, tzinfo=UTC)
    assert public.email is None  # /users/{user_id} never sends it
    assert public.user_id == me.user_id


def test_dataset_times_are_naive_utc_and_entries_is_entry_ids() -> None:
    dataset = structure(load("v2.0/dataset.json")["data"], Dataset)

    assert dataset.dataset_create_time == datetime(2024, 9, 6, 19, 24, 53, 290000, tzinfo=UTC)
    assert dataset.dataset_type == "owned"
    assert dataset.entry_ids == []


def test_fields_nomad_calls_entries_keep_that_name_on_the_wire() -> None:
    upload = structure({"upload_id": "u1", "entries": 3}, Upload)
    dataset = structure({"dataset_id": "d1", "entries": ["e1", "e2"]}, Dataset)

    assert upload.entry_count == 3
    assert dataset.entry_ids == ["e1", "e2"]
    assert unstructure(upload)["entries"] == 3
    assert "entry_count" not in unstructure(upload)
    assert unstructure(dataset)["entries"] == ["e1", "e2"]


# ------------------------------------------------------------------------------------------
# datetimes


@pytest.mark.parametrize(
    "text",
    [
        "2024-09-06T19:24:53.291000Z",
        "2024-09-06T19:24:53.291000+00:00",
        "2024-09-06T19:24:53.291000",
        "2024-09-06T21:24:53.291000+02:00",
        "2024-09-06T19:24:53.291Z",
        "2024-09-06T19:24:53.29100012",
    ],
)
def test_every_datetime_form_nomad_writes_is_the_same_instant(text: str) -> None:
    user = structure({"user_id": "u", "created": text}, User)

    assert user.created == datetime(2024, 9, 6, 19, 24, 53, 291000, tzinfo=UTC)
    assert user.created is not None
    assert user.created.tzinfo is not None
    assert structure(unstructure(user), User) == user


def test_a_datetime_without_fraction_and_with_an_offset_keeps_its_offset() -> None:
    user = structure({"user_id": "u", "created": "2024-09-06T21:24:53+02:00"}, User)

    assert user.created is not None
    assert user.created.utcoffset() == timedelta(hours=2)
    assert unstructure(user)["created"] == "2024-09-06T21:24:53+02:00"


# ------------------------------------------------------------------------------------------
# unknown fields, nulls, and payloads that do not fit


def test_unknown_fields_are_kept_compared_hidden_and_written_back() -> None:
    payload = {
        **load("v2.0/upload.json")["data"],
        "brand_new_field": {"nested": [1, 2]},
        "future_null": None,
    }

    upload = structure(payload, Upload)

    assert upload.extra == {"brand_new_field": {"nested": [1, 2]}, "future_null": None}
    assert "brand_new_field" not in repr(upload)
    assert upload != structure(load("v2.0/upload.json")["data"], Upload)
    written = unstructure(upload)
    assert written["brand_new_field"] == {"nested": [1, 2]}
    assert written["future_null"] is None
    assert structure(written, Upload) == upload


def test_unknown_fields_of_nested_objects_are_kept() -> None:
    author = {"user_id": "u1", "name": "A", "affiliation": "Somewhere"}

    entry = structure({"entry_id": "e1", "authors": [author]}, Entry)

    assert entry.authors[0].extra == {"affiliation": "Somewhere"}
    assert unstructure(entry)["authors"] == [author]


def test_null_and_missing_mean_the_same_default() -> None:
    with_nulls = structure(
        {"upload_id": "u1", "upload_name": None, "coauthors": None, "published": None}, Upload
    )
    without = structure({"upload_id": "u1"}, Upload)

    assert with_nulls == without
    assert with_nulls.coauthors == []
    assert with_nulls.upload_name is None
    assert with_nulls.extra == {}
    assert "upload_name" not in unstructure(with_nulls)


def test_extra_cannot_shadow_a_declared_field() -> None:
    with pytest.raises(ValueError, match="entries"):
        Upload(upload_id="u1", extra={"entries": 2})


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, "upload_id: required field missing"),
        ({"upload_id": None}, "upload_id: required field missing"),
        ({"upload_id": 17}, "upload_id: expected a string, got int"),
        ({"upload_id": "u", "published": "false"}, "published: expected a boolean"),
        ({"upload_id": "u", "entries": "3"}, "entry_count: expected an integer"),
        ({"upload_id": "u", "entries": True}, "entry_count: expected an integer"),
        ({"upload_id": "u", "coauthors": "abc"}, "coauthors: expected a list, got str"),
        ({"upload_id": "u", "errors": [1]}, "errors[0]: expected a string"),
        ({"upload_id": "u", "complete_time": 1725650693}, "complete_time: expected an ISO"),
        ({"upload_id": "u", "complete_time": "yesterday"}, "complete_time:"),
        ({"upload_id": "u", "doi": "10.1/x"}, "doi:"),
    ],
)
def test_a_payload_that_does_not_fit_names_class_and_field(
    payload: dict[str, Any], message: str
) -> None:
    with pytest.raises(StructureError, match="cannot structure Upload") as caught:
        structure(payload, Upload)

    assert message in str(caught.value)
    assert isinstance(caught.value, NomadError)
    assert isinstance(caught.value, ValueError)


def test_a_broken_nested_object_names_its_path() -> None:
    payload = {"entry_id": "e1", "authors": [{"name": "no id"}, None]}

    with pytest.raises(StructureError) as caught:
        structure(payload, Entry)

    assert "authors[0].user_id: required field missing" in str(caught.value)
    assert "authors[1]: expected a JSON object for UserRef" in str(caught.value)


@pytest.mark.parametrize("payload", [[], "upload", 3, None])
def test_a_payload_that_is_not_an_object_is_refused(payload: Any) -> None:
    with pytest.raises(StructureError, match="expected a JSON object for Upload"):
        structure(payload, Upload)


# ------------------------------------------------------------------------------------------
# behaviour: bound to a manager, or detached


class RecordingManager:
    """A manager double: records each call and answers with what the test set up."""

    def __init__(self, answers: dict[str, Any] | None = None) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.answers = answers or {}

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            return self.answers.get(name)

        return call

    def __repr__(self) -> str:
        return "RecordingManager<secret-token>"


class AsyncRecordingManager(RecordingManager):
    """`RecordingManager` for the async objects: coroutine methods, sync `entries`."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        record = super().__getattr__(name)
        if name == "entries":
            return record

        async def call(*args: Any, **kwargs: Any) -> Any:
            return record(*args, **kwargs)

        return call


def upload_payload() -> dict[str, Any]:
    data: dict[str, Any] = load("v2.0/upload.json")["data"]
    return data


def test_bind_returns_the_object_and_methods_delegate_to_its_manager() -> None:
    fresh = structure(upload_payload(), Upload)
    manager = RecordingManager({"get": fresh, "publish": fresh})
    upload = structure(upload_payload(), Upload)

    assert bind(upload, manager) is upload
    assert upload.refresh() is fresh
    upload.publish(embargo_length=3)
    upload.wait_until_processed(timeout=5, poll_interval=0.1)
    upload.download_raw("out.zip", path="data")

    assert manager.calls == [
        ("get", ("dft_upload",), {}),
        ("publish", ("dft_upload",), {"embargo_length": 3}),
        ("wait_until_processed", ("dft_upload",), {"timeout": 5, "poll_interval": 0.1}),
        (
            "download_raw",
            ("dft_upload", "out.zip"),
            {"path": "data", "overwrite": False, "on_progress": None},
        ),
    ]


def test_edit_tells_left_out_from_cleared() -> None:
    manager = RecordingManager()
    upload = bind(structure(upload_payload(), Upload), manager)

    upload.edit(upload_name="new name", comment=None)

    ((name, args, kwargs),) = manager.calls
    assert (name, args) == ("edit", ("dft_upload",))
    assert kwargs["upload_name"] == "new name"
    assert kwargs["comment"] is None
    assert kwargs["references"] is NOT_GIVEN
    assert {key for key, value in kwargs.items() if is_given(value)} == {"upload_name", "comment"}


def test_users_are_resolved_in_one_batched_call() -> None:
    users = [User(user_id="a03af8b6-3aa7-428a-b3b1-4a6317e576b6", name="Sheldon Cooper")]
    manager = RecordingManager({"resolve_users": users})
    upload = bind(structure(upload_payload(), Upload), manager)

    assert upload.coauthor_users() == users
    assert upload.main_author_user() == users[0]
    assert manager.calls == [
        ("resolve_users", (["a03af8b6-3aa7-428a-b3b1-4a6317e576b6"],), {}),
        ("resolve_users", (["68878af7-6845-46c0-b2c1-250d4d8eb470"],), {}),
    ]


def test_an_entry_finds_its_upload_and_archive_through_its_manager() -> None:
    manager = RecordingManager({"archive": {"run": []}})
    entry = bind(structure(load("v2.0/entry_metadata.json")["data"], Entry), manager)

    assert entry.archive(required={"run": "*"}) == {"run": []}
    entry.upload()
    entry.download_archive("a.json", overwrite=True)

    assert manager.calls == [
        ("archive", ("dft_bulk",), {"required": {"run": "*"}}),
        ("get_upload", ("dft_upload",), {}),
        ("download_archive", ("dft_bulk", "a.json"), {"overwrite": True, "on_progress": None}),
    ]


def test_an_entry_without_upload_id_says_so() -> None:
    entry = bind(structure({"entry_id": "e1"}, Entry), RecordingManager())

    with pytest.raises(ValueError, match="no upload_id"):
        entry.upload()


def test_async_objects_await_their_manager() -> None:
    manager = AsyncRecordingManager({"delete": "deleted", "entries": "pager"})
    upload = bind(structure(upload_payload(), AsyncUpload), manager)
    dataset = bind(structure({"dataset_id": "d1"}, AsyncDataset), manager)

    async def act() -> list[Any]:
        return [await upload.delete(), upload.entries(), await dataset.assign_doi()]

    assert asyncio.run(act()) == ["deleted", "pager", None]
    assert [call[:2] for call in manager.calls] == [
        ("delete", ("dft_upload",)),
        ("entries", ("dft_upload",)),
        ("assign_doi", ("d1",)),
    ]


@pytest.mark.parametrize(
    ("obj", "act", "hint"),
    [
        (Upload(upload_id="u1"), lambda obj: obj.refresh(), "client.uploads.get('u1')"),
        (Upload(upload_id="u1"), lambda obj: obj.entries(), "client.uploads.get('u1')"),
        (Entry(entry_id="e1"), lambda obj: obj.archive(), "client.entries.get('e1')"),
        (Dataset(dataset_id="d1"), lambda obj: obj.delete(), "client.datasets.get('d1')"),
    ],
)
def test_a_detached_object_says_how_to_get_a_live_one(
    obj: NomadModel, act: Callable[[Any], Any], hint: str
) -> None:
    with pytest.raises(DetachedObjectError, match=r"nomadclient\.structure\(\)") as caught:
        act(obj)

    assert hint in str(caught.value)


def test_a_detached_async_object_raises_when_awaited() -> None:
    entry = structure({"entry_id": "e1"}, AsyncEntry)

    with pytest.raises(DetachedObjectError, match=r"client\.entries\.get"):
        asyncio.run(entry.refresh())


def test_objects_without_behaviour_cannot_be_bound() -> None:
    with pytest.raises(TypeError, match="User has no behaviour"):
        bind(User(user_id="u1"), RecordingManager())


def test_the_manager_is_invisible_to_eq_repr_and_unstructure() -> None:
    detached = structure(upload_payload(), Upload)
    bound = bind(structure(upload_payload(), Upload), RecordingManager())

    assert bound == detached
    assert repr(bound) == repr(detached)
    assert "secret-token" not in repr(bound)
    assert "manager" not in repr(bound)
    assert unstructure(bound) == unstructure(detached)


def test_sync_and_async_flavours_share_the_fields() -> None:
    sync = structure(upload_payload(), Upload)
    not_sync = structure(upload_payload(), AsyncUpload)

    assert unstructure(sync) == unstructure(not_sync)
    assert sync != not_sync  # type: ignore[comparison-overlap]  # classes never compare equal


@pytest.mark.parametrize(
    ("status", "processing", "done"),
    [
        ("PENDING", True, False),
        ("RUNNING", True, False),
        ("WAITING_FOR_RESULT", True, False),
        ("SUCCESS", False, True),
        ("FAILURE", False, True),
        ("READY", False, True),
        (None, False, False),
    ],
)
def test_processing_state_from_process_status(
    status: str | None, processing: bool, done: bool
) -> None:
    upload = Upload(upload_id="u1", process_status=status)

    assert (upload.is_processing, upload.is_done) == (processing, done)


# ------------------------------------------------------------------------------------------
# the NOT_GIVEN sentinel


def test_not_given_is_one_falsy_object_that_survives_copies() -> None:
    assert NotGiven() is NOT_GIVEN
    assert not NOT_GIVEN
    assert repr(NOT_GIVEN) == "NOT_GIVEN"
    assert copy.deepcopy(NOT_GIVEN) is NOT_GIVEN
    assert pickle.loads(pickle.dumps(NOT_GIVEN)) is NOT_GIVEN
    assert is_given(None)
    assert not is_given(NOT_GIVEN)
