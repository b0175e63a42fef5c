"""Routes of the stand-in NOMAD API: datasets (create, list, get, delete, DOI).

NOMAD 1.3 serves the collection at `/datasets/` and 2.0 at `/datasets`; the other spelling
answers Starlette's 307 redirect.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from .._deps import OptionalUser, RequiredUser, StoreDep
from .._errors import NomadError, forbidden
from .._pagination import PageRequest, paginate_list, pagination_params
from .._search import select_entry_ids
from .._state import (
    ApiVersion,
    DatasetRecord,
    EntryRecord,
    Store,
    UserRecord,
    create_uuid,
    utcnow,
)

NAME_TAKEN = (
    "The chosen dataset name is already taken. Datesets of the same user must have a\nunique name."
)
NOT_CREATOR = "The dataset can only be edited by the user who created the dataset."
HAS_DOI = "The dataset already has a DOI and cannot be changed anymore."
DATACITE_DISABLED = "The DataCite DOI service is not enabled on this deployment."
EMPTY = (
    "The dataset is empty. No DOI can be assigned at this moment. Add some published\n"
    "contents to the dataset first."
)
UNPUBLISHED = (
    "The dataset has unpublished contents. No DOI can be assigned at the moment.\n"
    "Publish the dataset contents first."
)
# the prefix NOMAD registers DOIs under, with a path no real DOI uses
DOI_PREFIX = "10.17172/nomad-standin/"

DatasetPages = pagination_params(
    order_by_choices=("dataset_create_time", "dataset_modified_time", "dataset_name")
)


class DatasetType(str, enum.Enum):
    """Owned datasets hold the creator's entries; foreign ones only remember a query."""

    owned = "owned"
    foreign = "foreign"


class DatasetCreate(BaseModel):
    """The body of `POST /datasets`."""

    dataset_name: str | None = None
    dataset_type: DatasetType | None = None
    query: dict[str, Any] | None = None
    entries: list[str] | None = None


def create_router(api_version: ApiVersion) -> APIRouter:
    """The dataset routes of one NOMAD version."""
    router = APIRouter(prefix="/datasets", tags=["datasets"])
    collection = "" if api_version == "2.0" else "/"
    router.add_api_route(collection, post_datasets, methods=["POST"])
    router.add_api_route(collection, get_datasets, methods=["GET"])
    router.add_api_route("/{dataset_id}", get_dataset, methods=["GET"])
    router.add_api_route("/{dataset_id}", delete_dataset, methods=["DELETE"])
    router.add_api_route("/{dataset_id}/action/doi", assign_doi, methods=["POST"])
    return router


def post_datasets(create: DatasetCreate, user: RequiredUser, store: StoreDep) -> dict[str, Any]:
    """Create a dataset; an owned one is attached to the caller's own matching entries."""
    dataset_type = create.dataset_type or DatasetType.owned
    with store.lock:
        if any(
            dataset.user_id == user.user_id and dataset.dataset_name == create.dataset_name
            for dataset in store.datasets.values()
        ):
            raise NomadError(400, NAME_TAKEN)
        now = utcnow()
        dataset = DatasetRecord(
            dataset_id=create_uuid(),
            dataset_name=create.dataset_name or "",
            user_id=user.user_id,
            dataset_type=dataset_type.value,
            dataset_create_time=now,
            dataset_modified_time=now,
        )
        if dataset_type is DatasetType.foreign:
            # NOMAD keeps only the query: a typo in its code drops `entries`
            dataset.query = create.query
        else:
            _attach(store, dataset.dataset_id, _own_entries(store, user, create))
        store.datasets[dataset.dataset_id] = dataset
        store.touch()
        return _wrapped(dataset)


def get_datasets(
    request: Request,
    store: StoreDep,
    caller: OptionalUser,
    pagination: Annotated[PageRequest, Depends(DatasetPages)],
    dataset_id: Annotated[str | None, Query()] = None,
    dataset_name: Annotated[str | None, Query()] = None,
    user_id: Annotated[list[str] | None, Query()] = None,
    dataset_type: Annotated[str | None, Query()] = None,
    doi: Annotated[str | None, Query()] = None,
    prefix: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    """Every user's datasets matching the filters, one page of them."""
    # NOMAD hands `prefix` to Mongo as a raw, case-insensitive regex; it replaces dataset_name
    name_pattern = re.compile(f"^{prefix}", re.IGNORECASE) if prefix else None
    with store.lock:
        selected = [
            dataset
            for dataset in store.datasets.values()
            if (dataset_id is None or dataset.dataset_id == dataset_id)
            and (user_id is None or dataset.user_id in user_id)
            and (dataset_type is None or dataset.dataset_type == dataset_type)
            and (doi is None or dataset.doi == doi)
            and (
                name_pattern.match(dataset.dataset_name) is not None
                if name_pattern is not None
                else dataset_name is None or dataset.dataset_name == dataset_name
            )
        ]
        if pagination.order_by is not None:
            selected.sort(key=_sort_key(pagination.order_by), reverse=pagination.descending)
        page, pagination_json = paginate_list(selected, pagination, request)
        return {"pagination": pagination_json, "data": [dataset.to_json() for dataset in page]}


def get_dataset(dataset_id: str, store: StoreDep, caller: OptionalUser) -> dict[str, Any]:
    """One dataset by id."""
    with store.lock:
        dataset = store.datasets.get(dataset_id)
        if dataset is None:
            raise NomadError(404, "The dataset with the given id does not exist.")
        return _wrapped(dataset)


def delete_dataset(dataset_id: str, user: RequiredUser, store: StoreDep) -> dict[str, Any]:
    """Delete a dataset (creator only, not once it has a DOI) and detach it from entries."""
    with store.lock:
        dataset = _existing_dataset(store, dataset_id)
        if dataset.doi is not None and not user.is_admin:
            raise NomadError(400, HAS_DOI)
        if dataset.user_id != user.user_id:
            raise forbidden(NOT_CREATOR, store.api_version)
        del store.datasets[dataset_id]
        for entry in store.entries.values():
            if dataset_id in entry.dataset_ids:
                entry.dataset_ids.remove(dataset_id)
                _touch_upload_of(store, entry)
        store.touch()
        return _wrapped(dataset)


def assign_doi(dataset_id: str, user: RequiredUser, store: StoreDep) -> dict[str, Any]:
    """Register a (made-up) DOI for a dataset whose entries are all published."""
    with store.lock:
        dataset = _existing_dataset(store, dataset_id)
        if dataset.user_id != user.user_id:
            raise forbidden(NOT_CREATOR, store.api_version)
        if not store.config.datacite_enabled:
            raise forbidden(DATACITE_DISABLED, store.api_version)
        if dataset.doi is not None:
            raise NomadError(400, HAS_DOI)
        entries = [e for e in store.entries.values() if dataset_id in e.dataset_ids]
        if not entries:
            raise NomadError(400, EMPTY)
        if not all(_is_published(store, entry) for entry in entries):
            raise NomadError(400, UNPUBLISHED)
        dataset.doi = DOI_PREFIX + dataset_id
        dataset.dataset_modified_time = utcnow()
        for entry in entries:
            # entry metadata embeds the dataset, DOI included
            _touch_upload_of(store, entry)
        store.touch()
        return _wrapped(dataset)


def _existing_dataset(store: Store, dataset_id: str) -> DatasetRecord:
    dataset = store.datasets.get(dataset_id)
    if dataset is None:
        raise NomadError(404, "Dataset not found. The given id does not match any dataset.")
    return dataset


def _own_entries(store: Store, user: UserRecord, create: DatasetCreate) -> list[EntryRecord]:
    """The entries an owned dataset gets: selected by ids or query, main author only."""
    if create.entries is not None:
        wanted = set(create.entries)
        return [
            entry
            for entry in store.entries.values()
            if entry.entry_id in wanted and _is_main_author(store, entry, user)
        ]
    if create.query is not None:
        entry_ids = select_entry_ids(store, user, "user", create.query)
        return [store.entries[entry_id] for entry_id in entry_ids if entry_id in store.entries]
    return []


def _attach(store: Store, dataset_id: str, entries: list[EntryRecord]) -> None:
    for entry in entries:
        if dataset_id not in entry.dataset_ids:
            entry.dataset_ids.append(dataset_id)
            _touch_upload_of(store, entry)


def _is_main_author(store: Store, entry: EntryRecord, user: UserRecord) -> bool:
    upload = store.uploads.get(entry.upload_id)
    return upload is not None and upload.main_author == user.user_id


def _is_published(store: Store, entry: EntryRecord) -> bool:
    upload = store.uploads.get(entry.upload_id)
    return upload is not None and upload.published


def _touch_upload_of(store: Store, entry: EntryRecord) -> None:
    upload = store.uploads.get(entry.upload_id)
    if upload is not None:
        store.touch(upload)


def _sort_key(order_by: str) -> Callable[[DatasetRecord], tuple[Any, ...]]:
    """NOMAD's Mongo order: the field, then creation time and id to break ties."""

    def key(dataset: DatasetRecord) -> tuple[Any, ...]:
        value = getattr(dataset, order_by)
        return (value, dataset.dataset_create_time, dataset.dataset_id)

    return key


def _wrapped(dataset: DatasetRecord) -> dict[str, Any]:
    return {"dataset_id": dataset.dataset_id, "data": dataset.to_json()}
