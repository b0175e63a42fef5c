"""The retry decisions: which requests may be repeated, and how long to wait first."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from nomadclient._retry import (
    RetryPolicy,
    is_idempotent,
    parse_retry_after,
    request_was_sent,
    retry_delay,
)

REQUEST = httpx.Request("POST", "https://nomad.example/api/v1/uploads")


class FixedRandom:
    """A random source that always answers the same number."""

    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


# --- is_idempotent -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "uploads"),
        ("get", "/uploads/abc"),
        ("HEAD", "entries/xyz/raw"),
        ("PUT", "uploads/abc/raw/some/dir"),
        ("DELETE", "uploads/abc"),
        ("OPTIONS", "entries"),
        ("POST", "entries/query"),
        ("POST", "/entries/query/"),
        ("POST", "entries/query?x=1"),
        ("POST", "entries/archive/query"),
        ("POST", "entries/--SZVYOxA2jTu_L-mSxefSQFmeyF/archive/query"),
        ("POST", "entries/raw/query"),
        ("POST", "entries/rawdir/query"),
        ("POST", "entries/archive/download/query"),
        ("POST", "auth/token"),
        ("POST", "/prod/v1/api/v1/auth/token"),
        ("POST", "/prod/v1/api/v1/entries/query"),
    ],
)
def test_reads_and_queries_are_idempotent(method: str, path: str) -> None:
    assert is_idempotent(method, path)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "uploads"),
        ("POST", "/uploads"),
        ("POST", "uploads/abc/action/publish"),
        ("POST", "uploads/abc/action/process"),
        ("POST", "uploads/abc/edit"),
        ("POST", "entries/edit"),
        ("POST", "entries/abc/edit"),
        ("POST", "datasets"),
        ("POST", "datasets/"),
        ("POST", "datasets/ds1/action/doi"),
        ("POST", "uploads/abc/action/assign-doi"),
        ("POST", "uploads/abc/raw-create-dir/x"),
        ("POST", "auth/pats"),
        ("PUT", "users/invite"),
        ("PUT", "/prod/v1/api/v1/users/invite/"),
        ("POST", "auth/tokens"),
        ("POST", "myauth/token"),
        ("PATCH", "uploads/abc"),
        ("POST", "uploads/query-results"),
    ],
)
def test_state_changing_requests_are_not_idempotent(method: str, path: str) -> None:
    assert not is_idempotent(method, path)


# --- request_was_sent --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused", request=REQUEST),
        httpx.ConnectTimeout("slow handshake", request=REQUEST),
        httpx.PoolTimeout("pool exhausted", request=REQUEST),
        httpx.UnsupportedProtocol("ftp"),
    ],
)
def test_errors_before_sending_prove_the_request_never_left(error: Exception) -> None:
    assert not request_was_sent(error)


@pytest.mark.parametrize(
    "error",
    [
        httpx.ReadTimeout("no answer", request=REQUEST),
        httpx.WriteTimeout("stalled", request=REQUEST),
        httpx.ReadError("reset", request=REQUEST),
        httpx.WriteError("broken pipe", request=REQUEST),
        httpx.RemoteProtocolError("Server disconnected", request=REQUEST),
        RuntimeError("something else"),
    ],
)
def test_other_errors_leave_the_outcome_open(error: Exception) -> None:
    assert request_was_sent(error)


# --- retry_delay: what is retried --------------------------------------------------------------

POLICY = RetryPolicy()
RNG = FixedRandom(1.0 - 1e-12)


def delay(**kwargs: object) -> float | None:
    arguments: dict[str, object] = {"method": "GET", "idempotent": True, "rng": RNG}
    arguments.update(kwargs)
    attempt = arguments.pop("attempt", 1)
    return retry_delay(POLICY, attempt, **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error_type", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout]
)
def test_connection_failures_are_retried_for_every_method(error_type: type[Exception]) -> None:
    error = error_type("failed", request=REQUEST)  # type: ignore[call-arg]
    assert delay(method="POST", idempotent=False, error=error) is not None
    assert delay(method="GET", idempotent=True, error=error) is not None


@pytest.mark.parametrize(
    "error",
    [
        httpx.ReadTimeout("no answer", request=REQUEST),
        httpx.WriteTimeout("stalled", request=REQUEST),
        httpx.ReadError("reset", request=REQUEST),
        httpx.RemoteProtocolError("Server disconnected", request=REQUEST),
    ],
)
def test_lost_answers_are_retried_only_when_idempotent(error: Exception) -> None:
    assert delay(method="GET", idempotent=True, error=error) is not None
    assert delay(method="POST", idempotent=True, error=error) is not None
    assert delay(method="POST", idempotent=False, error=error) is None


@pytest.mark.parametrize(
    "error",
    [httpx.UnsupportedProtocol("ftp"), httpx.DecodingError("bad gzip"), ValueError("bug")],
)
def test_errors_that_would_repeat_are_not_retried(error: Exception) -> None:
    assert delay(error=error) is None


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_throttling_and_gateway_statuses_are_retried_only_when_idempotent(status: int) -> None:
    assert delay(status=status) is not None
    assert delay(method="POST", idempotent=True, status=status) is not None
    assert delay(method="POST", idempotent=False, status=status) is None


def test_500_is_retried_only_for_get_and_head() -> None:
    assert delay(method="GET", status=500) is not None
    assert delay(method="head", status=500) is not None
    assert delay(method="PUT", status=500) is None
    assert delay(method="DELETE", status=500) is None
    assert delay(method="POST", idempotent=True, status=500) is None


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 413, 422, 501])
def test_client_errors_and_conflicts_are_never_retried(status: int) -> None:
    assert delay(status=status) is None


def test_nothing_to_judge_means_no_retry() -> None:
    assert delay() is None


# --- retry_delay: how long ---------------------------------------------------------------------


def test_backoff_doubles_from_half_a_second_up_to_eight() -> None:
    policy = RetryPolicy(max_retries=10)
    highest = FixedRandom(1.0 - 1e-12)
    waits = [
        retry_delay(policy, attempt, method="GET", idempotent=True, status=503, rng=highest)
        for attempt in range(1, 8)
    ]
    assert waits == pytest.approx([0.5, 1, 2, 4, 8, 8, 8])


def test_equal_jitter_waits_at_least_half_the_backoff() -> None:
    policy = RetryPolicy(jitter="equal")
    assert policy.backoff(3, FixedRandom(0.0)) == pytest.approx(1.0)
    assert policy.backoff(3, FixedRandom(0.5)) == pytest.approx(1.5)


def test_full_jitter_spreads_over_the_whole_backoff() -> None:
    policy = RetryPolicy(jitter="full")
    assert policy.backoff(3, FixedRandom(0.0)) == 0.0
    assert policy.backoff(3, FixedRandom(0.25)) == pytest.approx(0.5)


def test_jitter_with_a_seeded_random_is_reproducible_and_bounded() -> None:
    policy = RetryPolicy(max_retries=6, jitter="full")
    first = [policy.backoff(n, random.Random(7)) for n in range(1, 7)]
    again = [policy.backoff(n, random.Random(7)) for n in range(1, 7)]
    assert first == again
    assert all(0 <= wait <= min(8, 0.5 * 2 ** (n - 1)) for n, wait in enumerate(first, 1))


def test_huge_attempt_numbers_stay_capped() -> None:
    assert RetryPolicy(max_retries=5000).backoff(5000, FixedRandom(0.999)) <= 8.0


def test_attempts_beyond_max_retries_are_refused() -> None:
    policy = RetryPolicy(max_retries=2)
    kwargs = {"method": "GET", "idempotent": True, "status": 503, "rng": RNG}
    assert retry_delay(policy, 2, **kwargs) is not None  # type: ignore[arg-type]
    assert retry_delay(policy, 3, **kwargs) is None  # type: ignore[arg-type]
    assert retry_delay(RetryPolicy(max_retries=0), 1, **kwargs) is None  # type: ignore[arg-type]
    assert retry_delay(policy, 0, **kwargs) is None  # type: ignore[arg-type]


def test_retry_after_replaces_the_backoff() -> None:
    assert delay(status=429, retry_after=12.0) == 12.0
    assert delay(status=503, retry_after=0.0) == 0.0


def test_retry_after_beyond_the_cap_means_give_up() -> None:
    assert delay(status=503, retry_after=60.0) == 60.0
    assert delay(status=503, retry_after=61.0) is None
    assert delay(status=503, retry_after=float("inf")) is None
    assert (
        retry_delay(
            RetryPolicy(max_retry_after=300),
            1,
            method="GET",
            idempotent=True,
            status=503,
            retry_after=120.0,
        )
        == 120.0
    )


def test_retry_after_does_not_make_a_non_retryable_answer_retryable() -> None:
    assert delay(method="POST", idempotent=False, status=503, retry_after=1.0) is None
    assert delay(status=409, retry_after=1.0) is None


def test_default_random_source_gives_bounded_waits() -> None:
    wait = retry_delay(POLICY, 2, method="GET", idempotent=True, status=502)
    assert wait is not None
    assert 0.5 <= wait <= 1.0


# --- parse_retry_after -------------------------------------------------------------------------

NOW = datetime(2024, 10, 24, 12, 0, 0, tzinfo=timezone.utc)


def test_retry_after_in_seconds() -> None:
    assert parse_retry_after("120", NOW) == 120.0
    assert parse_retry_after(" 0 ", NOW) == 0.0


def test_retry_after_as_http_date() -> None:
    assert parse_retry_after("Thu, 24 Oct 2024 12:00:30 GMT", NOW) == 30.0


def test_retry_after_date_in_the_past_means_now() -> None:
    assert parse_retry_after("Thu, 24 Oct 2024 11:00:00 GMT", NOW) == 0.0


def test_retry_after_date_against_a_naive_clock_is_read_as_utc() -> None:
    naive_now = NOW.replace(tzinfo=None)
    assert parse_retry_after("Thu, 24 Oct 2024 12:01:00 GMT", naive_now) == 60.0


def test_retry_after_date_without_a_clock_uses_the_current_time() -> None:
    later = (datetime.now(timezone.utc) + timedelta(seconds=100)).strftime(
        "%a, %d %b %Y %H:%M:%S GMT"
    )
    seconds = parse_retry_after(later)
    assert seconds is not None
    assert 90 <= seconds <= 100


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5", "Thu, 99 Oct 2024", "∞", "²"])
def test_unreadable_retry_after_is_ignored(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


# --- the policy's own checks -------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"max_retries": -1},
        {"max_retries": True},
        {"max_retries": 1.5},
        {"backoff_base": -0.1},
        {"backoff_max": float("nan")},
        {"max_retry_after": float("inf")},
        {"jitter": "none"},
    ],
)
def test_policy_rejects_nonsense(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**changes)  # type: ignore[arg-type]


def test_policy_is_frozen() -> None:
    policy = RetryPolicy()
    with pytest.raises(AttributeError):
        policy.max_retries = 5  # type: ignore[misc]
