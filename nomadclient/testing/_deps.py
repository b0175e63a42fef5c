"""FastAPI dependencies every route uses: the store, and who is calling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends, Request

from ._errors import NomadError, forbidden, not_authenticated
from ._state import Store, UserRecord
from ._tokens import TokenError, verify


def get_store(request: Request) -> Store:
    """The store of the server that received the request."""
    store: Store = request.app.state.store
    return store


StoreDep = Annotated[Store, Depends(get_store)]


def optional_user(request: Request, store: StoreDep) -> UserRecord | None:
    """The caller, or None for anonymous calls.

    A bad token is an error even where authentication is optional, as in NOMAD.
    """
    token = _bearer_token(request)
    return None if token is None else token_user(request, store, token)


def token_user(
    request: Request, store: Store, token: str, describe: Callable[[TokenError], str] = str
) -> UserRecord:
    """The user a token was signed for; 401 for a bad token (`describe` words it).

    Remembers the token's kind in `request.state.token_kind` for routes that care (app tokens
    may not create tokens in 2.0).
    """
    try:
        claims = verify(store.secret, token)
    except TokenError as error:
        raise NomadError(401, describe(error), headers={"WWW-Authenticate": "Bearer"}) from error
    with store.lock:
        user = store.users.get(claims.user_id)
    if user is None:
        raise forbidden("You are logged in with an unknown user", store.api_version)
    request.state.token_kind = claims.kind
    return user


OptionalUser = Annotated[UserRecord | None, Depends(optional_user)]


def required_user(user: OptionalUser, store: StoreDep) -> UserRecord:
    """The caller; 401 "Authentication required." for anonymous calls."""
    if user is None:
        raise not_authenticated(store.api_version)
    return user


RequiredUser = Annotated[UserRecord, Depends(required_user)]


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        cookie = request.cookies.get("Authorization")
        header = unquote(cookie) if cookie else None
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return token.strip()
