"""Run the stand-in on a loopback port, in a background thread (`NomadStandIn`)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from ._faults import FaultPlan, RequestLog, TransportExposingH11Protocol
from ._populate import populate
from ._state import ApiVersion, StandInConfig, Store, UserRecord
from ._tokens import TokenKind, sign
from .app import API_PREFIX, create_app

# Without explicit users the stand-in has NOMAD's development accounts: `test` (like the
# `test` user of a NOMAD dev deployment) and an administrator.
DEFAULT_USERS: dict[str, str] = {"test": "password", "admin": "password"}
DEFAULT_ADMINS = frozenset({"admin"})


class NomadStandIn:
    """A stand-in NOMAD server on a free loopback port, served from a background thread.

    ```python
    with NomadStandIn() as server:
        httpx.get(f"{server.api_url}/info")
        server.faults.add("GET", "/uploads/*", status=503, retry_after=2, times=2)
    ```

    `users` maps usernames to passwords (default `DEFAULT_USERS`: `test` and the admin `admin`,
    both with password `password`). Further keyword arguments are `StandInConfig` fields, e.g.
    `token_lifetime=60` or `datacite_enabled=True`.
    """

    def __init__(
        self,
        *,
        users: dict[str, str] | None = None,
        processing_delay: float = 0.05,
        api_version: ApiVersion = "2.0",
        host: str = "127.0.0.1",
        port: int = 0,
        **config: Any,
    ) -> None:
        if api_version not in ("2.0", "1.3"):
            raise ValueError(f"api_version must be '2.0' or '1.3', not {api_version!r}")
        self.config = StandInConfig(
            api_version=api_version, processing_delay=processing_delay, **config
        )
        self.store = Store(self.config)
        for username, password in (DEFAULT_USERS if users is None else users).items():
            self.store.add_user(
                username, password, is_admin=users is None and username in DEFAULT_ADMINS
            )
        self.faults = FaultPlan()
        self.requests = RequestLog()
        self.host = host
        self.port = port or _free_port(host)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """`http://HOST:PORT`, the deployment's root."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The API base URL, `http://HOST:PORT/api/v1`, as clients take it."""
        return self.base_url + API_PREFIX

    def add_user(self, username: str, password: str, **details: str | bool) -> UserRecord:
        """Create a user account on the running server (details: `first_name`, `is_admin`…)."""
        return self.store.add_user(username, password, **details)  # type: ignore[arg-type]

    def user(self, username: str) -> UserRecord:
        """The account with this username; `KeyError` if there is none."""
        with self.store.lock:
            for user in self.store.users.values():
                if user.username == username:
                    return user
        raise KeyError(f"the stand-in has no user {username!r}")

    def populate(
        self, n: int, *, username: str | None = None, seed: int = 0, **options: Any
    ) -> list[str]:
        """Add `n` synthetic published entries (see `_populate.populate`); the new upload ids."""
        user = self.user(username) if username is not None else None
        return populate(self.store, n, seed=seed, user=user, **options)

    def token_for(
        self, username: str, kind: TokenKind = "access", lifetime: int | None = None
    ) -> str:
        """A valid token for `username` without a round trip through `/auth/token`.

        `kind` "app" or "signature" makes the tokens `/auth/app_token` and
        `/auth/signature_token` hand out (they lack the `tokens:create` scope in 2.0).
        """
        user = self.user(username)
        seconds = self.config.token_lifetime if lifetime is None else lifetime
        return sign(self.store.secret, user.user_id, kind, seconds)

    def start(self) -> NomadStandIn:
        """Start serving; returns once the server accepts connections."""
        if self._server is not None:
            raise RuntimeError("the stand-in server is running already")
        config = uvicorn.Config(
            create_app(self.store, self.faults, self.requests),
            host=self.host,
            port=self.port,
            http=TransportExposingH11Protocol,
            log_level="warning",
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="nomad-standin", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the stand-in server did not start on {self.base_url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and remove the server's temporary files."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None
        self.store.close()

    def __enter__(self) -> NomadStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
