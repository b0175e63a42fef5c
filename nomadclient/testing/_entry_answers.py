"""What entry routes answer with: visible entries, search pages and download zips."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from ._entry_pagination import EntryPagination, SearchPage
from ._entry_requests import Search
from ._errors import NomadError, forbidden
from ._files import iter_zip
from ._query import Node
from ._query_match import compile_query
from ._responses import attachment
from ._search import matching_entries, search
from ._state import EntryRecord, Store, UploadRecord, UserRecord, can_read

NOT_VISIBLE = "The entry with the given id does not exist or is not visible to you."
OWNER_ALL = (
    "The owner=all is not allowed for this operation as it will search for entries\n"
    "that you might now be allowed to access."
)


def page_json(request: Search, page: SearchPage, data: list[Any], **extra: Any) -> dict[str, Any]:
    """A search answer: the request echoed (`extra` after the pagination), then the data."""
    return {
        "owner": request.owner,
        **_query_json(request.node),
        "pagination": page.pagination_json(request.pagination),
        **extra,
        "data": data,
    }


def paged(store: Store, user: UserRecord | None, request: Search) -> SearchPage:
    """One page of a search by a route that refuses `owner=all`."""
    if request.owner == "all":
        raise forbidden(OWNER_ALL, store.api_version)
    return search(store, user, request.owner, request.node, request.pagination)


def visible_entry(
    store: Store,
    entry_id: str,
    user: UserRecord | None,
    missing: str,
    admits: Callable[[UploadRecord, UserRecord | None], bool] = can_read,
) -> tuple[EntryRecord, UploadRecord]:
    """An entry whose upload `admits` the user (default: owner `visible`), else 404 `missing`."""
    with store.lock:
        entry = store.entries.get(entry_id)
        upload = store.uploads.get(entry.upload_id) if entry is not None else None
        if entry is None or upload is None or not admits(upload, user):
            raise NomadError(404, missing)
        return entry, upload


def all_matching(store: Store, user: UserRecord | None, request: Search) -> list[EntryRecord]:
    """Every entry of a download query, within `services.max_entry_download`."""
    first = paged(store, user, replace(request, pagination=EntryPagination(page_size=0)))
    limit = store.config.max_entry_download
    if first.total > limit:
        word = "exceeded" if store.api_version == "2.0" else "exeeded"
        raise NomadError(
            400,
            f"The limit of maximum number of entries in a single download ({limit}) has been "
            f"{word} ({first.total}).",
        )
    with store.lock:
        matches = matching_entries(store, user, request.owner, compile_query(store, request.node))
        return sorted((entry for entry, _ in matches), key=lambda entry: entry.entry_id)


def manifest_item(entry: EntryRecord) -> dict[str, Any]:
    """An entry as the `manifest.json` of download zips lists it."""
    return {"entry_id": entry.entry_id, "upload_id": entry.upload_id, "mainfile": entry.mainfile}


def zip_response(
    workdir: Path, members: list[tuple[str, Path]], manifest: list[Any], filename: str
) -> StreamingResponse:
    """A streamed zip of `members` plus their `manifest.json`, cleaning `workdir` after."""
    manifest_path = workdir / "manifest.json"
    manifest_path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return StreamingResponse(
        iter_zip([*members, ("manifest.json", manifest_path)]),
        media_type="application/zip",
        headers=attachment(filename),
        background=BackgroundTask(shutil.rmtree, workdir, ignore_errors=True),
    )


def _query_json(node: Node | None) -> dict[str, Any]:
    return {} if node is None else {"query": node.echo()}
