"""Fault injection and request recording for the stand-in (`server.faults`, `server.requests`).

```python
server.faults.add("GET", "/uploads/*", status=503, retry_after=2, times=2)
server.faults.add("POST", "/entries/query", delay=1.5)      # slow, then normal
server.faults.add("*", "/users/me", drop=True)              # connection closed, no answer
server.faults.add("GET", "/entries/*/archive", truncate=True)  # half a body, then closed
```

Patterns are paths relative to the API base (`/api/v1`); `*` matches any run of characters,
`/` included; the method `*` matches every method. Each fault fires for the next `times`
matching requests, first added first. Everything here is thread safe: tests add faults from
their thread while the server's event loop consumes them.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

TRANSPORT_KEY = "nomadclient.transport"
_REDACTED_HEADERS = frozenset({"authorization", "upload-token", "cookie"})


@dataclass
class Fault:
    """One planned failure and how many more requests it applies to."""

    method: str
    path: str
    status: int | None = None
    detail: str | None = None
    retry_after: float | None = None
    delay: float = 0.0
    drop: bool = False
    truncate: bool = False
    remaining: int = 1
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        pattern = "/" + self.path.lstrip("/")
        self._regex = re.compile(".*".join(re.escape(part) for part in pattern.split("*")))

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request (`path` relative to the API base)."""
        return self.method in ("*", method.upper()) and self._regex.fullmatch(path) is not None


class FaultPlan:
    """The faults waiting to be injected, in the order they were added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        method: str,
        path: str,
        *,
        status: int | None = None,
        detail: str | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
        drop: bool = False,
        truncate: bool = False,
        times: int = 1,
    ) -> Fault:
        """Make the next `times` requests matching `method` and `path` misbehave.

        `status` answers with `{"detail": detail}` (default: the status phrase) and an optional
        `Retry-After`; `drop` closes the connection without answering; `truncate` sends the
        headers with the full `Content-Length` and half of the body, then closes; `delay` waits
        that many seconds first (alone: then answers normally).
        """
        outcomes = sum((status is not None, drop, truncate))
        if outcomes > 1:
            raise ValueError("choose at most one of status, drop and truncate")
        if outcomes == 0 and delay <= 0:
            raise ValueError("a fault needs a status, drop, truncate or a positive delay")
        if status is not None and not 400 <= status <= 599:
            raise ValueError(f"status must be an error status (400-599), not {status}")
        if times < 1:
            raise ValueError("times must be at least 1")
        fault = Fault(
            method=method,
            path=path,
            status=status,
            detail=detail,
            retry_after=retry_after,
            delay=delay,
            drop=drop,
            truncate=truncate,
            remaining=times,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Forget every planned fault."""
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        """Copies of the faults that have not fired all their times yet."""
        with self._lock:
            return [replace(fault) for fault in self._faults]

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching a request, counted as fired once (None if none matches)."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return replace(fault)
        return None


@dataclass(frozen=True)
class RecordedRequest:
    """A request the server received; secrets in headers are redacted."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class RequestLog:
    """Every request the server received, oldest first (a thread-safe sequence)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []

    def append(self, request: RecordedRequest) -> None:
        """Record a request."""
        with self._lock:
            self._items.append(request)

    def clear(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._items.clear()

    def matching(self, method: str = "*", path: str = "*") -> list[RecordedRequest]:
        """The recorded requests matching a method and path pattern, as faults match them."""
        probe = Fault(method, path, delay=1)
        return [item for item in self if probe.matches(item.method, item.path)]

    def snapshot(self) -> list[RecordedRequest]:
        """A copy of the log."""
        with self._lock:
            return list(self._items)

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __getitem__(self, index: int) -> RecordedRequest:
        with self._lock:
            return self._items[index]


class TransportExposingH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, handing the connection's transport to the app via scope state.

    Dropping a connection without any answer needs the transport; ASGI has no message for it.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Remember the transport in this connection's copy of the app state."""
        super().connection_made(transport)
        self.app_state = {**self.app_state, TRANSPORT_KEY: transport}


class FaultMiddleware:
    """ASGI middleware that records requests and injects the planned faults."""

    def __init__(
        self, app: ASGIApp, faults: FaultPlan, requests: RequestLog, api_prefix: str
    ) -> None:
        self.app = app
        self.faults = faults
        self.requests = requests
        self.api_prefix = api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Record the request, then fail it as planned or pass it on."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = self._relative_path(scope["path"])
        self.requests.append(_record(scope, path))
        fault = self.faults.take(scope["method"], path)
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.delay > 0:
            await asyncio.sleep(fault.delay)
        if fault.status is not None:
            await _send_error(fault, send)
        elif fault.drop:
            await _abort(scope)
        elif fault.truncate:
            await self._send_truncated(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _relative_path(self, path: str) -> str:
        if path == self.api_prefix or path.startswith(self.api_prefix + "/"):
            return path[len(self.api_prefix) :] or "/"
        return path

    async def _send_truncated(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message | None = None
        body = bytearray()

        async def buffer(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        await self.app(scope, receive, buffer)
        if start is None:
            await _abort(scope)
            return
        headers = [
            (name, value) for name, value in start.get("headers", []) if name != b"content-length"
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send(
            {"type": "http.response.body", "body": bytes(body[: len(body) // 2]), "more_body": True}
        )
        await _abort(scope)


def _record(scope: Scope, path: str) -> RecordedRequest:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        headers[name] = _redact(name, value)
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return RecordedRequest(method=scope["method"], path=path, query=query, headers=headers)


def _redact(name: str, value: str) -> str:
    if name not in _REDACTED_HEADERS:
        return value
    scheme, space, _ = value.partition(" ")
    # keep the scheme so tests can still see *how* a client authenticated
    return f"{scheme} <redacted>" if space and name == "authorization" else "<redacted>"


async def _send_error(fault: Fault, send: Send) -> None:
    status = fault.status or 500
    detail = fault.detail if fault.detail is not None else _phrase(status)
    body = json.dumps({"detail": detail}, separators=(",", ":")).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if fault.retry_after is not None:
        seconds = fault.retry_after
        text = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
        headers.append((b"retry-after", text.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _abort(scope: Scope) -> None:
    transport: Any = scope.get("state", {}).get(TRANSPORT_KEY)
    if transport is None:
        raise RuntimeError("dropping connections needs the stand-in's uvicorn protocol")
    transport.abort()
    # let uvicorn notice the lost connection before the app returns, so it sends nothing
    for _ in range(3):
        await asyncio.sleep(0)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
