"""`NomadClient` and `AsyncNomadClient`: one session with a NOMAD deployment.

A client holds the API base URL, the credentials and cached access token, and one httpx connection
pool. Its managers (`users`, `uploads`, `entries`, `datasets`) send every request through the
shared request pipeline. The two classes differ only in how they run operations (see `_ops`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any, TypeVar

import httpx

from ._auth import TokenCache
from ._http import AuthMode, RequestPipeline
from ._ops import Op, run_async, run_sync
from ._retry import RetryPolicy
from .config import ClientOptions, resolve_api_url
from .credentials import search_credentials
from .resources.datasets import AsyncDatasets, Datasets
from .resources.entries import AsyncEntries, Entries
from .resources.uploads import AsyncUploads, Uploads
from .resources.users import AsyncUsers, UserCache, Users

T = TypeVar("T")


class _ClientBase:
    """What both clients share: options, credentials, token cache, user cache; no I/O."""

    _pipeline: RequestPipeline
    _user_cache: UserCache

    def _setup(
        self,
        url: str | None,
        *,
        username: str | None,
        password: str | None,
        token: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int | None,
        retry: RetryPolicy | None,
        allow_insecure_http: bool,
    ) -> None:
        options = ClientOptions(
            api_url=resolve_api_url(url), allow_insecure_http=allow_insecure_http
        ).evolve(**_given(timeout=timeout, retry=retry, max_retries=max_retries))
        tokens = TokenCache(
            lambda: search_credentials(
                options.api_url, username=username, password=password, token=token
            )
        )
        self._pipeline = RequestPipeline(options, tokens)
        self._user_cache = UserCache()

    def _sibling_setup(self, parent: _ClientBase, options: ClientOptions) -> None:
        self._pipeline = RequestPipeline(options, parent._pipeline.tokens)
        self._user_cache = parent._user_cache

    @property
    def api_url(self) -> str:
        """The API base URL this client talks to, e.g. `https://nomad-lab.eu/prod/v1/api/v1`."""
        return self._pipeline.options.api_url

    @property
    def options(self) -> ClientOptions:
        """The client's settings (URL, timeouts, retries)."""
        return self._pipeline.options

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.api_url}>"

    def _request_op(
        self, method: str, path: str, auth: AuthMode, kwargs: Mapping[str, Any]
    ) -> Op[httpx.Response]:
        return self._pipeline.request(method, path, auth=auth, **kwargs)

    def _token_op(self) -> Op[str | None]:
        return self._pipeline.tokens.token(self._pipeline, required=True)


class NomadClient(_ClientBase):
    """A session with a NOMAD deployment.

    ```python
    with NomadClient("test") as nomad:
        upload = nomad.uploads.create("data.zip").wait_until_processed()
    ```

    Args:
        url: A deployment name (`prod`, `staging`, `test`, `local`) or a full API URL ending in
            `/api/v1` (a NOMAD Oasis). Default: `NOMAD_URL` from the environment, else `test`.
        username: With `password`, credentials exchanged for an access token on first need.
        password: See `username`.
        token: An access, app or personal access token to send as is.
        timeout: Seconds, or an `httpx.Timeout` with separate connect/read/write/pool limits.
        max_retries: How often a request that is safe to repeat is retried (default 3).
        retry: The whole retry policy (backoff, cap on `Retry-After`), for fine tuning.
        allow_insecure_http: Send credentials over plain http to a non-loopback host.
        http_client: An `httpx.Client` to use instead of the client's own pool (not closed by
            the client).

    Without credentials the client looks, in order, in the environment (`NOMAD_TOKEN`,
    `NOMAD_USERNAME`/`NOMAD_PASSWORD`), in `.env` in the working directory and in the OS
    keyring; requests that need no login work without any.

    """

    users: Users
    uploads: Uploads
    entries: Entries
    datasets: Datasets

    def __init__(
        self,
        url: str | None = None,
        *,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        allow_insecure_http: bool = False,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._setup(
            url,
            username=username,
            password=password,
            token=token,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            allow_insecure_http=allow_insecure_http,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(follow_redirects=True)
        self._make_managers()

    def _make_managers(self) -> None:
        self.users = Users(self, self._user_cache)
        self.entries = Entries(self)
        self.uploads = Uploads(self)
        self.datasets = Datasets(self)

    def _run(self, op: Op[T]) -> T:
        return run_sync(op, self._http)

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
    ) -> NomadClient:
        """A sibling client with other settings, sharing this one's connection pool and token."""
        sibling = object.__new__(NomadClient)
        sibling._sibling_setup(
            self,
            self.options.evolve(**_given(timeout=timeout, retry=retry, max_retries=max_retries)),
        )
        sibling._owns_http = False
        sibling._http = self._http
        sibling._make_managers()
        return sibling

    def request(
        self, method: str, path: str, *, auth: AuthMode = "optional", **kwargs: Any
    ) -> httpx.Response:
        """Any NOMAD API call, with authentication, retries and error mapping.

        `path` is relative to the API base (`"uploads/command-examples"`); keyword arguments are
        `params`, `json`, `data`, `headers`, `timeout`, `idempotent`.
        """
        return self._run(self._request_op(method, path, auth, kwargs))

    def access_token(self) -> str:
        """The current access token (fetched or refreshed if needed)."""
        token = self._run(self._token_op())
        assert token is not None  # required=True raises instead of returning None
        return token

    def close(self) -> None:
        """Close the connection pool (not one passed in, nor a sibling's shared one)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> NomadClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncNomadClient(_ClientBase):
    """`NomadClient` for asyncio and trio: the same surface with `await` and `async for`.

    ```python
    async with AsyncNomadClient("test") as nomad:
        upload = await nomad.uploads.create("data.zip")
        upload = await upload.wait_until_processed()
    ```

    Arguments as for `NomadClient`; `http_client` is an `httpx.AsyncClient`.
    """

    users: AsyncUsers
    uploads: AsyncUploads
    entries: AsyncEntries
    datasets: AsyncDatasets

    def __init__(
        self,
        url: str | None = None,
        *,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        allow_insecure_http: bool = False,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._setup(
            url,
            username=username,
            password=password,
            token=token,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            allow_insecure_http=allow_insecure_http,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(follow_redirects=True)
        self._make_managers()

    def _make_managers(self) -> None:
        self.users = AsyncUsers(self, self._user_cache)
        self.entries = AsyncEntries(self)
        self.uploads = AsyncUploads(self)
        self.datasets = AsyncDatasets(self)

    async def _run(self, op: Op[T]) -> T:
        return await run_async(op, self._http)

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
    ) -> AsyncNomadClient:
        """A sibling client with other settings, sharing this one's connection pool and token."""
        sibling = object.__new__(AsyncNomadClient)
        sibling._sibling_setup(
            self,
            self.options.evolve(**_given(timeout=timeout, retry=retry, max_retries=max_retries)),
        )
        sibling._owns_http = False
        sibling._http = self._http
        sibling._make_managers()
        return sibling

    async def request(
        self, method: str, path: str, *, auth: AuthMode = "optional", **kwargs: Any
    ) -> httpx.Response:
        """Any NOMAD API call, with authentication, retries and error mapping."""
        return await self._run(self._request_op(method, path, auth, kwargs))

    async def access_token(self) -> str:
        """The current access token (fetched or refreshed if needed)."""
        token = await self._run(self._token_op())
        assert token is not None  # required=True raises instead of returning None
        return token

    async def aclose(self) -> None:
        """Close the connection pool (not one passed in, nor a sibling's shared one)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncNomadClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _given(**options: Any) -> dict[str, Any]:
    """The options the caller passed (not None)."""
    return {name: value for name, value in options.items() if value is not None}
