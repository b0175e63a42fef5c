"""Fixtures of the SDK tests: shared stand-ins per module, fresh accounts, clients of both kinds.

A module's tests share one stand-in per API version (started once, ~0.1 s); each test gets its
own accounts on it, so uploads, datasets and NOMAD's limit of unpublished uploads never leak
from one test into another. The request log and the fault plan are cleared around each test.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import pytest

from nomadclient import AsyncNomadClient, NomadClient
from nomadclient.testing import NomadStandIn

from ._support import AnyClient, close

ClientKind = Literal["sync", "async"]

_account_numbers = itertools.count()


@dataclass(frozen=True)
class Account:
    """A user of the stand-in, with the password a client logs in with."""

    username: str
    password: str
    user_id: str


class Connect(Protocol):
    """Makes a client of the test's kind; closed when the test ends.

    The client is typed `Any`: one test body drives `NomadClient` and `AsyncNomadClient`, whose
    methods return values and coroutines respectively (`maybe()` evens that out at run time).
    """

    def __call__(
        self, account: Account | None = None, /, *, url: str | None = None, **options: Any
    ) -> Any: ...


@pytest.fixture
def anyio_backend() -> str:
    """The async client's tests run on asyncio."""
    return "asyncio"


@pytest.fixture(scope="module", params=["2.0", "1.3"])
def standin_module(request: pytest.FixtureRequest) -> Iterator[NomadStandIn]:
    """One stand-in per module and API version, with quick processing and no default users."""
    with NomadStandIn(users={}, processing_delay=0.01, api_version=request.param) as server:
        yield server


@pytest.fixture
def standin(standin_module: NomadStandIn) -> Iterator[NomadStandIn]:
    """The module's stand-in, with an empty request log and no pending faults."""
    standin_module.faults.clear()
    standin_module.requests.clear()
    yield standin_module
    standin_module.faults.clear()


@pytest.fixture
def api_version(standin: NomadStandIn) -> str:
    """The NOMAD version the test's stand-in emulates."""
    return standin.config.api_version


def new_account(server: NomadStandIn, name: str) -> Account:
    """A fresh user on `server`, named after `name` (the first name NOMAD shows)."""
    username = f"{name}{next(_account_numbers)}"
    password = f"{username}-secret-password"
    record = server.add_user(username, password, first_name=name.capitalize())
    return Account(username, password, record.user_id)


@pytest.fixture
def alice(standin: NomadStandIn) -> Account:
    """A fresh account that owns the test's data."""
    return new_account(standin, "alice")


@pytest.fixture
def bob(standin: NomadStandIn) -> Account:
    """A fresh account that is not alice."""
    return new_account(standin, "bob")


@pytest.fixture(params=["sync", "async"])
def client_kind(request: pytest.FixtureRequest) -> ClientKind:
    """Every workflow runs with `NomadClient` and with `AsyncNomadClient`."""
    kind: ClientKind = request.param
    return kind


@pytest.fixture
async def connect(standin: NomadStandIn, client_kind: ClientKind) -> AsyncIterator[Connect]:
    """A factory of clients of the test's kind for the test's stand-in (anonymous without an
    account); every client it made is closed when the test ends."""
    opened: list[AnyClient] = []

    def make(account: Account | None = None, /, *, url: str | None = None, **options: Any) -> Any:
        if account is not None:
            options = {"username": account.username, "password": account.password, **options}
        client_class = NomadClient if client_kind == "sync" else AsyncNomadClient
        client = client_class(url or standin.api_url, **options)
        opened.append(client)
        return client

    yield make
    for client in opened:
        await close(client)
