"""pytest plugin: every JSON body a stand-in sends to any test is checked against NOMAD's spec.

It wraps httpx's transports for the whole session. Responses from `/api/v1/...` on a loopback
host are matched to an operation of NOMAD's real spec and, once the caller has read the whole
body, validated against that operation's schema for the status. A violation fails the test it
happened in; `@pytest.mark.no_spec_validation` opts a test out (fault injection and the like).
Bodies the caller streams and abandons are never read on its behalf.
"""

from __future__ import annotations

import ipaddress
import json
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from _conformance import (
    ROUTE_TALLIES,
    ApiVersion,
    RouteTally,
    Verdict,
    check_response,
    load_spec,
)

from nomadclient.testing import NomadStandIn
from nomadclient.testing.app import API_PREFIX

OPT_OUT_MARKER = "no_spec_validation"
# Bodies larger than this are passed through unchecked rather than held in memory.
MAX_CHECKED_BODY = 64 * 1024 * 1024


@dataclass(frozen=True)
class Violation:
    """One response that broke NOMAD's spec, and where it was received."""

    where: str
    request: str
    verdict: Verdict
    api_version: ApiVersion

    def __str__(self) -> str:
        route = self.verdict.operation or "(no NOMAD operation)"
        lines = [f"{route} ({self.request}, NOMAD {self.api_version} stand-in)"]
        lines += [f"    {problem}" for problem in self.verdict.problems]
        return "\n".join(lines)


@dataclass
class Recorder:
    """Counts what was checked and collects violations for the test that is running."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes: Counter[str] = field(default_factory=Counter)
    covered: set[str] = field(default_factory=set)
    server_versions: dict[int, ApiVersion] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    pending: list[Violation] = field(default_factory=list)
    current: pytest.Item | None = None

    def begin(self, item: pytest.Item) -> None:
        """A test phase starts: its traffic is attributed to `item`."""
        with self.lock:
            self.current = item
            self.pending.clear()

    def end(self) -> list[Violation]:
        """A test phase ended: the violations it caused."""
        with self.lock:
            found, self.pending = self.pending, []
            self.current = None
        return found

    def opted_out(self) -> bool:
        """Whether the running test asked not to be checked."""
        item = self.current
        return item is not None and item.get_closest_marker(OPT_OUT_MARKER) is not None

    def count(self, outcome: str) -> None:
        """Count a response that was not checked (non-JSON, opted out, ...)."""
        with self.lock:
            self.outcomes[outcome] += 1

    def observe(self, request: httpx.Request, response: httpx.Response) -> None:
        """Arrange for a stand-in's JSON response to be checked once it has been read."""
        api_path = stand_in_api_path(request.url)
        if api_path is None:
            return
        if self.opted_out():
            self.count("opted_out")
            return
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        encoding = response.headers.get("content-encoding", "identity").lower()
        if media_type != "application/json" or encoding != "identity":
            self.count("not_json")
            return
        version = self.server_versions.get(request.url.port or 80, "2.0")
        where = self.current.nodeid if self.current else "(outside any test)"

        def check(body: bytes | None) -> None:
            if body is None:
                self.count("not_read")
                return
            self.check(request, api_path, response.status_code, body, version, where)

        if isinstance(response.stream, httpx.SyncByteStream):
            response.stream = _SyncTee(response.stream, check)
        elif isinstance(response.stream, httpx.AsyncByteStream):
            response.stream = _AsyncTee(response.stream, check)

    def check(
        self,
        request: httpx.Request,
        api_path: str,
        status: int,
        body: bytes,
        version: ApiVersion,
        where: str,
    ) -> None:
        """Validate one complete body and record the verdict."""
        try:
            document = json.loads(body)
        except ValueError as error:
            verdict = Verdict("violation", None, (f"$: the body is not valid JSON ({error})",))
        else:
            verdict = check_response(
                load_spec(), request.method, api_path, status, document, version
            )
        with self.lock:
            self.outcomes[verdict.outcome] += 1
            if verdict.outcome == "conforms" and verdict.operation:
                self.covered.add(verdict.operation)
            if verdict.outcome in ("violation", "unusable_schema"):
                label = f"{request.method} {request.url} -> {status}"
                violation = Violation(where, label, verdict, version)
                self.violations.append(violation)
                if verdict.outcome == "violation":
                    self.pending.append(violation)


def stand_in_api_path(url: httpx.URL) -> str | None:
    """The path below `/api/v1` of a URL on a loopback host, else None."""
    if not _is_loopback(url.host):
        return None
    path = url.path
    if path != API_PREFIX and not path.startswith(API_PREFIX + "/"):
        return None
    return path[len(API_PREFIX) :]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _BodyCopy:
    """A copy of a body as it passes; reported once, and only if it was read to the end."""

    def __init__(self, report: Callable[[bytes | None], None]) -> None:
        self._report: Callable[[bytes | None], None] | None = report
        self._data: bytearray | None = bytearray()
        self._finished = False

    def keep(self, chunk: bytes) -> None:
        if self._data is not None:
            self._data.extend(chunk)
            if len(self._data) > MAX_CHECKED_BODY:
                self._data = None

    def finish(self) -> None:
        self._finished = True

    def report_once(self) -> None:
        report, self._report = self._report, None
        if report is not None:
            complete = self._finished and self._data is not None
            report(bytes(self._data) if complete and self._data is not None else None)


class _SyncTee(httpx.SyncByteStream):
    """A response stream that hands a copy of the body to the checker on close."""

    def __init__(self, inner: httpx.SyncByteStream, report: Callable[[bytes | None], None]):
        self._inner = inner
        self._copy = _BodyCopy(report)

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._copy.keep(chunk)
            yield chunk
        self._copy.finish()

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._copy.report_once()


class _AsyncTee(httpx.AsyncByteStream):
    """The async twin of `_SyncTee`."""

    def __init__(self, inner: httpx.AsyncByteStream, report: Callable[[bytes | None], None]):
        self._inner = inner
        self._copy = _BodyCopy(report)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._copy.keep(chunk)
            yield chunk
        self._copy.finish()

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._copy.report_once()


RECORDER = pytest.StashKey[Recorder]()


def pytest_configure(config: pytest.Config) -> None:
    """Set up the recorder and the route test's tallies."""
    config.stash[RECORDER] = Recorder()
    config.stash[ROUTE_TALLIES] = {}


@pytest.fixture(scope="session", autouse=True)
def _nomad_spec_validation(pytestconfig: pytest.Config) -> Iterator[None]:
    """Watch every httpx response for the whole session."""
    recorder = pytestconfig.stash[RECORDER]
    sync_send = httpx.HTTPTransport.handle_request
    async_send = httpx.AsyncHTTPTransport.handle_async_request
    start = NomadStandIn.start

    def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        response = sync_send(self, request)
        recorder.observe(request, response)
        return response

    async def handle_async_request(
        self: httpx.AsyncHTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        response = await async_send(self, request)
        recorder.observe(request, response)
        return response

    def start_and_register(self: NomadStandIn) -> NomadStandIn:
        started = start(self)
        with recorder.lock:
            recorder.server_versions[self.port] = self.config.api_version
        return started

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(httpx.HTTPTransport, "handle_request", handle_request)
        patch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request)
        patch.setattr(NomadStandIn, "start", start_and_register)
        yield


def _phase(item: pytest.Item) -> Generator[None, object, object]:
    recorder = item.config.stash[RECORDER]
    recorder.begin(item)
    try:
        result = yield
    finally:
        found = recorder.end()
    if found:
        report = "\n".join(str(violation) for violation in found)
        pytest.fail(f"stand-in responses violate NOMAD's spec:\n{report}", pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    """Fail a test's setup on violations caused by its fixtures."""
    return (yield from _phase(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Fail a test on violations in the responses it received."""
    return (yield from _phase(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, object, object]:
    """Fail a test's teardown on violations caused while tearing down."""
    return (yield from _phase(item))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Figures of the route test and of the response validation."""
    recorder = config.stash.get(RECORDER, None)
    tallies: dict[str, RouteTally] = config.stash.get(ROUTE_TALLIES, {})
    if recorder is None or (not tallies and not recorder.outcomes):
        return
    spec_operations = len(load_spec().operations)
    write = terminalreporter.write_line
    terminalreporter.section("NOMAD spec conformance")
    for version, tally in sorted(tallies.items()):
        write(
            f"routes, NOMAD {version} stand-in: {tally.served} operations served, "
            f"{len(tally.spec_operations)} of the spec's {spec_operations} operations, "
            f"{tally.parameters_checked} parameters checked, {tally.failed} not conforming"
        )
    counts = recorder.outcomes
    checked = sum(counts[o] for o in ("conforms", "violation", "nomad_422", "documented_1.3"))
    write(
        f"responses: {checked} validated, {len(recorder.covered)} of {spec_operations} "
        f"operations covered, {counts['violation']} violations"
    )
    write(
        f"  not failing: {counts['nomad_422']} NOMAD-style 422 bodies outside HTTPValidationError,"
        f" {counts['documented_1.3']} documented 1.3 differences,"
        f" {counts['unusable_schema']} unusable spec schemas"
    )
    write(
        f"  not checked: {counts['not_json']} non-JSON, {counts['not_read']} not read to the end,"
        f" {counts['no_schema']} without a JSON schema in the spec, {counts['docs']} docs,"
        f" {counts['opted_out']} opted out"
    )
    for violation in recorder.violations[:50]:
        write(f"  {violation.where}: {violation}")
