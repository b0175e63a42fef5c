"""Lazy iteration over NOMAD's paginated listings, page by page, sync and async.

NOMAD continues every listing with a cursor: each page's `pagination.next_page_after_value` is
sent back as `page_after_value` for the next page, until it is absent. A listing is described by
one operation that fetches the page after a given cursor; the iterators below only loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from itertools import chain, islice
from typing import Any, Generic, TypeVar

import attrs

from ._ops import Op

T = TypeVar("T")


@attrs.frozen
class Page(Generic[T]):
    """One page of a listing: its items, the total NOMAD counted, and the cursor to the next."""

    items: list[T]
    total: int | None
    next_page_after_value: str | None
    pagination: dict[str, Any] = attrs.field(factory=dict, repr=False)

    @property
    def has_next(self) -> bool:
        """Whether NOMAD has more results after this page."""
        return self.next_page_after_value is not None


PageFetcher = Callable[[str | None], Op[Page[T]]]
"""Fetches the page after a cursor (None for the first page)."""


class PageIterator(Generic[T]):
    """Every item of a listing, fetched lazily page by page as you iterate.

    Iterate it for items; `pages()` for page control; `first_page()` for one request only.
    `limit` stops after that many items.
    """

    def __init__(
        self, fetch: PageFetcher[T], run: Callable[[Op[Any]], Any], limit: int | None = None
    ) -> None:
        self._fetch = fetch
        self._run = run
        self._limit = limit

    def __iter__(self) -> Iterator[T]:
        items = chain.from_iterable(page.items for page in self.pages())
        return islice(items, self._limit)

    def pages(self) -> Iterator[Page[T]]:
        """The pages of the listing, fetched one at a time."""
        cursor: str | None = None
        while True:
            page: Page[T] = self._run(self._fetch(cursor))
            yield page
            if page.next_page_after_value is None or not page.items:
                return
            cursor = page.next_page_after_value

    def first_page(self) -> Page[T]:
        """Only the first page (one request)."""
        page: Page[T] = self._run(self._fetch(None))
        return page

    def total(self) -> int | None:
        """How many results NOMAD counts for this listing (one request)."""
        return self.first_page().total


class AsyncPageIterator(Generic[T]):
    """`PageIterator` for the async client: `async for item in ...`."""

    def __init__(
        self,
        fetch: PageFetcher[T],
        run: Callable[[Op[Any]], Awaitable[Any]],
        limit: int | None = None,
    ) -> None:
        self._fetch = fetch
        self._run = run
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[T]:
        count = 0
        async for page in self.pages():
            for item in page.items:
                if self._limit is not None and count >= self._limit:
                    return
                count += 1
                yield item

    async def pages(self) -> AsyncIterator[Page[T]]:
        """The pages of the listing, fetched one at a time."""
        cursor: str | None = None
        while True:
            page: Page[T] = await self._run(self._fetch(cursor))
            yield page
            if page.next_page_after_value is None or not page.items:
                return
            cursor = page.next_page_after_value

    async def first_page(self) -> Page[T]:
        """Only the first page (one request)."""
        page: Page[T] = await self._run(self._fetch(None))
        return page

    async def total(self) -> int | None:
        """How many results NOMAD counts for this listing (one request)."""
        return (await self.first_page()).total

    async def to_list(self) -> list[T]:
        """Every item, collected into a list."""
        return [item async for item in self]
