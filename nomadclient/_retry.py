"""When to retry a request and how long to wait first: a policy and pure decision functions.

NOMAD has no idempotency keys, so a request that changes state (creating an upload, publishing,
editing, creating a dataset) is retried only when it certainly never reached the server.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Literal, Protocol

import attrs
import httpx

__all__ = [
    "RetryPolicy",
    "is_idempotent",
    "parse_retry_after",
    "request_was_sent",
    "retry_delay",
]

Jitter = Literal["full", "equal"]


class RandomSource(Protocol):
    """Anything with `random() -> float` in [0, 1), such as `random.Random`."""

    def random(self) -> float:
        """A float in [0, 1)."""
        ...


def _non_negative(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{attribute.name} must be a finite number >= 0, got {value!r}")


def _retry_count(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{attribute.name} must be an integer >= 0, got {value!r}")


@attrs.frozen
class RetryPolicy:
    """How often and how patiently a failed request is retried.

    The n-th retry waits `backoff_base * 2**(n-1)` seconds, capped at `backoff_max`, with jitter:
    `"full"` picks uniformly in [0, wait], `"equal"` in [wait/2, wait]. A server's
    `Retry-After` replaces the backoff, unless it asks for more than `max_retry_after` seconds:
    then the request is not retried and the error reaches the caller.
    """

    max_retries: int = attrs.field(default=3, validator=_retry_count)
    backoff_base: float = attrs.field(default=0.5, validator=_non_negative)
    backoff_max: float = attrs.field(default=8.0, validator=_non_negative)
    jitter: Jitter = attrs.field(default="equal", validator=attrs.validators.in_(("full", "equal")))
    max_retry_after: float = attrs.field(default=60.0, validator=_non_negative)

    def backoff(self, attempt: int, rng: RandomSource) -> float:
        """Seconds to wait before retry number `attempt` (1 for the first retry)."""
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** min(max(attempt - 1, 0), 62))
        if self.jitter == "full":
            return ceiling * rng.random()
        return ceiling / 2 + ceiling / 2 * rng.random()


_SAFE_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
# PUTs that are not idempotent in NOMAD: inviting a user sends one e-mail per call.
_NON_IDEMPOTENT_PUTS = frozenset({"users/invite"})
# POSTs outside the `…/query` family that create nothing: asking for a token twice is harmless.
_READ_ONLY_POSTS = frozenset({"auth/token"})

# The request never reached the server: retrying cannot duplicate anything.
_NEVER_SENT: tuple[type[BaseException], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.ProxyError,
)
_RETRYABLE_BEFORE_SENDING: tuple[type[BaseException], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
# The request may have been processed, the answer was lost.
_RETRYABLE_IF_IDEMPOTENT: tuple[type[BaseException], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)
_RETRYABLE_STATUSES_IF_IDEMPOTENT = frozenset({429, 502, 503, 504})

_default_rng = random.Random()  # jitter, not cryptography


def is_idempotent(method: str, path: str) -> bool:
    """Whether sending the request twice has the same effect as sending it once.

    `path` is relative to the API base (`entries/query`, `/uploads/abc`); a query string is
    ignored. True for GET, HEAD, PUT, DELETE and OPTIONS (except `PUT users/invite`) and for
    NOMAD's read-only POST searches, the ones ending in `/query` (`entries/query`,
    `entries/{id}/archive/query`, `entries/raw/query`, ...) plus `auth/token`. Never for upload
    creation, publishing, editing, processing, dataset creation or DOI assignment.
    """
    method = method.upper()
    route = "/" + path.split("?", 1)[0].split("#", 1)[0].strip("/")
    if method in _SAFE_METHODS:
        return not (method == "PUT" and _ends_with_any(route, _NON_IDEMPOTENT_PUTS))
    if method == "POST":
        return route.endswith("/query") or _ends_with_any(route, _READ_ONLY_POSTS)
    return False


def _ends_with_any(route: str, suffixes: frozenset[str]) -> bool:
    # Also matches when the caller passed the full path, API base included.
    return any(route.endswith("/" + suffix) for suffix in suffixes)


def request_was_sent(error: BaseException) -> bool:
    """False when `error` proves the request never left this machine, True otherwise.

    When True for a non-idempotent request, its outcome on the server is unknown.
    """
    return not isinstance(error, _NEVER_SENT)


def retry_delay(
    policy: RetryPolicy,
    attempt: int,
    *,
    method: str,
    idempotent: bool,
    status: int | None = None,
    error: BaseException | None = None,
    retry_after: float | None = None,
    rng: RandomSource | None = None,
) -> float | None:
    """Seconds to wait before retrying, or None when the request must not be retried.

    `attempt` counts the attempts made so far (1 after the first failure); give either the
    response `status` or the transport `error`, and the seconds of the response's `Retry-After`
    header if it had one (see `parse_retry_after`).

    Retried: connection failures before sending, for every method; timeouts, read errors and
    dropped connections, and 429/502/503/504 only for idempotent requests; 500 only for GET and
    HEAD. Never: 409 or any other 4xx, or a `Retry-After` beyond `policy.max_retry_after`.
    """
    if attempt < 1 or attempt > policy.max_retries:
        return None
    if not _is_retryable(method.upper(), idempotent, status, error):
        return None
    if retry_after is not None:
        if not math.isfinite(retry_after) or retry_after > policy.max_retry_after:
            return None
        return max(retry_after, 0.0)
    return policy.backoff(attempt, rng or _default_rng)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds asked for by a `Retry-After` header (delay seconds or an HTTP date), or None.

    A date in the past gives 0; a value that is neither form gives None.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=timezone.utc)
    reference = now or datetime.now(timezone.utc)
    if reference.tzinfo is None:
        reference = reference.replace(tzinfo=timezone.utc)
    return max((when - reference).total_seconds(), 0.0)


def _is_retryable(
    method: str, idempotent: bool, status: int | None, error: BaseException | None
) -> bool:
    if error is not None:
        if isinstance(error, _RETRYABLE_BEFORE_SENDING):
            return True
        return idempotent and isinstance(error, _RETRYABLE_IF_IDEMPOTENT)
    if status is None:
        return False
    if status == 500:
        return method in {"GET", "HEAD"}
    return idempotent and status in _RETRYABLE_STATUSES_IF_IDEMPOTENT
