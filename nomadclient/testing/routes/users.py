"""Routes of the stand-in NOMAD API: users (`/users/me`, `/users`, `/users/{user_id}`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from .._deps import OptionalUser, RequiredUser, StoreDep
from .._state import UserRecord

router = APIRouter(prefix="/users", tags=["users"])

# Keycloak answers at most this many users to one search
MAX_SEARCH_HITS = 1000


@router.get("/me")
def read_users_me(user: RequiredUser, store: StoreDep) -> dict[str, Any]:
    """The caller's full account, nulls and e-mail included."""
    return user.full_json(store.api_version)


@router.get("")
def get_users(
    store: StoreDep,
    caller: OptionalUser,
    prefix: Annotated[str | None, Query()] = None,
    user_id: Annotated[list[str] | None, Query()] = None,
    username: Annotated[list[str] | None, Query()] = None,
    email: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    """Users by id, username or e-mail (unknown ones skipped), then prefix-search hits."""
    with store.lock:
        users = list(store.users.values())
        found: list[UserRecord] = []
        for values, attribute in ((user_id, "user_id"), (username, "username"), (email, "email")):
            for value in values or []:
                found.extend(user for user in users if getattr(user, attribute) == value)
        if prefix:
            found.extend(_search(users, prefix))
        return {"data": [user.listed_json(store.api_version) for user in found]}


@router.get("/{user_id}")
def get_user(user_id: str, store: StoreDep, caller: OptionalUser) -> dict[str, Any]:
    """Public information about one user; unknown ids fail like NOMAD's Keycloak lookup."""
    with store.lock:
        user = store.users.get(user_id)
    if user is None:
        # NOMAD lets Keycloak's KeyError escape: a 500, not a 404
        raise KeyError("User does not exist")
    return user.public_json()


def _search(users: list[UserRecord], prefix: str) -> list[UserRecord]:
    """Keycloak-like search: case-insensitive prefix of username, names or e-mail."""
    needle = prefix.casefold()
    hits = [
        user
        for user in users
        if any(
            field.casefold().startswith(needle)
            for field in (user.username, user.first_name, user.last_name, user.name, user.email)
        )
    ]
    return sorted(hits, key=lambda user: user.username)[:MAX_SEARCH_HITS]
