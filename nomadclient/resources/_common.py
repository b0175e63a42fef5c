"""Pieces every resource module uses: path quoting, page parsing, model binding."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

from .._pagination import Page
from ..models import bind, structure

M = TypeVar("M")


def segment(value: str) -> str:
    """One path segment (an id), quoted so that `/` or `?` in it cannot change the route."""
    return quote(str(value), safe="")


def file_path(value: str) -> str:
    """A path inside an upload, quoted segment by segment."""
    return quote(str(value).lstrip("/"), safe="/")


def page_of(answer: Mapping[str, Any], make: Callable[[dict[str, Any]], M]) -> Page[M]:
    """A `Page` from NOMAD's `{"pagination": ..., "data": [...]}` answer."""
    pagination = dict(answer.get("pagination") or {})
    return Page(
        items=[make(item) for item in answer.get("data", [])],
        total=pagination.get("total"),
        next_page_after_value=pagination.get("next_page_after_value"),
        pagination=pagination,
    )


def factory(cls: type[M], manager: object) -> Callable[[dict[str, Any]], M]:
    """Turns NOMAD JSON into `cls` objects bound to `manager`."""

    def make(data: dict[str, Any]) -> M:
        return bind(structure(data, cls), manager)

    return make
