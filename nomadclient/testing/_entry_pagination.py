"""Paging through entry searches: `MetadataPagination` checks, ordering, cursors, page windows.

Results are ordered like Elasticsearch orders them (ties by entry id, missing values last), and
`page_after_value` cursors are `<sort value>:<entry_id>` the way NOMAD builds them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ._entry_metadata import indexed_metadata
from ._quantities import SORT_ONLY, Quantity, quantity
from ._query import as_datetime, elasticsearch_error, query_error
from ._query_match import values_at
from ._state import EntryRecord, Store, omit_none
from ._validation import request_invalid


@dataclass(frozen=True)
class EntryPagination:
    """Validated `MetadataPagination` of one search request."""

    page_size: int = 10
    order_by: str = "entry_id"
    order: str = "asc"
    page_after_value: str | None = None
    page: int | None = None
    page_offset: int | None = None

    def echo(self) -> dict[str, Any]:
        """The request's fields as the response's `pagination` repeats them (nulls omitted)."""
        return omit_none(
            {
                "page_size": self.page_size,
                "order_by": self.order_by,
                "order": self.order,
                "page_after_value": self.page_after_value,
                "page": self.page,
                "page_offset": self.page_offset,
            }
        )


def entry_pagination(
    store: Store,
    *,
    page_size: int | None = 10,
    order_by: str | None = None,
    order: str | None = "asc",
    page_after_value: str | None = None,
    page: int | None = None,
    page_offset: int | None = None,
) -> EntryPagination:
    """NOMAD's `MetadataPagination` validation (422 items rendered per API version)."""
    size = 10 if page_size is None else page_size
    errors: list[dict[str, Any]] = []

    def error(error_type: str, loc: str | None, msg: str, value: Any) -> None:
        where = ("body", "pagination", loc) if loc else ("body", "pagination")
        errors.append({"type": error_type, "loc": where, "msg": msg, "input": value})

    v2 = store.api_version == "2.0"
    if size < 0:
        error("invalid_page_size", "page_size", "page_size must be >= 0", size)
    if page is not None:
        if page <= 0:
            error(
                "invalid_page", "page", "Page has to be larger than 1" + ("" if v2 else "."), page
            )
        elif page * size >= store.config.max_result_window:
            error(
                "invalid_page", "page", "Pagination by `page` is limited to 10.000 entries.", page
            )
    if page_offset is not None:
        if page_offset < 0:
            msg = "Page offset has to be larger than 0" + ("" if v2 else ".")
            error("invalid_page_offset", "page_offset", msg, page_offset)
        elif page_offset + size >= store.config.max_result_window:
            msg = (
                "Page offset plus page size has to be smaller than 10,000"
                if v2
                else "Page offset plus page size has to be smaller thant 10.0000."
            )
            error("invalid_page_offset", "page_offset", msg, page_offset)
    if sum(1 for value in (page_offset, page, page_after_value) if value) > 1:
        msg = "Can only specify one of: page_offset, page, or page_after_value"
        error("multiple_pagination_criteria", None, msg, None)
    if errors:
        raise request_invalid(errors, store.api_version)
    if size > store.config.max_result_window:
        raise elasticsearch_error(
            "Result window is too large, from + size must be less than or equal to: "
            f"[{store.config.max_result_window}] but was [{size + (page_offset or 0)}]."
        )
    name = "mainfile" if order_by == "mainfile_path" else (order_by or "entry_id")
    if name not in SORT_ONLY:
        known = quantity(store, name)
        if known is None:
            raise query_error(
                store, f"{name} is not a entries quantity", ["pagination", "order_by"]
            )
        if not known.scalar:
            msg = "the order_by quantity must be a scalar"
            raise query_error(store, msg, ["pagination", "order_by"])
    return EntryPagination(size, name, order or "asc", page_after_value, page, page_offset)


@dataclass(frozen=True)
class SearchPage:
    """One page of a search: the total, the page's entries and the cursor to the next page."""

    total: int
    entries: list[tuple[EntryRecord, dict[str, Any]]]
    next_page_after_value: str | None

    def pagination_json(self, pagination: EntryPagination) -> dict[str, Any]:
        """The response's `pagination`: the request echoed plus `total` and the cursor."""
        data = pagination.echo()
        data["total"] = self.total
        if self.next_page_after_value is not None:
            data["next_page_after_value"] = self.next_page_after_value
        return data


@dataclass(frozen=True)
class OrderedIds:
    """The ordered ids matching one search, with each id's position."""

    ids: list[str]
    positions: dict[str, int]

    @classmethod
    def of(cls, ids: list[str]) -> OrderedIds:
        """The ids in this order, indexed by position."""
        return cls(ids, {entry_id: index for index, entry_id in enumerate(ids)})


def sorted_ids(
    store: Store,
    matches: Iterable[tuple[EntryRecord, dict[str, Any]]],
    order_by: str,
    descending: bool,
) -> list[str]:
    """The ids of `matches` in the requested order (ties by id, missing values last)."""
    # scans build no per-entry containers: on large stores the garbage collector would
    # walk the whole index each time they pile up, which cost more than the scan itself
    if order_by in ("entry_id", *SORT_ONLY):
        return sorted((entry.entry_id for entry, _ in matches), reverse=descending)
    key_of = _sort_key(store, order_by)
    keys = {entry.entry_id: key_of(metadata) for entry, metadata in matches}
    # ties go by entry id: order by id first, then stably by the key, both in one direction
    ids = sorted(keys, reverse=descending)
    present = [entry_id for entry_id in ids if keys[entry_id] is not None]
    try:
        present.sort(key=keys.__getitem__, reverse=descending)
    except TypeError:  # values of different kinds: compare them as text
        present.sort(key=lambda entry_id: (str(keys[entry_id]), entry_id), reverse=descending)
    # Elasticsearch puts entries without a value last in either direction
    return present + [entry_id for entry_id in ids if keys[entry_id] is None]


def next_cursor(store: Store, order_by: str, metadata: dict[str, Any]) -> str:
    """The `page_after_value` that continues after the entry with `metadata`."""
    entry_id = str(metadata["entry_id"])
    if order_by in ("entry_id", *SORT_ONLY):
        return entry_id
    key = _sort_key(store, order_by)(metadata)
    known = quantity(store, order_by)
    if key is None:
        text = ""
    elif known is not None and known.kind == "datetime":
        # Elasticsearch's sort values for dates are epoch milliseconds
        text = str(round(key * 1000))
    elif isinstance(key, float) and key.is_integer():
        text = str(int(key))
    else:
        text = str(key)
    return f"{text}:{entry_id}"


def page_start(store: Store, ordered: OrderedIds, pagination: EntryPagination) -> int:
    """Where in `ordered` the requested page starts (page, offset or cursor)."""
    if pagination.page_offset is not None:
        return pagination.page_offset
    if pagination.page is not None:
        return (pagination.page - 1) * pagination.page_size
    after = pagination.page_after_value
    if not after:
        return 0
    by_id = pagination.order_by in ("entry_id", *SORT_ONLY)
    if not by_id and ":" not in after:
        after += ":"
    entry_id = after if by_id else after.rsplit(":", 1)[1]
    position = ordered.positions.get(entry_id)
    if position is not None:
        return position + 1
    return _position_after(store, ordered, pagination, after)


def _sort_key(store: Store, order_by: str) -> Callable[[dict[str, Any]], Any]:
    """How entries' metadata sorts by `order_by` (None: no value); the quantity looked up once."""
    known = quantity(store, order_by)
    is_datetime = known is not None and known.kind == "datetime"

    def key(metadata: dict[str, Any]) -> Any:
        values = values_at(metadata, order_by)
        if not values:
            return None
        value = values[0]
        if is_datetime:
            try:
                return as_datetime(value).timestamp()
            except (TypeError, ValueError):
                return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int | float):
            return float(value)
        return str(value)

    return key


def _position_after(
    store: Store, ordered: OrderedIds, pagination: EntryPagination, after: str
) -> int:
    # the cursor's entry left the result since: find the first entry beyond the cursor's key
    descending = pagination.order == "desc"
    if pagination.order_by in ("entry_id", *SORT_ONLY):
        wanted: tuple[Any, str] = (0, after)
        keys = [(0, entry_id) for entry_id in ordered.ids]
    else:
        text, entry_id = after.rsplit(":", 1)
        known = quantity(store, pagination.order_by)
        wanted = (_parse_cursor_value(known, text), entry_id)
        key_of = _sort_key(store, pagination.order_by)
        keys = [(key_of(indexed_metadata(store, store.entries[i])), i) for i in ordered.ids]
    for index, key in enumerate(keys):
        try:
            beyond = key < wanted if descending else key > wanted
        except TypeError:
            beyond = False
        if key[0] is None or beyond:
            return index
    return len(keys)


def _parse_cursor_value(known: Quantity | None, text: str) -> Any:
    if known is None or known.kind == "str":
        return text
    try:
        number = float(text)
    except ValueError as error:
        raise elasticsearch_error(
            f"failed to parse search_after value [{text}] for field [{known.name}]"
        ) from error
    return number / 1000 if known.kind == "datetime" else number
