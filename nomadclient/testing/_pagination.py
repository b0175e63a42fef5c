"""NOMAD's index-based pagination for list endpoints backed by Mongo (§9 of the reference).

Used by `GET /datasets`, `GET /uploads`, `GET /uploads/{id}/entries` and `rawdir`:

```python
DatasetPages = pagination_params(order_by_choices=("dataset_create_time", "dataset_name"))

@router.get("/datasets")
def get_datasets(request: Request, pagination: Annotated[PageRequest, Depends(DatasetPages)]):
    ordered = sorted(records, key=..., reverse=pagination.descending)
    page_items, pagination_json = paginate_list(ordered, pagination, request)
```

Validation errors, "Page out of range requested." and the response's `page_url` family follow
NOMAD's `Pagination`/`PaginationResponse` models; a non-numeric `page_after_value` raises
`ValueError` (NOMAD answers 500 there too).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

from fastapi import Query, Request

from ._deps import StoreDep
from ._errors import NomadError
from ._validation import request_invalid

T = TypeVar("T")


class Direction(str, enum.Enum):
    """Order direction, either ascending (`asc`) or descending (`desc`)."""

    asc = "asc"
    desc = "desc"


@dataclass(frozen=True)
class PageRequest:
    """Validated pagination parameters of one request."""

    page_size: int = 10
    order_by: str | None = None
    order: str = "asc"
    page_after_value: str | None = None
    page: int | None = None
    page_offset: int | None = None

    @property
    def descending(self) -> bool:
        """True for `order=desc`."""
        return self.order == Direction.desc.value

    def start_index(self) -> int:
        """The 0-based index of the page's first item (NOMAD's `get_simple_index`)."""
        if self.page_offset is not None:
            return self.page_offset
        if self.page is not None:
            return (self.page - 1) * self.page_size
        if self.page_after_value is not None:
            # int() raises ValueError on junk: NOMAD answers that with a 500 as well
            index = int(self.page_after_value) + 1
            if index < 0:
                raise AssertionError
            return index
        return 0


def pagination_params(
    *,
    order_by_choices: Collection[str] | None = None,
    default_order_by: str | None = None,
    order_by_aliases: Mapping[str, str] | None = None,
    default_page_size: int = 10,
) -> Callable[..., PageRequest]:
    """A FastAPI dependency reading NOMAD's pagination query parameters.

    `order_by_choices` None means any `order_by` is accepted; otherwise other values are a 422
    "order_by must be a valid attribute". Aliases are resolved before that check.
    """
    aliases = dict(order_by_aliases or {})

    def read_pagination(
        store: StoreDep,
        page_size: Annotated[int | None, Query()] = default_page_size,
        order_by: Annotated[str | None, Query()] = default_order_by,
        order: Annotated[Direction | None, Query()] = Direction.asc,
        page_after_value: Annotated[str | None, Query()] = None,
        page: Annotated[int | None, Query()] = None,
        page_offset: Annotated[int | None, Query()] = None,
    ) -> PageRequest:
        order_by = aliases.get(order_by, order_by) if order_by is not None else None
        request = PageRequest(
            page_size=default_page_size if page_size is None else page_size,
            order_by=order_by,
            order=(order or Direction.asc).value,
            page_after_value=page_after_value,
            page=page,
            page_offset=page_offset,
        )
        errors = _field_errors(request, order_by_choices) or _combination_errors(request)
        if errors:
            raise request_invalid(errors, store.api_version)
        return request

    return read_pagination


def paginate_list(
    items: Sequence[T], pagination: PageRequest, request: Request
) -> tuple[list[T], dict[str, Any]]:
    """The requested page of already ordered `items`, and the response's `pagination` object."""
    total = len(items)
    page: int = 1
    page_after_value: str | None = None
    next_page_after_value: str | None = None
    page_items: list[T] = []
    if pagination.page_size:
        start = pagination.start_index()
        page = start // pagination.page_size + 1
        page_after_value = None if page == 1 else str(start - 1)
        if pagination.page_size * page < total:
            next_page_after_value = str(start + pagination.page_size - 1)
        if (total == 0 and page != 1) or (0 < total <= (page - 1) * pagination.page_size):
            raise NomadError(400, "Page out of range requested.")
        page_items = list(items[start : start + pagination.page_size])
    response: dict[str, Any] = {
        "page_size": pagination.page_size,
        "order_by": pagination.order_by,
        "order": pagination.order,
        "page_after_value": page_after_value,
        "page": page,
        "page_offset": pagination.page_offset,
        "total": total,
        "next_page_after_value": next_page_after_value,
    }
    if request.method.upper() == "GET":
        response.update(_page_urls(str(request.url), pagination, page, next_page_after_value))
    return page_items, {key: value for key, value in response.items() if value is not None}


def _page_urls(
    url: str, pagination: PageRequest, page: int, next_page_after_value: str | None
) -> dict[str, str | None]:
    return {
        "page_url": url,
        "next_page_url": (
            _with_query(url, page=None, page_after_value=next_page_after_value)
            if next_page_after_value
            else None
        ),
        "prev_page_url": (
            _with_query(url, page=str(page - 1), page_after_value=None) if page > 1 else None
        ),
        "first_page_url": (
            _with_query(url, page=None, page_after_value=None) if pagination.page_size else None
        ),
    }


def _with_query(url: str, **changes: str | None) -> str:
    """`url` with query arguments replaced (value) or removed (None), like NOMAD's helper."""
    scheme, netloc, path, params, query, fragment = urlparse(url)
    arguments = parse_qs(query)
    for key, value in changes.items():
        if value is None:
            arguments.pop(key, None)
        else:
            arguments[key] = [value]
    return urlunparse((scheme, netloc, path, params, urlencode(arguments, doseq=True), fragment))


def _field_errors(
    request: PageRequest, order_by_choices: Collection[str] | None
) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    if request.page_size < 0:
        errors.append(_error("invalid_page_size", "page_size", "page_size must be >= 0", request))
    if (
        order_by_choices is not None
        and request.order_by is not None
        and request.order_by not in order_by_choices
    ):
        reason = "order_by must be a valid attribute"
        errors.append(
            {
                "type": "assertion_error",
                "loc": ["query", "order_by"],
                "msg": f"Assertion failed, {reason}",
                "input": request.order_by,
                "ctx": {"error": reason},
            }
        )
    if request.page is not None and request.page < 1:
        errors.append(_error("invalid_page", "page", "page must be >= 1", request))
    if request.page_offset is not None and request.page_offset < 0:
        errors.append(
            _error("invalid_page_offset", "page_offset", "page_offset must be >= 0", request)
        )
    return errors


def _combination_errors(request: PageRequest) -> list[dict[str, Any]]:
    # NOMAD counts truthy values here: page_offset=0 together with page=2 passes
    given = [bool(request.page_offset), bool(request.page), bool(request.page_after_value)]
    if sum(given) > 1:
        return [
            _root_error(
                "multiple_pagination_criteria",
                "Can only specify one of: page_offset, page, or page_after_value",
            )
        ]
    if request.page_size == 0:
        for name in ("page_offset", "page", "page_after_value"):
            if getattr(request, name) is not None:
                return [
                    _root_error(
                        "invalid_pagination", f"Cannot specify {name} when page_size is set to 0"
                    )
                ]
    return []


def _error(error_type: str, field: str, msg: str, request: PageRequest) -> dict[str, Any]:
    return {
        "type": error_type,
        "loc": ["query", field],
        "msg": msg,
        "input": getattr(request, field),
    }


def _root_error(error_type: str, msg: str) -> dict[str, Any]:
    # a model-level error has an empty loc; NOMAD prefixes "query"
    return {"type": error_type, "loc": ["query"], "msg": msg, "input": None}
