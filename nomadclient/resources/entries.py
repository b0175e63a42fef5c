"""Entries: search with NOMAD's query language, archives, and raw-file downloads."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .._http import RequestPipeline
from .._ops import Op
from .._pagination import AsyncPageIterator, Page, PageIterator
from .._transfer import download
from .._types import ProgressCallback
from ..models import AsyncEntry, AsyncUpload, Entry, Upload
from ._common import factory, page_of, segment

if TYPE_CHECKING:
    from ..client import AsyncNomadClient, NomadClient

E = TypeVar("E")

Archive = dict[str, Any]
"""An entry's archive (or the part of it a `required` spec selects) as NOMAD's JSON."""

# NOMAD's query operators, accepted as the last `__` part of a keyword filter
OPERATORS = frozenset({"any", "all", "none", "gt", "gte", "lt", "lte"})

# NOMAD's boolean query operators, which cannot be merged with other criteria key by key
BOOLEAN_KEYS = frozenset({"and", "or", "not"})

# keyword filters that name a quantity other than their own name
ALIASES = {
    "dataset_id": "datasets.dataset_id",
    "dataset_name": "datasets.dataset_name",
    "main_author_id": "main_author.user_id",
    "elements": "results.material.elements",
    "formula": "results.material.chemical_formula_reduced",
}


def build_query(query: Mapping[str, Any] | None, filters: Mapping[str, Any]) -> dict[str, Any]:
    """NOMAD's query from a query dict and keyword filters, AND-ed.

    A keyword names a quantity with `__` for dots (`results__material__n_elements=2`) and may end
    in an operator (`results__material__n_elements__gte=2`); a few common quantities have short
    names (`dataset_id`, `elements`, `formula`, `main_author_id`). A list value means all of its
    values, as in NOMAD. Criteria are merged into one flat query when NOMAD allows it, and
    combined with `and` when a quantity appears twice or the query dict is a boolean tree.
    """
    criteria: list[tuple[str, str, Any]] = [
        (_quantity(key), key, value) for key, value in (query or {}).items()
    ]
    for keyword, value in filters.items():
        parts = keyword.split("__")
        operator = parts.pop() if len(parts) > 1 and parts[-1] in OPERATORS else None
        name = ALIASES.get(".".join(parts), ".".join(parts))
        key = f"{name}:{operator}" if operator else name
        criteria.append(
            (name, key, list(value) if isinstance(value, (tuple, set, frozenset)) else value)
        )
    names = [name for name, _, _ in criteria]
    if len(set(names)) == len(names) and not BOOLEAN_KEYS & set(names):
        return {key: value for _, key, value in criteria}
    return {"and": [{key: value} for _, key, value in criteria]}


def _quantity(key: str) -> str:
    """The quantity a query key names (`results.material.n_elements:gte` → without `:gte`)."""
    return key.partition(":")[0]


class EntryOps(Generic[E]):
    """The entries operations, as sans-IO generators producing `E` entries."""

    def __init__(self, pipeline: RequestPipeline, make_entry: Callable[[dict[str, Any]], E]):
        self._pipeline = pipeline
        self._make_entry = make_entry

    def get(self, entry_id: str) -> Op[E]:
        """`GET /entries/{entry_id}`."""
        answer = yield from self._pipeline.json("GET", f"entries/{segment(entry_id)}")
        return self._make_entry(answer["data"])

    def query_page(self, body: dict[str, Any], cursor: str | None) -> Op[Page[E]]:
        """One page of `POST /entries/query`."""
        answer = yield from self._pipeline.json("POST", "entries/query", json=_paged(body, cursor))
        return page_of(answer, self._make_entry)

    def archive(self, entry_id: str, required: Any) -> Op[Archive]:
        """An entry's archive: whole (`GET`), or the parts `required` selects (`POST .../query`)."""
        if required is None:
            answer = yield from self._pipeline.json("GET", f"entries/{segment(entry_id)}/archive")
        else:
            answer = yield from self._pipeline.json(
                "POST",
                f"entries/{segment(entry_id)}/archive/query",
                json={"required": required},
            )
        archive: Archive = answer["data"]["archive"]
        return archive

    def archives_page(self, body: dict[str, Any], cursor: str | None) -> Op[Page[Archive]]:
        """One page of `POST /entries/archive/query`: `{entry_id, upload_id, archive}` items."""
        answer = yield from self._pipeline.json(
            "POST", "entries/archive/query", json=_paged(body, cursor)
        )
        return page_of(answer, dict)

    def download_raw(
        self,
        entry_id: str,
        target: str | os.PathLike[str],
        *,
        overwrite: bool,
        on_progress: ProgressCallback | None,
    ) -> Op[Path]:
        """A zip of the entry's raw files (the mainfile's directory) streamed to `target`."""
        return download(
            self._pipeline,
            f"entries/{segment(entry_id)}/raw",
            target,
            overwrite=overwrite,
            on_progress=on_progress,
        )

    def download_archive(
        self,
        entry_id: str,
        target: str | os.PathLike[str],
        *,
        overwrite: bool,
        on_progress: ProgressCallback | None,
    ) -> Op[Path]:
        """The entry's archive as a JSON file streamed to `target`."""
        return download(
            self._pipeline,
            f"entries/{segment(entry_id)}/archive/download",
            target,
            overwrite=overwrite,
            on_progress=on_progress,
        )


def search_body(
    query: Mapping[str, Any] | None,
    filters: Mapping[str, Any],
    *,
    owner: str,
    required: Any,
    order_by: str | None,
    order: str | None,
    page_size: int,
) -> dict[str, Any]:
    """The body of NOMAD's search endpoints, without the cursor."""
    pagination: dict[str, Any] = {"page_size": page_size}
    if order_by is not None:
        pagination["order_by"] = order_by
    if order is not None:
        pagination["order"] = order
    body: dict[str, Any] = {
        "owner": owner,
        "query": build_query(query, filters),
        "pagination": pagination,
    }
    if required is not None:
        body["required"] = required
    return body


def _paged(body: dict[str, Any], cursor: str | None) -> dict[str, Any]:
    if cursor is None:
        return body
    return {**body, "pagination": {**body["pagination"], "page_after_value": cursor}}


class Entries:
    """`client.entries`: search NOMAD and fetch what entries hold."""

    def __init__(self, client: NomadClient) -> None:
        self._client = client
        self._ops: EntryOps[Entry] = EntryOps(client._pipeline, factory(Entry, self))

    def get(self, entry_id: str) -> Entry:
        """An entry's metadata by id."""
        return self._client._run(self._ops.get(entry_id))

    def query(
        self,
        query: Mapping[str, Any] | None = None,
        *,
        owner: str = "visible",
        required: Mapping[str, Any] | None = None,
        order_by: str | None = None,
        order: str | None = None,
        page_size: int = 100,
        limit: int | None = None,
        **filters: Any,
    ) -> PageIterator[Entry]:
        """Entries matching a query, lazily over all pages (see `build_query` for filters).

        `owner` is NOMAD's: `visible` (public data and what you may see, the default), `public`,
        `user` (yours), `shared`, `staging` (unpublished), `all`. `required` is NOMAD's
        `{"include": [...]}` or `{"exclude": [...]}` of metadata fields.
        """
        body = search_body(
            query,
            filters,
            owner=owner,
            required=required,
            order_by=order_by,
            order=order,
            page_size=page_size,
        )
        return PageIterator(
            lambda cursor: self._ops.query_page(body, cursor), self._client._run, limit
        )

    def archives(
        self,
        query: Mapping[str, Any] | None = None,
        *,
        required: Any = "*",
        owner: str = "visible",
        page_size: int = 10,
        limit: int | None = None,
        **filters: Any,
    ) -> PageIterator[Archive]:
        """Archives of the matching entries in bulk: `{entry_id, upload_id, archive}` dicts."""
        body = search_body(
            query,
            filters,
            owner=owner,
            required=required,
            order_by=None,
            order=None,
            page_size=page_size,
        )
        return PageIterator(
            lambda cursor: self._ops.archives_page(body, cursor), self._client._run, limit
        )

    def archive(self, entry_id: str, *, required: Any = None) -> Archive:
        """An entry's archive as a dict; `required` selects parts (NOMAD's spec)."""
        return self._client._run(self._ops.archive(entry_id, required))

    def download_raw(
        self,
        entry_id: str,
        target: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> Path:
        """A zip of the entry's raw files, streamed to `target`."""
        return self._client._run(
            self._ops.download_raw(entry_id, target, overwrite=overwrite, on_progress=on_progress)
        )

    def download_archive(
        self,
        entry_id: str,
        target: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> Path:
        """The entry's archive as a JSON file, streamed to `target`."""
        return self._client._run(
            self._ops.download_archive(
                entry_id, target, overwrite=overwrite, on_progress=on_progress
            )
        )

    def get_upload(self, upload_id: str) -> Upload:
        """The upload an entry belongs to."""
        return self._client.uploads.get(upload_id)


class AsyncEntries:
    """`client.entries` of `AsyncNomadClient`; see `Entries` for the behaviour."""

    def __init__(self, client: AsyncNomadClient) -> None:
        self._client = client
        self._ops: EntryOps[AsyncEntry] = EntryOps(client._pipeline, factory(AsyncEntry, self))

    async def get(self, entry_id: str) -> AsyncEntry:
        """An entry's metadata by id."""
        return await self._client._run(self._ops.get(entry_id))

    def query(
        self,
        query: Mapping[str, Any] | None = None,
        *,
        owner: str = "visible",
        required: Mapping[str, Any] | None = None,
        order_by: str | None = None,
        order: str | None = None,
        page_size: int = 100,
        limit: int | None = None,
        **filters: Any,
    ) -> AsyncPageIterator[AsyncEntry]:
        """Entries matching a query, lazily over all pages (`async for`)."""
        body = search_body(
            query,
            filters,
            owner=owner,
            required=required,
            order_by=order_by,
            order=order,
            page_size=page_size,
        )
        return AsyncPageIterator(
            lambda cursor: self._ops.query_page(body, cursor), self._client._run, limit
        )

    def archives(
        self,
        query: Mapping[str, Any] | None = None,
        *,
        required: Any = "*",
        owner: str = "visible",
        page_size: int = 10,
        limit: int | None = None,
        **filters: Any,
    ) -> AsyncPageIterator[Archive]:
        """Archives of the matching entries in bulk (`async for`)."""
        body = search_body(
            query,
            filters,
            owner=owner,
            required=required,
            order_by=None,
            order=None,
            page_size=page_size,
        )
        return AsyncPageIterator(
            lambda cursor: self._ops.archives_page(body, cursor), self._client._run, limit
        )

    async def archive(self, entry_id: str, *, required: Any = None) -> Archive:
        """An entry's archive as a dict; `required` selects parts (NOMAD's spec)."""
        return await self._client._run(self._ops.archive(entry_id, required))

    async def download_raw(
        self,
        entry_id: str,
        target: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> Path:
        """A zip of the entry's raw files, streamed to `target`."""
        return await self._client._run(
            self._ops.download_raw(entry_id, target, overwrite=overwrite, on_progress=on_progress)
        )

    async def download_archive(
        self,
        entry_id: str,
        target: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> Path:
        """The entry's archive as a JSON file, streamed to `target`."""
        return await self._client._run(
            self._ops.download_archive(
                entry_id, target, overwrite=overwrite, on_progress=on_progress
            )
        )

    async def get_upload(self, upload_id: str) -> AsyncUpload:
        """The upload an entry belongs to."""
        return await self._client.uploads.get(upload_id)


if TYPE_CHECKING:
    from ..models._protocols import AsyncEntryManager, EntryManager

    def _conforms(
        manager: Entries, async_manager: AsyncEntries
    ) -> tuple[EntryManager, AsyncEntryManager]:
        """Lets mypy check that the managers give the domain objects what they call."""
        return manager, async_manager
