"""Routes of the stand-in NOMAD API: entry metadata search and single entries (§7).

The archive and raw-file routes live in `entry_archives.py` and `entry_files.py` and are
included here, before `/entries/{entry_id}`, so `app.py` only needs this router.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from .._deps import OptionalUser, StoreDep
from .._entry_answers import NOT_VISIBLE, page_json, visible_entry
from .._entry_metadata import entry_metadata
from .._entry_requests import (
    ListParam,
    PaginationBody,
    Search,
    UrlSearchParams,
    WithQueryBody,
    checked_search,
)
from .._metadata_projection import project_metadata
from .._responses import json_response
from .._search import search
from .._search_owners import owner_admits
from .._state import Store, UserRecord
from . import entry_archives, entry_files

router = APIRouter()


class RequiredBody(BaseModel):
    """`MetadataRequired`: quantities to include or exclude."""

    include: list[str] | None = None
    exclude: list[str] | None = None


class MetadataBody(WithQueryBody):
    """`Metadata`: a search with pagination, `required` and (ignored) aggregations."""

    pagination: PaginationBody | None = None
    required: RequiredBody | None = None
    aggregations: dict[str, Any] | None = None


@router.post("/entries/query", response_model=None)
def post_entries_query(body: MetadataBody, store: StoreDep, user: OptionalUser) -> Response:
    """Search entries: `Metadata` body in, `MetadataResponse` out."""
    request = checked_search(store, body.owner, body.query, body.pagination)
    return json_response(_metadata_page(store, user, request, body.required), store.api_version)


@router.get("/entries", response_model=None)
def get_entries(
    request: Request,
    store: StoreDep,
    user: OptionalUser,
    params: UrlSearchParams,
    include: ListParam = None,
    exclude: ListParam = None,
) -> Response:
    """Search entries with URL parameters."""
    checked = params.search(store)
    required = RequiredBody(include=include, exclude=exclude) if include or exclude else None
    data = _metadata_page(store, user, checked, required)
    data["pagination"].update(_page_urls(request, data["pagination"]))
    return json_response(data, store.api_version)


router.include_router(entry_archives.router)
router.include_router(entry_files.router)


# registered last: `/entries/{entry_id}` would otherwise swallow `/entries/raw` and friends
@router.get("/entries/{entry_id}")
def get_entry(
    entry_id: str,
    store: StoreDep,
    user: OptionalUser,
    include: ListParam = None,
    exclude: ListParam = None,
) -> dict[str, Any]:
    """One entry's metadata; searched with owner `all`, so embargoed metadata is visible."""
    entry, _ = visible_entry(store, entry_id, user, NOT_VISIBLE, partial(owner_admits, "all"))
    metadata = entry_metadata(store, entry)
    required = RequiredBody(include=include, exclude=exclude)
    return {
        "entry_id": entry_id,
        "required": required.model_dump(exclude_none=True),
        "data": project_metadata(metadata, include, exclude),
    }


def _metadata_page(
    store: Store, user: UserRecord | None, request: Search, required: RequiredBody | None
) -> dict[str, Any]:
    page = search(store, user, request.owner, request.node, request.pagination)
    if required is None:
        return page_json(request, page, [metadata for _, metadata in page.entries])
    keep = ("entry_id", request.pagination.order_by)
    data = [
        project_metadata(metadata, required.include, required.exclude, keep)
        for _, metadata in page.entries
    ]
    return page_json(request, page, data, required=required.model_dump(exclude_none=True))


def _url_with(request: Request, **changes: str | None) -> str:
    parts = urlparse(str(request.url))
    params = [(key, value) for key, value in parse_qsl(parts.query) if key not in changes]
    params.extend((key, value) for key, value in changes.items() if value is not None)
    return urlunparse(parts._replace(query=urlencode(params)))


def _page_urls(request: Request, pagination: dict[str, Any]) -> dict[str, str]:
    """The `*_page_url` links of a GET search answer, from the answer's `pagination`."""
    urls = {
        "page_url": str(request.url),
        "first_page_url": _url_with(request, page=None, page_after_value=None, page_offset=None),
    }
    next_page_after_value = pagination.get("next_page_after_value")
    if next_page_after_value is not None:
        urls["next_page_url"] = _url_with(
            request, page=None, page_offset=None, page_after_value=next_page_after_value
        )
    page = pagination.get("page")
    if page is not None and page > 1:
        urls["prev_page_url"] = _url_with(request, page=str(page - 1))
    return urls
