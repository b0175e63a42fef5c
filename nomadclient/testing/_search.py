"""Entry searches: owner scope, query and order combined into pages, with a per-query cache.

NOMAD answers entry searches from Elasticsearch. Here the "index" is the metadata dict of each
entry (`_entry_metadata.py`), the query language is compiled into a predicate over those dicts
(`_query.py`, `_query_match.py`), and the ordered id list of every (owner, user, query, order) is
cached per `store.generation`, so that walking a large result page by page costs one scan.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ._entry_metadata import indexed_metadata
from ._entry_pagination import (
    EntryPagination,
    OrderedIds,
    SearchPage,
    next_cursor,
    page_start,
    sorted_ids,
)
from ._per_store import PerStore
from ._query import Node, parse_query
from ._query_match import Predicate, compile_query
from ._search_owners import check_owner, owner_admits
from ._state import EntryRecord, Store, UserRecord


def matching_entries(
    store: Store, user: UserRecord | None, owner: str, predicate: Predicate | None
) -> Iterator[tuple[EntryRecord, dict[str, Any]]]:
    """Entries in the owner's scope that match, with their metadata (hold `store.lock`)."""
    for upload in list(store.uploads.values()):
        if not owner_admits(owner, upload, user):
            continue
        for entry_id in upload.entry_ids:
            entry = store.entries.get(entry_id)
            if entry is None:
                continue
            metadata = indexed_metadata(store, entry)
            if predicate is None or predicate(metadata):
                yield entry, metadata


def select_entry_ids(store: Store, user: UserRecord | None, owner: str, query: Any) -> list[str]:
    """The ids of all entries matching a raw `query` dict for `owner`, sorted by id.

    Raises NomadError (401/403 for owners, 422 for bad queries) like the search routes.
    """
    check_owner(owner, user, store.api_version)
    with store.lock:
        predicate = compile_query(store, parse_query(store, query))
        return sorted(
            entry.entry_id for entry, _ in matching_entries(store, user, owner, predicate)
        )


def search(
    store: Store,
    user: UserRecord | None,
    owner: str,
    query: Node | None,
    pagination: EntryPagination,
) -> SearchPage:
    """Run a search: owner rules, the query, ordering and one page of results."""
    check_owner(owner, user, store.api_version)
    with store.lock:
        ordered = _ordered_ids(store, user, owner, query, pagination)
        start = page_start(store, ordered, pagination)
        page_ids = ordered.ids[start : start + pagination.page_size]
        page = [
            (store.entries[entry_id], indexed_metadata(store, store.entries[entry_id]))
            for entry_id in page_ids
        ]
        cursor = None
        if page and start + len(page) < len(ordered.ids):
            cursor = next_cursor(store, pagination.order_by, page[-1][1])
        return SearchPage(len(ordered.ids), page, cursor)


@dataclass
class _ResultCache:
    """The ordered ids of recent searches, each valid for one store generation."""

    entries: OrderedDict[str, tuple[int, OrderedIds]] = field(default_factory=OrderedDict)
    # guards only this cache (a lock shared by all stores would serialize servers)
    lock: threading.Lock = field(default_factory=threading.Lock)


_RESULTS: PerStore[_ResultCache] = PerStore(lambda _: _ResultCache())
_MAX_CACHED_RESULTS = 64


def _ordered_ids(
    store: Store,
    user: UserRecord | None,
    owner: str,
    query: Node | None,
    pagination: EntryPagination,
) -> OrderedIds:
    echo = query.echo() if query is not None else None
    cache_key = json.dumps(
        [owner, user.user_id if user else None, echo, pagination.order_by, pagination.order],
        sort_keys=True,
        default=str,
    )
    cache = _RESULTS.of(store)
    with cache.lock:
        cached = cache.entries.get(cache_key)
        if cached is not None and cached[0] == store.generation:
            cache.entries.move_to_end(cache_key)
            return cached[1]
    predicate = compile_query(store, query)
    matches = matching_entries(store, user, owner, predicate)
    result = OrderedIds.of(
        sorted_ids(store, matches, pagination.order_by, pagination.order == "desc")
    )
    with cache.lock:
        cache.entries[cache_key] = (store.generation, result)
        while len(cache.entries) > _MAX_CACHED_RESULTS:
            cache.entries.popitem(last=False)
    return result
