"""Routes of the stand-in NOMAD API: uploads (create, list, read, edit, publish, delete, entries).

The raw-file routes live in `upload_files.py` and are included here, so `app.py` only needs
this router. Processing runs in the background (`_processing.py`); NOMAD 2.0 routes block until
their workflow is done by default (`wait_for_processing`), 1.3 routes return at once.
"""

from __future__ import annotations

import enum
import json
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from .._archive import archive_item
from .._deps import OptionalUser, RequiredUser, StoreDep
from .._entry_metadata import entry_metadata
from .._errors import NomadError, forbidden
from .._files import merge_tree
from .._metadata_edit import apply_edit, parse_body, verify_edit
from .._pagination import PageRequest, paginate_list, pagination_params
from .._processing import Job, processor_for, running_kind
from .._receiving import receive_files, unpack
from .._state import EntryRecord, Store, UploadRecord, UserRecord, create_uuid
from .._upload_access import (
    BUSY,
    WAIT_TIMEOUT,
    blocks,
    may_queue,
    readable_upload,
    upload_answer,
    upload_response,
    writable_upload,
)
from . import upload_files

router = APIRouter()
router.include_router(upload_files.router)


class UploadRole(str, enum.Enum):
    """The roles `GET /uploads?roles=` filters on."""

    main_author = "main_author"
    reviewer = "reviewer"
    coauthor = "coauthor"


UploadPages = pagination_params(
    order_by_choices=(
        "upload_create_time",
        "publish_time",
        "upload_name",
        "last_status_message",
        "process_status",
    ),
    default_order_by="upload_create_time",
)
EntryPages = pagination_params(
    order_by_choices=(
        "mainfile",
        "parser_name",
        "process_status",
        "current_process",
        "entry_create_time",
    ),
    default_order_by="mainfile",
    order_by_aliases={"mainfile_path": "mainfile"},
)


# --------------------------------------------------------------------------------------------
# creating


@router.post("/uploads")
async def post_upload(
    request: Request,
    store: StoreDep,
    user: RequiredUser,
    file_name: str | None = None,
    upload_name: str | None = None,
    embargo_length: int = 0,
    publish_directly: bool | None = None,
    local_path: str | None = None,
    example_upload_id: str | None = None,
    auto_decompress: bool = True,
) -> Response:
    """Create an upload, with the files of the request if there are any."""
    _check_upload_limit(store, user)
    if not 0 <= embargo_length <= 36:
        raise NomadError(400, "`embargo_length` must be between 0 and 36 months.")
    if local_path is not None and not user.is_admin:
        raise forbidden("You are not authorized to access this path.", store.api_version)
    if local_path is not None:
        raise NomadError(400, "The specified local_path cannot be found.")
    if example_upload_id is not None and store.api_version == "2.0":
        raise NomadError(400, f'Could not find example upload with id "{example_upload_id}"')

    received = await receive_files(request, store, file_name)
    try:
        await unpack(received, auto_decompress=auto_decompress or store.api_version == "1.3")
        if not upload_name:
            upload_name = (file_name or None) if received.method == "body" else received.single_name
        upload_id = create_uuid()
        files_dir = store.new_upload_dir(upload_id)
        await anyio.to_thread.run_sync(merge_tree, received.content, files_dir)
    finally:
        received.discard()

    with store.lock:
        upload = UploadRecord(
            upload_id=upload_id,
            main_author=user.user_id,
            files_dir=files_dir,
            upload_name=upload_name,
            embargo_length=embargo_length,
        )
        store.uploads[upload_id] = upload
        store.touch(upload)
        if received.files:
            job = Job(upload_id, "process", publish_after=bool(publish_directly))
            processor_for(store).submit(upload, job)
        answer = upload_response(store, upload, keep_nulls=True)
    return upload_answer(request, answer)


def _check_upload_limit(store: Store, user: UserRecord) -> None:
    if user.is_admin:
        return
    with store.lock:
        if store.unpublished_upload_count(user.user_id) >= store.config.upload_limit:
            raise NomadError(400, "Limit of unpublished uploads exceeded for user.")


# --------------------------------------------------------------------------------------------
# reading


@router.get("/uploads")
def get_uploads(
    request: Request,
    store: StoreDep,
    user: RequiredUser,
    pagination: Annotated[PageRequest, Depends(UploadPages)],
    roles: Annotated[list[UploadRole] | None, Query()] = None,
    include_all: bool = False,
    upload_id: Annotated[list[str] | None, Query()] = None,
    upload_name: Annotated[list[str] | None, Query()] = None,
    doi: Annotated[list[str] | None, Query()] = None,
    is_processing: bool | None = None,
    is_published: bool | None = None,
    process_status: str | None = None,
    is_owned: bool | None = None,
) -> dict[str, Any]:
    """The caller's uploads, filtered and paginated."""
    in_20 = store.api_version == "2.0"
    query: dict[str, Any] = {
        "upload_id": upload_id,
        "doi": doi if in_20 else None,
        "upload_name": upload_name,
        "is_processing": is_processing,
        "is_published": is_published,
        "process_status": process_status.upper() if process_status else None,
        "is_owned": is_owned,
    }
    query = {key: value for key, value in query.items() if value is not None}
    wanted_roles = set(roles or UploadRole)
    with store.lock:
        candidates = [
            upload
            for upload in store.uploads.values()
            if _has_role(upload, user.user_id, wanted_roles)
            and _matches(upload, user.user_id, query, apply_all=in_20)
        ]
        order_by = pagination.order_by or "upload_create_time"
        ordered = sorted(
            candidates,
            key=lambda upload: _upload_sort_key(upload, order_by),
            reverse=pagination.descending,
        )
        page, pagination_json = paginate_list(ordered, pagination, request)
        data = [upload.to_json(store.api_version) for upload in page]
    return {"query": query, "pagination": pagination_json, "data": data}


def _has_role(upload: UploadRecord, user_id: str, roles: set[UploadRole]) -> bool:
    return (
        (UploadRole.main_author in roles and upload.main_author == user_id)
        or (UploadRole.coauthor in roles and user_id in upload.coauthors)
        or (UploadRole.reviewer in roles and user_id in upload.reviewers)
    )


def _matches(upload: UploadRecord, user_id: str, query: dict[str, Any], apply_all: bool) -> bool:
    if "upload_id" in query and upload.upload_id not in query["upload_id"]:
        return False
    if "upload_name" in query and not any(
        _name_matches(upload.upload_name, pattern, apply_all) for pattern in query["upload_name"]
    ):
        return False
    if "doi" in query:
        return False  # the stand-in assigns no DOIs to uploads
    if "is_processing" in query and upload.process_running != query["is_processing"]:
        return False
    if "is_published" in query and upload.published != query["is_published"]:
        return False
    # NOMAD 1.3 accepted these two filters but did not apply them
    if apply_all and upload.process_status != query.get("process_status", upload.process_status):
        return False
    owned: bool | None = query.get("is_owned") if apply_all else None
    return owned is None or (upload.main_author == user_id) == owned


def _name_matches(name: str | None, pattern: str, structured: bool) -> bool:
    kind, value = "exact", pattern
    if structured and pattern.startswith("{"):
        try:
            spec = json.loads(pattern)
        except ValueError:
            spec = None
        if isinstance(spec, dict) and isinstance(spec.get("value"), str):
            kind, value = str(spec.get("type", "exact")), spec["value"]
    if name is None:
        return False
    if kind == "fuzzy":
        return value.lower() in name.lower()
    return name == value


def _upload_sort_key(upload: UploadRecord, order_by: str) -> tuple[Any, ...]:
    value = getattr(upload, order_by)
    # Mongo sorts missing values first; ties by creation time, then id
    return (
        value is not None,
        value if value is not None else 0,
        upload.upload_create_time,
        upload.upload_id,
    )


@router.get("/uploads/{upload_id}")
def get_upload(upload_id: str, store: StoreDep, user: OptionalUser) -> dict[str, Any]:
    """One upload, if the caller may read it."""
    upload = readable_upload(store, upload_id, user)
    with store.lock:
        return upload_response(store, upload)


@router.get("/uploads/{upload_id}/entries")
def get_upload_entries(
    request: Request,
    upload_id: str,
    store: StoreDep,
    user: OptionalUser,
    pagination: Annotated[PageRequest, Depends(EntryPages)],
) -> dict[str, Any]:
    """The upload's entries with their processing state and search metadata."""
    upload = readable_upload(store, upload_id, user)
    with store.lock:
        entries = store.entries_of(upload)
        order_by = pagination.order_by or "mainfile"
        ordered = sorted(
            entries,
            key=lambda entry: _entry_sort_key(entry, order_by),
            reverse=pagination.descending,
        )
        page, pagination_json = paginate_list(ordered, pagination, request)
        return {
            "pagination": pagination_json,
            "processing_successful": sum(e.process_status == "SUCCESS" for e in entries),
            "processing_failed": sum(e.process_status == "FAILURE" for e in entries),
            "upload": upload.to_json(store.api_version),
            "data": [_entry_json(store, entry) for entry in page],
        }


def _entry_sort_key(entry: EntryRecord, order_by: str) -> tuple[Any, ...]:
    value = getattr(entry, order_by)
    return (value is not None, value if value is not None else "", entry.entry_id)


def _entry_json(store: Store, entry: EntryRecord) -> dict[str, Any]:
    # NOMAD indexes an entry when its processing ends; running entries are not searchable yet
    metadata = None if entry.process_running else entry_metadata(store, entry)
    return entry.to_json(store.api_version, metadata)


def _entry_of(store: Store, upload: UploadRecord, entry_id: str) -> EntryRecord | None:
    entry = store.entries.get(entry_id)
    return entry if entry is not None and entry.upload_id == upload.upload_id else None


@router.get("/uploads/{upload_id}/entries/{entry_id}")
def get_upload_entry(
    upload_id: str, entry_id: str, store: StoreDep, user: RequiredUser
) -> dict[str, Any]:
    """One entry of the upload with its processing state."""
    upload = readable_upload(store, upload_id, user)
    with store.lock:
        entry = _entry_of(store, upload, entry_id)
        if entry is None:
            raise NomadError(404, "An entry by that id could not be found in the specified upload.")
        return {"entry_id": entry_id, "data": _entry_json(store, entry)}


@router.get("/uploads/{upload_id}/archive/mainfile/{mainfile:path}")
def get_upload_archive_by_mainfile(
    upload_id: str,
    mainfile: str,
    store: StoreDep,
    user: OptionalUser,
    mainfile_key: str | None = None,
) -> dict[str, Any]:
    """The archive of the upload's entry for a mainfile."""
    upload = readable_upload(store, upload_id, user)
    with store.lock:
        return _archive_answer(store, store.entry_by_mainfile(upload, mainfile))


@router.get("/uploads/{upload_id}/archive/{entry_id}")
def get_upload_archive(
    upload_id: str, entry_id: str, store: StoreDep, user: OptionalUser
) -> dict[str, Any]:
    """The archive of one of the upload's entries."""
    upload = readable_upload(store, upload_id, user)
    with store.lock:
        return _archive_answer(store, _entry_of(store, upload, entry_id))


def _archive_answer(store: Store, entry: EntryRecord | None) -> dict[str, Any]:
    if entry is None or (entry.process_running and entry.archive is None):
        raise NomadError(404, "The entry does not exist or is not visible to you.")
    if entry.archive is None:
        raise NomadError(404, "The entry does exist, but it has no archive.")
    return {"entry_id": entry.entry_id, "required": "*", "data": archive_item(store, entry, "*")}


# --------------------------------------------------------------------------------------------
# changing


@router.post("/uploads/{upload_id}/edit")
async def post_upload_edit(
    request: Request,
    upload_id: str,
    store: StoreDep,
    user: RequiredUser,
    wait_for_processing: bool = True,
) -> dict[str, Any]:
    """Edit upload and entry metadata (NOMAD's `MetadataEditRequest`)."""
    body = parse_body(await request.body(), store)
    edit = verify_edit(store, user, upload_id, body)
    with store.lock:
        upload = store.uploads.get(upload_id)
        if upload is None:
            raise NomadError(400, f"Upload {upload_id} was deleted")
        if edit.verify_only:
            return upload_response(store, upload)
        if not may_queue(store, upload, "edit"):
            if store.api_version == "2.0":
                # NOMAD 2.0's pre-check trips over its own workflow bookkeeping here
                raise NomadError(400, "'NoneType' object has no attribute 'is_blocking'")
            raise NomadError(400, f"Upload {upload_id} is blocked by another process")
        job = Job(upload_id, "edit", apply=lambda: apply_edit(store, upload, edit))
        processor_for(store).submit(upload, job)
    if blocks(store, wait_for_processing):
        await anyio.to_thread.run_sync(job.wait, WAIT_TIMEOUT)
    with store.lock:
        return upload_response(store, upload)


@router.delete("/uploads/{upload_id}")
def delete_upload(
    upload_id: str, store: StoreDep, user: RequiredUser, wait_for_processing: bool = True
) -> dict[str, Any]:
    """Delete an upload: 2.0 pre-empts running processing and waits; 1.3 queues and returns."""
    upload = writable_upload(store, upload_id, user, include_published=True, only_main_author=True)
    with store.lock:
        running = running_kind(store, upload)
        if running == "delete" or (store.api_version == "1.3" and running is not None):
            raise NomadError(400, "The upload is still being processed.")
        job = processor_for(store).submit(upload, Job(upload_id, "delete"))
        answer = upload_response(store, upload)
    if blocks(store, wait_for_processing):
        job.wait(WAIT_TIMEOUT)
    return answer


@router.post("/uploads/{upload_id}/action/publish")
def publish_upload(
    upload_id: str,
    store: StoreDep,
    user: RequiredUser,
    embargo_length: int | None = None,
    to_central_nomad: bool = False,
    wait_for_processing: bool = True,
) -> dict[str, Any]:
    """Publish an upload, with NOMAD's checks in NOMAD's order."""
    upload = writable_upload(
        store, upload_id, user, include_published=True, published_requires_admin=False
    )
    with store.lock:
        if upload.published and not user.is_admin and not to_central_nomad:
            raise NomadError(400, "Upload already published.")
        if upload.process_running:
            raise NomadError(400, BUSY)
        if upload.process_status == "FAILURE":
            raise NomadError(400, "Cannot publish an upload that failed processing.")
        if not any(not entry.process_running for entry in store.entries_of(upload)):
            raise NomadError(400, "Cannot publish an upload without any resulting entries.")
        if embargo_length is not None and not 0 <= embargo_length <= 36:
            raise NomadError(400, "Invalid embargo_length. Must be between 0 and 36 months.")
        if to_central_nomad:
            raise NomadError(400, "Must be on an OASIS to publish to the central NOMAD repository.")
        if upload.published:
            raise NomadError(400, "The upload is already published.")
        job = Job(upload_id, "publish", embargo_length=embargo_length)
        processor_for(store).submit(upload, job)
        # NOMAD 2.0 answers with the upload as it was when the workflow was scheduled
        answer = upload_response(store, upload)
    if blocks(store, wait_for_processing):
        job.wait(WAIT_TIMEOUT)
    return answer


@router.post("/uploads/{upload_id}/action/process")
def process_upload(upload_id: str, store: StoreDep, user: RequiredUser) -> dict[str, Any]:
    """Re-run processing (published uploads: admins only); not awaited."""
    upload = writable_upload(store, upload_id, user, include_published=True)
    with store.lock:
        if upload.process_running:
            raise NomadError(400, BUSY)
        processor_for(store).submit(upload, Job(upload_id, "process"))
        return upload_response(store, upload)
