"""The stand-in's /users routes."""

from __future__ import annotations

import re

import httpx
from standin_helpers import auth

from nomadclient.testing import NomadStandIn


def test_me_keeps_nulls_and_email(server: NomadStandIn, api_version: str) -> None:
    response = httpx.get(f"{server.api_url}/users/me", headers=auth(server))
    assert response.status_code == 200
    me = response.json()
    assert me["email"] == "alice@example.org"
    assert me["affiliation"] is None
    assert me["repo_user_id"] is None
    assert me["is_admin"] is False
    created_format = r".*\.\d{6}Z$" if api_version == "2.0" else r".*\.\d{6}\+00:00$"
    assert re.fullmatch(created_format, me["created"])


def test_me_needs_authentication(server: NomadStandIn, api_version: str) -> None:
    response = httpx.get(f"{server.api_url}/users/me")
    assert response.status_code == 401
    expected = "Authentication required." if api_version == "2.0" else "Authorization required."
    assert response.json() == {"detail": expected}
    assert response.headers["www-authenticate"] == "Bearer"


def test_public_user_info(server: NomadStandIn) -> None:
    alice = server.user("alice")
    response = httpx.get(f"{server.api_url}/users/{alice.user_id}")
    assert response.status_code == 200
    assert response.json() == {
        "name": "Alice Tester",
        "first_name": "Alice",
        "last_name": "Tester",
        "user_id": alice.user_id,
        "username": "alice",
    }


def test_unknown_user_id_is_a_500_like_keycloak(server: NomadStandIn) -> None:
    response = httpx.get(f"{server.api_url}/users/no-such-user")
    assert response.status_code == 500
    detail = response.json()["detail"]
    assert detail["reason"] == "Unexpected exception while handling your request"
    assert detail["exception"] == "'User does not exist'"
    assert detail["exception_class"] == "KeyError"
    assert "KeyError" in detail["exception_traceback"]


def test_users_without_parameters_is_empty(server: NomadStandIn) -> None:
    assert httpx.get(f"{server.api_url}/users").json() == {"data": []}


def test_users_by_ids_then_prefix_hits(server: NomadStandIn) -> None:
    server.add_user("albert", "pw", first_name="Albert", last_name="Einstein")
    bob = server.user("bob")
    response = httpx.get(
        f"{server.api_url}/users",
        params=[("user_id", bob.user_id), ("user_id", "unknown"), ("prefix", "AL")],
    )
    names = [user["username"] for user in response.json()["data"]]
    assert names == ["bob", "albert", "alice"]
    assert all("email" not in user for user in response.json()["data"])
    assert all("affiliation" not in user for user in response.json()["data"])


def test_users_by_username_and_email(server: NomadStandIn) -> None:
    response = httpx.get(
        f"{server.api_url}/users",
        params=[("username", "alice"), ("email", "bob@example.org"), ("email", "x@y.z")],
    )
    assert [user["username"] for user in response.json()["data"]] == ["alice", "bob"]


def test_prefix_matches_last_name_and_email(server: NomadStandIn) -> None:
    server.add_user("carol", "pw", last_name="Zuse", email="czuse@example.org")
    by_last_name = httpx.get(f"{server.api_url}/users", params={"prefix": "zu"}).json()
    by_email = httpx.get(f"{server.api_url}/users", params={"prefix": "CZU"}).json()
    assert [u["username"] for u in by_last_name["data"]] == ["carol"]
    assert [u["username"] for u in by_email["data"]] == ["carol"]
