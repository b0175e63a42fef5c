"""Routes of the stand-in NOMAD API: entry archives, one at a time, per search page, zipped.

Included by `routes/entries.py`.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from .._archive import archive_item, full_archive, has_archive, validate_required
from .._deps import OptionalUser, StoreDep
from .._entry_answers import (
    all_matching,
    manifest_item,
    page_json,
    paged,
    visible_entry,
    zip_response,
)
from .._entry_requests import (
    PaginationBody,
    RawBody,
    Search,
    UrlQueryParams,
    UrlSearchParams,
    WithQueryBody,
    checked_search,
)
from .._errors import NomadError
from .._responses import attachment
from .._signature import DownloadUser
from .._state import Store, UserRecord

router = APIRouter()

ARCHIVE_NOT_VISIBLE = "The entry does not exist or is not visible to you."
NO_ARCHIVE = "The entry does exist, but it has no archive."


class ArchivesBody(WithQueryBody):
    """`EntriesArchive`: a search returning archives."""

    pagination: PaginationBody | None = None
    required: Any = "*"


class ArchiveRequestBody(BaseModel):
    """`EntryArchiveRequest`: the `required` spec for one archive."""

    required: Any = "*"


@router.get("/entries/{entry_id}/archive")
def get_entry_archive(entry_id: str, store: StoreDep, user: OptionalUser) -> dict[str, Any]:
    """The whole archive of one entry."""
    return _one_archive(store, entry_id, user, "*")


@router.post("/entries/{entry_id}/archive/query")
def post_entry_archive_query(
    entry_id: str, body: ArchiveRequestBody, store: StoreDep, user: OptionalUser
) -> dict[str, Any]:
    """Parts of one entry's archive, chosen by `required`."""
    validate_required(store, body.required)
    return _one_archive(store, entry_id, user, body.required)


@router.get("/entries/{entry_id}/archive/download")
def download_entry_archive(entry_id: str, store: StoreDep, user: DownloadUser) -> Response:
    """The bare archive JSON as an attachment."""
    entry, _ = visible_entry(store, entry_id, user, ARCHIVE_NOT_VISIBLE)
    with store.lock:
        if not has_archive(entry):
            raise NomadError(404, NO_ARCHIVE)
        content = json.dumps(full_archive(store, entry)).encode("utf-8")
    suffix = ".archive.json" if store.api_version == "2.0" else ".json"
    return Response(
        content, media_type="application/json", headers=attachment(f"{entry_id}{suffix}")
    )


@router.post("/entries/archive/query")
def post_entries_archive_query(
    body: ArchivesBody, store: StoreDep, user: OptionalUser
) -> dict[str, Any]:
    """Archives of a page of search results."""
    request = checked_search(store, body.owner, body.query, body.pagination)
    validate_required(store, body.required)
    return _archives_page(store, user, request, body.required)


@router.get("/entries/archive")
def get_entries_archive(
    store: StoreDep, user: OptionalUser, params: UrlSearchParams
) -> dict[str, Any]:
    """Whole archives of a page of search results, searched with URL parameters."""
    return _archives_page(store, user, params.search(store), "*")


@router.post("/entries/archive/download/query")
def post_entries_archive_download(body: RawBody, store: StoreDep, user: DownloadUser) -> Response:
    """A zip of `<upload_id>/<entry_id>.json` archives plus `manifest.json`."""
    return _archives_zip(store, user, checked_search(store, body.owner, body.query, None))


@router.get("/entries/archive/download")
def get_entries_archive_download(
    store: StoreDep, user: DownloadUser, params: UrlQueryParams
) -> Response:
    """A zip of archives of all entries matching URL parameters."""
    return _archives_zip(store, user, params.search(store))


def _one_archive(
    store: Store, entry_id: str, user: UserRecord | None, required: Any
) -> dict[str, Any]:
    entry, _ = visible_entry(store, entry_id, user, ARCHIVE_NOT_VISIBLE)
    with store.lock:
        if not has_archive(entry):
            raise NomadError(404, NO_ARCHIVE)
        return {
            "entry_id": entry_id,
            "required": required,
            "data": archive_item(store, entry, required),
        }


def _archives_page(
    store: Store, user: UserRecord | None, request: Search, required: Any
) -> dict[str, Any]:
    page = paged(store, user, request)
    with store.lock:
        data = [
            archive_item(store, entry, required) for entry, _ in page.entries if has_archive(entry)
        ]
    return page_json(request, page, data, required=required)


def _archives_zip(store: Store, user: UserRecord | None, request: Search) -> Response:
    entries = all_matching(store, user, request)
    workdir = Path(tempfile.mkdtemp(dir=store.root))
    members: list[tuple[str, Path]] = []
    manifest = []
    with store.lock:
        for entry in entries:
            if not has_archive(entry):
                continue
            path = workdir / f"{entry.entry_id}.json"
            path.write_text(json.dumps(full_archive(store, entry)), encoding="utf-8")
            members.append((f"{entry.upload_id}/{entry.entry_id}.json", path))
            manifest.append(manifest_item(entry))
    return zip_response(workdir, members, manifest, "archives.zip")
