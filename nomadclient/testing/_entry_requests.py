"""How entry routes read a search: request bodies and URL parameters, checked into a `Search`.

Every search comes as a POST body or as URL parameters; both are read into a `Search` (owner,
query tree, pagination) before anything is looked up, so each route answers the same way for
both spellings.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import BaseModel, ConfigDict

from ._entry_pagination import EntryPagination, entry_pagination
from ._errors import NomadError
from ._pagination import Direction
from ._quantities import quantity
from ._query import Node, parse_query
from ._state import Store

ListParam = Annotated[list[str] | None, Query()]


class Owner(str, enum.Enum):
    """The `owner` values, in NOMAD's order (its 422 messages list them so)."""

    public = "public"
    all_ = "all"
    visible = "visible"
    shared = "shared"
    user = "user"
    staging = "staging"
    admin = "admin"


class PaginationBody(BaseModel):
    """`MetadataPagination` as sent in request bodies."""

    page_size: int | None = 10
    order_by: str | None = None
    order: Direction | None = Direction.asc
    page_after_value: str | None = None
    page: int | None = None
    page_offset: int | None = None


class FilesBody(BaseModel):
    """`Files`: which raw files a download contains."""

    compress: bool | None = False
    glob_pattern: str | None = None
    re_pattern: str | None = None
    include_files: list[str] | None = None


class WithQueryBody(BaseModel):
    """The owner and query every entries search body has."""

    model_config = ConfigDict(extra="ignore")

    owner: Owner | None = Owner.public
    query: Any = None


class RawBody(WithQueryBody):
    """`EntriesRaw` / `EntriesArchiveDownload`: a search whose files are zipped."""

    files: FilesBody | None = None


@dataclass(frozen=True)
class Search:
    """A validated search request: whose entries, which ones, and which page of them."""

    owner: str
    node: Node | None
    # downloads take every match: their searches carry the default pagination
    pagination: EntryPagination


def checked_search(
    store: Store, owner: Owner | None, raw_query: Any, pagination: PaginationBody | None
) -> Search:
    """A body's owner, query and pagination as a `Search` (422s in NOMAD's order)."""
    # the query is checked before the pagination, as NOMAD's models are
    node = parse_query(store, raw_query)
    return Search(_owner(owner), node, _pagination(store, pagination))


@dataclass(frozen=True)
class UrlQuery:
    """The owner and query URL parameters of a GET search, read but not yet checked.

    Checking waits for `search()`, so that FastAPI's own 422s for malformed parameters come
    first, as they do in NOMAD.
    """

    request: Request
    owner: Owner
    json_query: str | None
    q: list[str]

    def search(self, store: Store, pagination: PaginationBody | None = None) -> Search:
        """The validated search these parameters describe."""
        raw_query = _url_query(self.request, store, self.json_query, self.q)
        return checked_search(store, self.owner, raw_query, pagination)


def url_query(
    request: Request,
    owner: Annotated[Owner, Query()] = Owner.public,
    json_query: str | None = None,
    q: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI copies defaults)
) -> UrlQuery:
    """NOMAD's search URL parameters: `owner`, `json_query`, `q` (and quantity=value pairs)."""
    return UrlQuery(request, owner, json_query, q)


@dataclass(frozen=True)
class UrlSearch:
    """The search and pagination URL parameters of a paginated GET search, not yet checked."""

    query: UrlQuery
    pagination: PaginationBody

    def search(self, store: Store) -> Search:
        """The validated search these parameters describe."""
        return self.query.search(store, self.pagination)


def url_search(
    query: Annotated[UrlQuery, Depends(url_query)],
    page_size: int | None = 10,
    order_by: str | None = None,
    order: Direction | None = Direction.asc,
    page_after_value: str | None = None,
    page: int | None = None,
    page_offset: int | None = None,
) -> UrlSearch:
    """The search URL parameters plus NOMAD's `MetadataPagination` ones."""
    pagination = PaginationBody(
        page_size=page_size,
        order_by=order_by,
        order=order,
        page_after_value=page_after_value,
        page=page,
        page_offset=page_offset,
    )
    return UrlSearch(query, pagination)


UrlQueryParams = Annotated[UrlQuery, Depends(url_query)]
UrlSearchParams = Annotated[UrlSearch, Depends(url_search)]


def _owner(owner: Owner | None) -> str:
    return (owner or Owner.public).value


def _pagination(store: Store, body: PaginationBody | None) -> EntryPagination:
    body = body or PaginationBody()
    return entry_pagination(
        store,
        page_size=body.page_size,
        order_by=body.order_by,
        order=body.order.value if body.order else "asc",
        page_after_value=body.page_after_value,
        page=body.page,
        page_offset=body.page_offset,
    )


# GET parameters that are not search quantities
_RESERVED = frozenset(
    (
        "owner", "json_query", "q", "page_size", "order_by", "order", "page_after_value",
        "page", "page_offset", "include", "exclude", "compress", "glob_pattern", "re_pattern",
        "include_files", "signature_token",
    )
)  # fmt: skip


def _url_query(request: Request, store: Store, json_query: str | None, q: list[str]) -> Any:
    """A query from URL parameters the way NOMAD's `QueryParameters` builds it."""
    params: dict[str, list[str]] = {}
    for key in request.query_params:
        if key not in _RESERVED:
            params[key] = request.query_params.getlist(key)
    for item in q:
        fragments = item.split("__")
        if len(fragments) == 1 or len(fragments) > 3:
            raise NomadError(
                422,
                [{"loc": ["query", "q"], "msg": "wrong format, use <quantity>[__<op>]__<value>"}],
            )
        name_op, value = "__".join(fragments[:-1]), fragments[-1]
        name = name_op.split("__", 1)[0]
        if quantity(store, name) is None:
            raise NomadError(
                422, [{"loc": ["query", item], "msg": f"{name} is not a entries quantity"}]
            )
        params.setdefault(name_op, []).append(value)
    query: dict[str, Any] = {}
    for key, values in params.items():
        name, _, op = key.partition("__")
        known = quantity(store, name)
        if known is None:
            continue
        op = op or ("any" if known.scalar else "all")
        if op in ("all", "any", "none"):
            query[name] = {op: values}
        elif op in ("gt", "gte", "lt", "lte"):
            if len(values) > 1:
                msg = f"operator {op} does not support multiple values"
                raise NomadError(422, [{"loc": ["query", key], "msg": msg}])
            query[name] = {op: values[0]}
        else:
            raise NomadError(422, [{"loc": ["query", key], "msg": f"operator {op} is unknown"}])
    if json_query is not None:
        try:
            parsed = json.loads(json_query)
            query.update(**parsed)
        except (ValueError, TypeError) as error:
            raise NomadError(
                422, [{"loc": ["json_query"], "msg": "cannot parse json_query"}]
            ) from error
    return query
