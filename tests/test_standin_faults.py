"""Fault injection (`server.faults`) and the request log (`server.requests`)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from nomadclient.testing import NomadStandIn


@pytest.fixture
def standin() -> Iterator[NomadStandIn]:
    with NomadStandIn(users={"alice": "pw"}, processing_delay=0.01) as running:
        yield running


def test_status_faults_fire_the_given_times(standin: NomadStandIn) -> None:
    standin.faults.add("GET", "/info", status=503, retry_after=2, times=2)
    first = httpx.get(f"{standin.api_url}/info")
    assert first.status_code == 503
    assert first.json() == {"detail": "Service Unavailable"}
    assert first.headers["retry-after"] == "2"
    assert httpx.get(f"{standin.api_url}/info").status_code == 503
    assert standin.faults.pending() == []
    assert httpx.get(f"{standin.api_url}/info").status_code == 200


def test_patterns_and_methods(standin: NomadStandIn) -> None:
    standin.faults.add("POST", "/datasets*", status=500, detail="boom")
    standin.faults.add("*", "/users/*", status=429, times=3)
    assert httpx.get(f"{standin.api_url}/datasets").status_code == 200
    assert httpx.get(f"{standin.api_url}/users/me").status_code == 429
    assert httpx.delete(f"{standin.api_url}/users/a/b").status_code == 429
    assert httpx.get(f"{standin.api_url}/users").status_code == 200
    boom = httpx.post(f"{standin.api_url}/datasets", json={})
    assert boom.status_code == 500
    assert boom.json() == {"detail": "boom"}
    (left,) = standin.faults.pending()
    assert left.remaining == 1
    standin.faults.clear()
    assert standin.faults.pending() == []
    assert httpx.get(f"{standin.api_url}/users/me").status_code == 401


def test_delay_then_normal_answer(standin: NomadStandIn) -> None:
    standin.faults.add("GET", "/info", delay=0.3)
    started = time.monotonic()
    response = httpx.get(f"{standin.api_url}/info")
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_drop_closes_without_answer(standin: NomadStandIn) -> None:
    standin.faults.add("GET", "/info", drop=True)
    with httpx.Client() as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(f"{standin.api_url}/info")
        assert client.get(f"{standin.api_url}/info").status_code == 200


def test_truncate_sends_half_the_body(standin: NomadStandIn) -> None:
    standin.faults.add("GET", "/info", truncate=True)
    with httpx.Client() as client, client.stream("GET", f"{standin.api_url}/info") as response:
        assert response.status_code == 200
        expected = int(response.headers["content-length"])
        received = bytearray()

        def read_all() -> None:
            for chunk in response.iter_raw():
                received.extend(chunk)

        with pytest.raises(httpx.RemoteProtocolError):
            read_all()
        assert 0 < len(received) < expected


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"status": 503, "drop": True},
        {"status": 200},
        {"drop": True, "times": 0},
    ],
)
def test_invalid_faults_are_refused(standin: NomadStandIn, options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        standin.faults.add("GET", "/info", **options)  # type: ignore[arg-type]


def test_requests_are_recorded_without_secrets(standin: NomadStandIn) -> None:
    token = standin.token_for("alice")
    httpx.get(
        f"{standin.api_url}/users",
        params=[("prefix", "al"), ("user_id", "a"), ("user_id", "b")],
        headers={"Authorization": f"Bearer {token}", "X-Trace": "1"},
    )
    (recorded,) = standin.requests.matching("GET", "/users")
    assert recorded.method == "GET"
    assert recorded.query == {"prefix": ["al"], "user_id": ["a", "b"]}
    assert recorded.headers["authorization"] == "Bearer <redacted>"
    assert recorded.headers["x-trace"] == "1"
    assert token not in repr(list(standin.requests))
    standin.requests.clear()
    assert len(standin.requests) == 0


def test_failed_requests_are_recorded_too(standin: NomadStandIn) -> None:
    standin.faults.add("GET", "/info", status=503)
    httpx.get(f"{standin.api_url}/info")
    assert [r.path for r in standin.requests] == ["/info"]
