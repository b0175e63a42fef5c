"""Sans-IO operations and the two drivers that run them.

Every operation of the SDK (a request with retries, a page of results, waiting for processing, a
streamed download) is written once, as a generator that *yields* the I/O it needs — send this
request, sleep this long, read the next chunk, run this blocking file work — and receives the
result. `run_sync` performs those
steps with an `httpx.Client`, `run_async` with an `httpx.AsyncClient`. The drivers are the only
code that differs between `NomadClient` and `AsyncNomadClient`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

import anyio
import anyio.to_thread
import attrs
import httpx

T = TypeVar("T")

CHUNK_SIZE = 1024 * 1024


@attrs.frozen
class FileBody:
    """A request body streamed from a file on disk, re-readable for every attempt."""

    path: Path
    on_progress: Callable[[int, int], None] | None = None

    @property
    def size(self) -> int:
        """The number of bytes the body will send."""
        return self.path.stat().st_size

    def chunks(self) -> Iterator[bytes]:
        """The file's bytes in chunks, reporting progress as `(sent, total)`."""
        total, sent = self.size, 0
        with self.path.open("rb") as file:
            while chunk := file.read(CHUNK_SIZE):
                sent += len(chunk)
                yield chunk
                if self.on_progress is not None:
                    self.on_progress(sent, total)

    async def achunks(self) -> AsyncIterator[bytes]:
        """`chunks()` for the async client: reads happen in a worker thread."""
        total, sent = self.size, 0
        file: IO[bytes] = await anyio.to_thread.run_sync(self.path.open, "rb")
        try:
            while chunk := await anyio.to_thread.run_sync(file.read, CHUNK_SIZE):
                sent += len(chunk)
                yield chunk
                if self.on_progress is not None:
                    self.on_progress(sent, total)
        finally:
            file.close()


@attrs.frozen
class Send:
    """Send `request`; the driver answers with the `httpx.Response` (body unread if `stream`)."""

    request: httpx.Request
    stream: bool = False
    body: FileBody | None = None


@attrs.frozen
class Sleep:
    """Wait `seconds`; the driver answers with None."""

    seconds: float


@attrs.frozen
class Blocking:
    """Run `call()`, which blocks on local I/O (zipping a directory); answers its result.

    The async driver runs it in a worker thread so that the event loop goes on meanwhile.
    """

    call: Callable[[], Any]


@attrs.frozen
class ReadChunk:
    """Read the next chunk of a streamed response body; the driver answers b"" at the end."""

    response: httpx.Response


@attrs.frozen
class Read:
    """Read a streamed response body whole (an error body); the driver answers the bytes."""

    response: httpx.Response


@attrs.frozen
class Close:
    """Close a streamed response, returning its connection to the pool."""

    response: httpx.Response


Step = Send | Sleep | Blocking | ReadChunk | Read | Close
Op = Generator[Step, Any, T]
"""An operation: yields steps, receives their results, returns a `T`."""


def run_sync(op: Op[T], client: httpx.Client) -> T:
    """Run an operation to completion with a blocking httpx client."""
    readers: dict[int, Iterator[bytes]] = {}
    result: Any = None
    error: BaseException | None = None
    try:
        while True:
            step = op.throw(error) if error is not None else op.send(result)
            result, error = None, None
            try:
                if isinstance(step, Send):
                    request = step.request
                    if step.body is not None:
                        request.stream = _SyncFileStream(step.body)
                    result = client.send(request, stream=step.stream)
                elif isinstance(step, Sleep):
                    time.sleep(step.seconds)
                elif isinstance(step, Blocking):
                    result = step.call()
                elif isinstance(step, ReadChunk):
                    reader = readers.setdefault(
                        id(step.response), step.response.iter_bytes(CHUNK_SIZE)
                    )
                    result = next(reader, b"")
                elif isinstance(step, Read):
                    result = step.response.read()
                else:
                    readers.pop(id(step.response), None)
                    step.response.close()
            except Exception as caught:  # the operation decides what an I/O failure means
                error = caught
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


async def run_async(op: Op[T], client: httpx.AsyncClient) -> T:
    """Run an operation to completion with an async httpx client."""
    readers: dict[int, AsyncIterator[bytes]] = {}
    result: Any = None
    error: BaseException | None = None
    try:
        while True:
            step = op.throw(error) if error is not None else op.send(result)
            result, error = None, None
            try:
                if isinstance(step, Send):
                    request = step.request
                    if step.body is not None:
                        request.stream = _AsyncFileStream(step.body)
                    result = await client.send(request, stream=step.stream)
                elif isinstance(step, Sleep):
                    await anyio.sleep(step.seconds)
                elif isinstance(step, Blocking):
                    result = await anyio.to_thread.run_sync(step.call)
                elif isinstance(step, ReadChunk):
                    reader = readers.setdefault(
                        id(step.response), step.response.aiter_bytes(CHUNK_SIZE)
                    )
                    result = await anext(reader, b"")
                elif isinstance(step, Read):
                    result = await step.response.aread()
                else:
                    readers.pop(id(step.response), None)
                    await step.response.aclose()
            except Exception as caught:  # the operation decides what an I/O failure means
                error = caught
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


class _SyncFileStream(httpx.SyncByteStream):
    def __init__(self, body: FileBody) -> None:
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        return self._body.chunks()


class _AsyncFileStream(httpx.AsyncByteStream):
    def __init__(self, body: FileBody) -> None:
        self._body = body

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._body.achunks()
