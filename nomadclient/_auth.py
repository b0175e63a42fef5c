"""The access token of a client: found lazily, cached, refreshed before it expires.

Credentials are resolved on first need (arguments, environment, `.env`, OS keyring; see
`credentials`), so a client that only reads public data never asks for them. A password is
exchanged for an access token at `POST /auth/token`; the token is reused until shortly before it
expires, and dropped once when NOMAD answers 401 so that the next attempt fetches a fresh one.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._ops import Op, Sleep
from .credentials import Credentials, CredentialSearch, check_secure_transport

if TYPE_CHECKING:
    from ._http import RequestPipeline

# refresh this long before the expiry NOMAD announced, so a token never expires in flight
REFRESH_MARGIN = 30.0
# requests that find a login under way poll for its token this often, at most this long
LOGIN_POLL = 0.02
LOGIN_WAIT = 30.0
# when NOMAD 1.3 announces no lifetime and the token is not a readable JWT
UNKNOWN_LIFETIME = 300.0


class TokenCache:
    """Credentials and the current access token, shared by a client and its siblings."""

    def __init__(
        self, search: Callable[[], CredentialSearch], clock: Callable[[], float] = time.time
    ) -> None:
        self._search_credentials = search
        self._clock = clock
        self._lock = threading.Lock()
        self._search: CredentialSearch | None = None
        self._logging_in = False
        self._token: str | None = None
        self._expires_at = 0.0

    def __repr__(self) -> str:
        state = "token cached" if self._token else "no token"
        return f"<TokenCache {state}>"

    @property
    def search(self) -> CredentialSearch:
        """Where credentials were looked for and what was found, on first access."""
        with self._lock:
            if self._search is None:
                self._search = self._search_credentials()
            return self._search

    @property
    def credentials(self) -> Credentials | None:
        """The credentials in use (None when there are none)."""
        return self.search.found

    def token(self, pipeline: RequestPipeline, *, required: bool) -> Op[str | None]:
        """The bearer token to send, fetching a new one when needed.

        Without credentials: None for optional authentication, `MissingCredentials` (naming every
        place that was searched) when the request requires it.
        """
        credentials = self.search.require() if required else self.credentials
        if credentials is None:
            return None
        if credentials.token is not None:
            return credentials.token
        waited_until = self._clock() + LOGIN_WAIT
        while True:
            with self._lock:
                cached = self._token
                if cached is not None and self._clock() < self._expires_at - REFRESH_MARGIN:
                    return cached
                if not self._logging_in or self._clock() > waited_until:
                    self._logging_in = True
                    break
            # another request of this client is logging in: wait for its token, not a second one
            yield Sleep(LOGIN_POLL)
        try:
            token, lifetime = yield from self._login(pipeline, credentials)
            with self._lock:
                self._token = token
                self._expires_at = self._clock() + lifetime
        finally:
            with self._lock:
                self._logging_in = False
        return token

    def _login(self, pipeline: RequestPipeline, credentials: Credentials) -> Op[tuple[str, float]]:
        """Exchange the password for an access token and its lifetime in seconds."""
        # the password is about to leave: same rule as for the token itself
        check_secure_transport(
            pipeline.options.api_url, allow_insecure_http=pipeline.options.allow_insecure_http
        )
        answer = yield from pipeline.json(
            "POST",
            "auth/token",
            data={
                "grant_type": "password",
                "username": credentials.username or "",
                "password": credentials.password or "",
            },
            auth="none",
            idempotent=True,
        )
        token = str(answer["access_token"])
        return token, _lifetime(answer, token, self._clock())

    def invalidate(self, token: str) -> bool:
        """Forget `token` after NOMAD rejected it; True when a new one can be fetched."""
        credentials = self.credentials
        if credentials is None or credentials.token is not None:
            return False
        with self._lock:
            if self._token == token:
                self._token = None
        return True


def _lifetime(answer: dict[str, Any], token: str, now: float) -> float:
    """Seconds the token lives: `expires_in` (2.0), else the JWT's `exp` claim (1.3)."""
    expires_in = answer.get("expires_in")
    if isinstance(expires_in, (int, float)) and expires_in > 0:
        return float(expires_in)
    expires_at = _jwt_expiry(token)
    if expires_at is not None:
        return max(expires_at - now, 0.0)
    return UNKNOWN_LIFETIME


def _jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT, read without verifying it (NOMAD verifies; we only schedule)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        return float(payload["exp"])
    except (ValueError, KeyError, TypeError):
        return None
