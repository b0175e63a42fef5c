"""Routes of the stand-in NOMAD API: auth (`/auth/token`, `/auth/app_token`, signature tokens).

The password grant differs by version: 2.0 wants `grant_type=password` and answers the full
OIDC token set; 1.3 also accepts `GET /auth/token?username&password` and answers only
`{access_token, token_type: "bearer"}`.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse

from .._deps import RequiredUser, StoreDep
from .._errors import NomadError
from .._state import ApiVersion, Store, UserRecord
from .._tokens import sign

APP_TOKEN_MAX_EXPIRES_IN = 2_592_000  # `services.app_token_max_expires_in`, 30 days
SIGNATURE_TOKEN_LIFETIME = 10


def create_router(api_version: ApiVersion) -> APIRouter:
    """The auth routes of one NOMAD version."""
    router = APIRouter(prefix="/auth", tags=["auth"])
    if api_version == "2.0":
        router.add_api_route("/token", post_token_v2, methods=["POST"])
    else:
        router.add_api_route("/token", post_token_v1, methods=["POST"])
        router.add_api_route("/token", get_token_v1, methods=["GET"])
    router.add_api_route("/app_token", get_app_token, methods=["GET"])
    router.add_api_route("/signature_token", get_signature_token, methods=["GET"])
    return router


def post_token_v2(
    store: StoreDep,
    grant_type: Annotated[str, Form(pattern="^password$")],
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    scope: Annotated[str, Form()] = "",
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
) -> JSONResponse:
    """The OIDC resource-owner password grant (NOMAD 2.0)."""
    user = _authenticate(store, username, password)
    body = {
        "access_token": sign(store.secret, user.user_id, "access", store.config.token_lifetime),
        "token_type": "Bearer",
        "expires_in": store.config.token_lifetime,
        "refresh_token": None,
        "scope": None,
        "id_token": None,
        "refresh_expires_in": None,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def post_token_v1(
    store: StoreDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    grant_type: Annotated[str | None, Form(pattern="password")] = None,
    scope: Annotated[str, Form()] = "",
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    """The password grant of NOMAD 1.3 (form body)."""
    return _v1_token(store, username, password)


def get_token_v1(
    store: StoreDep, username: Annotated[str, Query()], password: Annotated[str, Query()]
) -> dict[str, Any]:
    """NOMAD 1.3's GET variant of the password grant, as `nomad.client.Auth` uses it."""
    return _v1_token(store, username, password)


def get_app_token(
    request: Request,
    user: RequiredUser,
    store: StoreDep,
    expires_in: Annotated[int, Query(gt=0, le=APP_TOKEN_MAX_EXPIRES_IN)],
) -> dict[str, str]:
    """A long-lived token; in 2.0 only an access token may ask (scope `tokens:create`)."""
    _require_token_scope(request, store)
    return {"app_token": sign(store.secret, user.user_id, "app", expires_in)}


def get_signature_token(user: RequiredUser, store: StoreDep) -> dict[str, str]:
    """A token valid for 10 seconds, meant for one download."""
    token = sign(store.secret, user.user_id, "signature", SIGNATURE_TOKEN_LIFETIME)
    return {"signature_token": token}


def _v1_token(store: Store, username: str, password: str) -> dict[str, Any]:
    user = _authenticate(store, username, password)
    token = sign(store.secret, user.user_id, "access", store.config.token_lifetime)
    return {"access_token": token, "token_type": "bearer"}


def _authenticate(store: Store, username: str, password: str) -> UserRecord:
    """The user with this username or e-mail and password; 401 as NOMAD words it otherwise."""
    with store.lock:
        user = next(
            (u for u in store.users.values() if username in (u.username, u.email)),
            None,
        )
    if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
        scheme = "Basic" if store.api_version == "2.0" else "Bearer"
        raise NomadError(
            401, "Incorrect username or password", headers={"WWW-Authenticate": scheme}
        )
    return user


def _require_token_scope(request: Request, store: Store) -> None:
    if store.api_version != "2.0":
        return
    if getattr(request.state, "token_kind", "access") != "access":
        raise NomadError(403, "Missing scopes: ['tokens:create']")
