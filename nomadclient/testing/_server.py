"""Run the stand-in on a loopback port, in a background thread (`NomadStandIn`)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from ._state import ApiVersion, StandInConfig, Store, UserRecord
from ._tokens import sign
from .app import API_PREFIX, create_app


class NomadStandIn:
    """A stand-in NOMAD server on a free loopback port, served from a background thread.

    ```python
    with NomadStandIn() as server:
        httpx.get(f"{server.api_url}/info")
    ```
    """

    def __init__(
        self,
        *,
        users: dict[str, str] | None = None,
        processing_delay: float = 0.05,
        api_version: ApiVersion = "2.0",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.config = StandInConfig(api_version=api_version, processing_delay=processing_delay)
        self.store = Store(self.config)
        for username, password in (users or {}).items():
            self.store.add_user(username, password)
        self.host = host
        self.port = port or _free_port(host)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """`http://HOST:PORT`, the deployment's root."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The API base URL, `http://HOST:PORT/api/v1`, as clients take it."""
        return self.base_url + API_PREFIX

    def add_user(self, username: str, password: str, **details: str | bool) -> UserRecord:
        """Create a user account on the running server."""
        return self.store.add_user(username, password, **details)  # type: ignore[arg-type]

    def token_for(self, username: str) -> str:
        """A valid access token for `username`, without a round trip through `/auth/token`."""
        with self.store.lock:
            user = next(u for u in self.store.users.values() if u.username == username)
        return sign(self.store.secret, user.user_id, "access", self.config.token_lifetime)

    def start(self) -> NomadStandIn:
        """Start serving; returns once the server accepts connections."""
        config = uvicorn.Config(
            create_app(self.store), host=self.host, port=self.port, log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="nomad-standin", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the stand-in server did not start on {self.base_url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and remove the server's temporary files."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
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
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
