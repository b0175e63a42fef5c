"""Logging in: one token per client family, refreshed once when NOMAD rejects it, kept safe."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import httpx
import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring

from nomadclient import InsecureTransportError, NomadError, TransportError, Unauthorized
from nomadclient.credentials import store
from nomadclient.testing import NomadStandIn

from ._support import close, maybe
from .conftest import Account, ClientKind, Connect

pytestmark = pytest.mark.anyio


def token_requests(server: NomadStandIn) -> int:
    """How many times clients asked the server for a token."""
    return len(server.requests.matching("POST", "/auth/token"))


def rotate_secret(server: NomadStandIn) -> None:
    """Make the server reject every token it signed so far (as a new Keycloak key would)."""
    server.store.secret = uuid.uuid4().bytes + uuid.uuid4().bytes


async def test_one_token_serves_many_requests(
    standin: NomadStandIn, connect: Connect, alice: Account
) -> None:
    nomad = connect(alice)
    await maybe(nomad.users.me())
    dataset = await maybe(nomad.datasets.create(f"token test of {alice.username}"))
    await maybe(nomad.datasets.get(dataset.dataset_id))
    await maybe(nomad.users.me())
    assert token_requests(standin) == 1
    # every request but the login itself carried the token
    assert all(
        item.headers.get("authorization") == "Bearer <redacted>"
        for item in standin.requests
        if item.path != "/auth/token"
    )


async def test_a_rejected_token_is_replaced_once(
    standin: NomadStandIn, connect: Connect, alice: Account
) -> None:
    nomad = connect(alice)
    before = await maybe(nomad.access_token())
    rotate_secret(standin)
    me = await maybe(nomad.users.me())
    assert me.user_id == alice.user_id
    assert token_requests(standin) == 2
    assert len(standin.requests.matching("GET", "/users/me")) == 2  # rejected, then accepted
    assert await maybe(nomad.access_token()) != before


@pytest.mark.no_spec_validation
async def test_a_token_rejected_twice_is_unauthorized(
    standin: NomadStandIn, connect: Connect, alice: Account
) -> None:
    nomad = connect(alice)
    standin.faults.add("GET", "/users/me", status=401, detail="Expired token.", times=2)
    with pytest.raises(Unauthorized):
        await maybe(nomad.users.me())
    assert token_requests(standin) == 2
    assert len(standin.requests.matching("GET", "/users/me")) == 2


async def test_a_refusal_that_is_not_about_the_token_fetches_no_new_token(
    standin: NomadStandIn, connect: Connect, alice: Account
) -> None:
    # NOMAD 1.3 answers missing permissions with 401 too; a new token would not help
    nomad = connect(alice)
    detail = "You do not have access to the specified upload."
    standin.faults.add("GET", "/users/me", status=401, detail=detail, times=1)
    with pytest.raises(NomadError, match="do not have access"):
        await maybe(nomad.users.me())
    assert token_requests(standin) == 1
    assert len(standin.requests.matching("GET", "/users/me")) == 1


async def test_a_given_token_is_used_as_is_and_never_refreshed(
    standin: NomadStandIn, connect: Connect, alice: Account
) -> None:
    nomad = connect(token=standin.token_for(alice.username))
    assert (await maybe(nomad.users.me())).user_id == alice.user_id
    rotate_secret(standin)
    with pytest.raises(Unauthorized):
        await maybe(nomad.users.me())
    assert token_requests(standin) == 0
    assert len(standin.requests.matching("GET", "/users/me")) == 2


async def test_access_token_is_the_cached_token(
    standin: NomadStandIn, connect: Connect, alice: Account
) -> None:
    nomad = connect(alice)
    token = await maybe(nomad.access_token())
    assert await maybe(nomad.access_token()) == token
    await maybe(nomad.users.me())
    assert token_requests(standin) == 1
    async with httpx.AsyncClient() as plain:
        answer = await plain.get(
            f"{standin.api_url}/users/me", headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.json()["user_id"] == alice.user_id


async def test_siblings_share_the_token_and_the_user_cache(
    standin: NomadStandIn, connect: Connect, alice: Account, bob: Account
) -> None:
    nomad = connect(alice)
    await maybe(nomad.users.me())
    await maybe(nomad.users.get(bob.user_id))
    sibling = nomad.with_options(timeout=5, max_retries=1)
    assert sibling.options.max_retries == 1
    assert sibling.options.timeout.read == 5
    assert (await maybe(sibling.users.me())).user_id == alice.user_id
    assert (await maybe(sibling.users.get(bob.user_id))).username == bob.username
    assert token_requests(standin) == 1
    assert len(standin.requests.matching("GET", "/users/me")) == 2
    lookups = [
        item for item in standin.requests.matching("GET", "/users*") if item.path != "/users/me"
    ]
    assert len(lookups) == 1  # bob came from the shared cache the second time
    await close(sibling)  # closing a sibling leaves the shared pool open
    assert (await maybe(nomad.users.me())).user_id == alice.user_id


@pytest.fixture
def file_keyring(tmp_path: Path) -> Iterator[PlaintextKeyring]:
    """A real keyring backend writing to a file in tmp_path, installed for the test."""
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


async def test_credentials_stored_in_the_keyring_log_in(
    standin: NomadStandIn,
    connect: Connect,
    alice: Account,
    file_keyring: PlaintextKeyring,
    tmp_path: Path,
) -> None:
    store(standin.api_url, alice.username, alice.password)
    assert (tmp_path / "keyring.cfg").is_file()
    nomad = connect()  # no credentials given: found in the keyring
    me = await maybe(nomad.users.me())
    assert me.user_id == alice.user_id
    assert token_requests(standin) == 1


def unused_port() -> int:
    """A port on this machine that nothing listens on (connecting is refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def recording_http_client(client_kind: ClientKind) -> AsyncIterator[tuple[Any, list[str]]]:
    """An httpx client of the test's kind, and the hosts of the requests it was about to send."""
    sent: list[str] = []

    def note(request: httpx.Request) -> None:
        sent.append(request.url.host)

    async def note_async(request: httpx.Request) -> None:
        note(request)

    if client_kind == "sync":
        with httpx.Client(event_hooks={"request": [note]}) as http_client:
            yield http_client, sent
    else:
        async with httpx.AsyncClient(event_hooks={"request": [note_async]}) as async_client:
            yield async_client, sent


@pytest.mark.parametrize(
    "credentials", [{"username": "alice", "password": "alice-password"}, {"token": "a-token"}]
)
async def test_credentials_never_travel_over_plain_http_to_another_host(
    connect: Connect,
    recording_http_client: tuple[Any, list[str]],
    credentials: dict[str, str],
) -> None:
    # 0.0.0.0 is not loopback for the check, yet a connection attempt would fail on this host
    url = f"http://0.0.0.0:{unused_port()}/api/v1"
    http_client, sent = recording_http_client
    nomad = connect(url=url, http_client=http_client, max_retries=0, **credentials)
    with pytest.raises(InsecureTransportError) as caught:
        await maybe(nomad.entries.get("some-entry"))
    assert sent == []
    assert "allow_insecure_http=True" in str(caught.value)
    for secret in credentials.values():
        assert secret not in str(caught.value)

    allowed = connect(
        url=url, http_client=http_client, max_retries=0, allow_insecure_http=True, **credentials
    )
    with pytest.raises(TransportError):
        await maybe(allowed.entries.get("some-entry"))
    assert sent  # allowed: the request was attempted (and found nobody listening)


async def test_concurrent_first_requests_log_in_once(
    standin: NomadStandIn, connect: Connect, alice: Account, client_kind: ClientKind
) -> None:
    nomad = connect(alice)
    # a slow login makes sure every request is waiting for it
    standin.faults.add("POST", "/auth/token", delay=0.2, times=5)
    async with anyio.create_task_group() as group:
        for _ in range(5):
            if client_kind == "async":
                group.start_soon(nomad.users.me)
            else:
                group.start_soon(anyio.to_thread.run_sync, nomad.users.me)
    assert len(standin.requests.matching("GET", "/users/me")) == 5
    assert token_requests(standin) == 1
