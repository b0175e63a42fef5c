"""Helpers for writing one test body that runs with the sync and with the async client.

A test awaits every SDK call through `maybe()` (which awaits only what is awaitable) and
collects listings with `collect()` (iterables and async iterables alike), so the same lines
drive `NomadClient` and `AsyncNomadClient`.
"""

from __future__ import annotations

import inspect
import io
import json
import zipfile
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from nomadclient import AsyncNomadClient, NomadClient

T = TypeVar("T")

AnyClient = NomadClient | AsyncNomadClient


async def maybe(value: T | Awaitable[T]) -> T:
    """`value`, awaited if it is awaitable (what an async client's method returned)."""
    if inspect.isawaitable(value):
        return await value
    return value


async def collect(items: Iterable[T] | AsyncIterable[T]) -> list[T]:
    """Every item of a listing, whichever client produced it."""
    if isinstance(items, AsyncIterable):
        return [item async for item in items]
    return list(items)


async def first_of(items: Iterable[T] | AsyncIterable[T]) -> T:
    """The first item of a listing, consuming no more of it than needed."""
    if isinstance(items, AsyncIterable):
        iterator: AsyncIterator[T] = aiter(items)
        return await anext(iterator)
    sync_iterator: Iterator[T] = iter(items)
    return next(sync_iterator)


async def close(client: AnyClient) -> None:
    """Close a client of either kind."""
    if isinstance(client, AsyncNomadClient):
        await client.aclose()
    else:
        client.close()


def archive_json(name: str, elements: list[str]) -> dict[str, Any]:
    """A small NOMAD archive, as a `*.archive.json` mainfile holds it."""
    return {
        "data": {"name": name},
        "results": {
            "material": {
                "elements": elements,
                "chemical_formula_reduced": "".join(elements),
                "n_elements": len(elements),
            }
        },
    }


def write_archives(directory: Path, count: int) -> Path:
    """`count` mainfiles in sub-directories of `directory`, plus a README; returns it."""
    for number in range(count):
        mainfile = directory / f"sample{number}" / f"sample{number}.archive.json"
        mainfile.parent.mkdir(parents=True, exist_ok=True)
        mainfile.write_text(json.dumps(archive_json(f"sample {number}", ["Si"])))
    (directory / "README.md").write_text("test data\n")
    return directory


def zip_directory(directory: Path) -> bytes:
    """The files below `directory` as zip bytes (paths relative to it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                zipped.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


def leftovers(directory: Path) -> list[str]:
    """Names of partial-download files left in `directory` (none if it does not exist)."""
    if not directory.is_dir():
        return []
    return sorted(path.name for path in directory.iterdir() if path.name.endswith(".part"))
