"""The request pipeline: the one place every request passes through.

It builds the request (URL under the API base, headers, timeouts), adds the bearer token, retries
what is safe to retry, refreshes the token once on a 401, maps error answers to typed exceptions
and logs each attempt. It is a sans-IO operation (see `_ops`), so the sync and the async client
share it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any, Literal

import attrs
import httpx

from ._auth import TokenCache
from ._ops import Close, FileBody, Op, Read, Send, Sleep
from ._redact import redact_url
from ._retry import is_idempotent, parse_retry_after, request_was_sent, retry_delay
from .config import ClientOptions, make_timeout
from .credentials import check_secure_transport
from .errors import error_from_response, transport_error

logger = logging.getLogger("nomadclient")

AuthMode = Literal["required", "optional", "none"]
"""Whether a request needs the caller's token, may use it, or must go without."""

QueryParams = Mapping[str, Any]


@attrs.frozen
class RequestPipeline:
    """Sends requests for one client (and its `with_options()` siblings, via a shared cache)."""

    options: ClientOptions
    tokens: TokenCache

    def url(self, path: str) -> str:
        """The absolute URL of `path`, relative to the API base (a leading slash is allowed).

        An absolute URL is accepted only under the API base: the token must not travel elsewhere.
        """
        base = self.options.api_url
        if path.startswith(("http://", "https://")):
            if path.startswith(f"{base}/"):
                return path
            raise ValueError(
                f"{redact_url(path)} is not under this client's API URL {base}: give a path "
                "relative to it (e.g. 'uploads'), or make a client for that deployment"
            )
        return f"{base}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        body: FileBody | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        auth: AuthMode = "optional",
        idempotent: bool | None = None,
        timeout: float | httpx.Timeout | None = None,
        how_to_check: str | None = None,
    ) -> Op[httpx.Response]:
        """Send one logical request, with retries; return the successful response.

        Raises an `APIError` subclass for error statuses, `TransportError` when NOMAD could not
        be reached, and `OutcomeUnknown` when a request that must not be repeated got no answer
        (`how_to_check` then tells the user how to find out whether it took effect).
        """
        method = method.upper()
        url = self.url(path)
        retryable = is_idempotent(method, path) if idempotent is None else idempotent
        policy = self.options.retry
        attempt = 0
        token_refreshed = False
        while True:
            token = None
            if auth != "none":
                token = yield from self.tokens.token(self, required=auth == "required")
            if token is not None:
                check_secure_transport(
                    self.options.api_url, allow_insecure_http=self.options.allow_insecure_http
                )
            request = self._build(method, url, params, json, data, body, headers, token, timeout)
            started = time.monotonic()
            try:
                response: httpx.Response = yield Send(request, stream=stream, body=body)
            except httpx.TransportError as error:
                elapsed = time.monotonic() - started
                attempt += 1
                delay = retry_delay(
                    policy, attempt, idempotent=retryable, method=method, error=error
                )
                _log_failure(method, url, attempt, elapsed, error, delay)
                if delay is None:
                    raise transport_error(
                        method,
                        url,
                        error,
                        outcome_unknown=not retryable and request_was_sent(error),
                        how_to_check=how_to_check,
                    ) from error
                yield Sleep(delay)
                continue

            elapsed = time.monotonic() - started
            status = response.status_code
            logger.debug(
                "%s %s -> %s in %.0f ms (attempt %d)",
                method,
                redact_url(url),
                status,
                elapsed * 1000,
                attempt + 1,
            )
            attempt += 1
            if status < 400:
                return response

            content = (yield Read(response)) if stream else response.content
            if stream:
                yield Close(response)
            if (
                status == 401
                and token is not None
                and not token_refreshed
                and _rejects_token(content)
                and self.tokens.invalidate(token)
            ):
                # NOMAD refused the token itself (expired, revoked), so it did nothing: safe to
                # repeat once with a fresh one, whatever the method
                token_refreshed = True
                continue

            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            delay = retry_delay(
                policy,
                attempt,
                idempotent=retryable,
                method=method,
                status=status,
                retry_after=retry_after,
            )
            if delay is not None:
                logger.warning(
                    "%s %s answered %s; retrying in %.1f s (attempt %d of %d)",
                    method,
                    redact_url(url),
                    status,
                    delay,
                    attempt,
                    policy.max_retries + 1,
                )
                yield Sleep(delay)
                continue
            raise error_from_response(
                method, redact_url(url), status, response.headers, content, response=response
            )

    def json(self, method: str, path: str, **kwargs: Any) -> Op[Any]:
        """`request()`, returning the decoded JSON body."""
        response = yield from self.request(method, path, **kwargs)
        return response.json()

    def _timeout(self, timeout: float | httpx.Timeout | None) -> httpx.Timeout:
        """The timeout of one request: the client's, or one given for the call (validated)."""
        return self.options.timeout if timeout is None else make_timeout(timeout)

    def _build(
        self,
        method: str,
        url: str,
        params: QueryParams | None,
        json: Any,
        data: Mapping[str, str] | None,
        body: FileBody | None,
        headers: Mapping[str, str] | None,
        token: str | None,
        timeout: float | httpx.Timeout | None,
    ) -> httpx.Request:
        all_headers = {"User-Agent": self.options.user_agent, "Accept": "application/json"}
        if body is not None:
            all_headers["Content-Length"] = str(body.size)
            all_headers["Content-Type"] = "application/octet-stream"
        all_headers.update(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        return httpx.Request(
            method,
            url,
            params=_clean_params(params),
            json=json,
            data=data,
            headers=all_headers,
            extensions={"timeout": self._timeout(timeout).as_dict()},
        )


def _clean_params(params: QueryParams | None) -> dict[str, Any] | None:
    """Drop None values and render booleans as NOMAD's FastAPI expects them."""
    if params is None:
        return None
    cleaned: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            cleaned[key] = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            cleaned[key] = [str(item) for item in value]
        else:
            cleaned[key] = value
    return cleaned


def _rejects_token(content: bytes) -> bool:
    """Whether a 401 says the token is bad, not that the user may not do this.

    NOMAD 1.3 answers 401 for missing permissions too; fetching a new token cannot help there.
    """
    try:
        detail = str(json.loads(content).get("detail", "")).lower()
    except (ValueError, AttributeError):
        return True
    return "token" in detail or "credentials" in detail


def _log_failure(
    method: str,
    url: str,
    attempt: int,
    elapsed: float,
    error: Exception,
    delay: float | None,
) -> None:
    outcome = f"retrying in {delay:.1f} s" if delay is not None else "giving up"
    logger.warning(
        "%s %s failed after %.0f ms (attempt %d): %s; %s",
        method,
        redact_url(url),
        elapsed * 1000,
        attempt,
        type(error).__name__,
        outcome,
    )
