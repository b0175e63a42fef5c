"""Users: who am I, look-ups by id and name, batched and cached per client family."""

from __future__ import annotations

from pathlib import Path

import pytest

from nomadclient.testing import NomadStandIn

from ._support import maybe, write_archives
from .conftest import Account, Connect, new_account

pytestmark = pytest.mark.anyio


def user_requests(server: NomadStandIn) -> int:
    """How many look-ups of users by id or name reached the server."""
    return len(server.requests.matching("GET", "/users")) + len(
        [item for item in server.requests.matching("GET", "/users/*") if item.path != "/users/me"]
    )


async def test_many_ids_cost_one_request_and_are_cached(
    standin: NomadStandIn, connect: Connect, alice: Account, bob: Account
) -> None:
    carol = new_account(standin, "carol")
    nomad = connect()
    wanted = [carol.user_id, alice.user_id, bob.user_id]
    users = await maybe(nomad.users.get_many(wanted))
    assert [user.user_id for user in users] == wanted
    assert [user.username for user in users] == [carol.username, alice.username, bob.username]
    assert user_requests(standin) == 1
    assert sorted(standin.requests[0].query["user_id"]) == sorted(wanted)

    again = await maybe(nomad.users.get_many(reversed(wanted)))
    assert [user.user_id for user in again] == wanted[::-1]
    assert (await maybe(nomad.users.get(bob.user_id))).username == bob.username
    assert user_requests(standin) == 1  # the cache answered


async def test_unknown_ids_are_left_out_of_get_many(
    standin: NomadStandIn, connect: Connect, alice: Account
) -> None:
    users = await maybe(connect().users.get_many(["no-such-user", alice.user_id]))
    assert [user.user_id for user in users] == [alice.user_id]
    assert user_requests(standin) == 1


async def test_long_id_lists_are_split_into_batches(
    standin: NomadStandIn, connect: Connect
) -> None:
    accounts = [new_account(standin, "member") for _ in range(60)]
    users = await maybe(connect().users.get_many(account.user_id for account in accounts))
    assert [user.user_id for user in users] == [account.user_id for account in accounts]
    requests = standin.requests.matching("GET", "/users")
    assert [len(item.query["user_id"]) for item in requests] == [50, 10]


async def test_search_by_prefix_fills_the_cache(
    standin: NomadStandIn, connect: Connect, alice: Account, bob: Account
) -> None:
    nomad = connect()
    found = await maybe(nomad.users.search(alice.username))
    assert [user.user_id for user in found] == [alice.user_id]
    assert found[0].email is None  # listed users come without their e-mail
    assert (await maybe(nomad.users.get(alice.user_id))).username == alice.username
    assert user_requests(standin) == 1


async def test_me_and_the_authors_of_an_upload(
    standin: NomadStandIn, connect: Connect, alice: Account, bob: Account, tmp_path: Path
) -> None:
    nomad = connect(alice)
    me = await maybe(nomad.users.me())
    assert (me.user_id, me.username, me.email) == (
        alice.user_id,
        alice.username,
        f"{alice.username}@example.org",
    )
    upload = await maybe(nomad.uploads.create(write_archives(tmp_path / "data", 1)))
    upload = await maybe(upload.wait_until_processed(timeout=30, poll_interval=0.01))
    upload = await maybe(upload.edit(coauthors=[bob.username]))
    upload = await maybe(upload.wait_until_processed(timeout=30, poll_interval=0.01))
    assert upload.coauthors == [bob.user_id]
    coauthors = await maybe(upload.coauthor_users())
    assert [user.username for user in coauthors] == [bob.username]
    author = await maybe(upload.main_author_user())
    assert author.user_id == alice.user_id
