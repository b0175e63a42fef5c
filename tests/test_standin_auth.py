"""The stand-in's /auth routes: password grant, app tokens, signature tokens."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from standin_helpers import add_entry, auth

from nomadclient.testing import NomadStandIn


def _login(server: NomadStandIn, **form: str) -> httpx.Response:
    data = {"grant_type": "password", "username": "alice", "password": "alice-password"}
    data.update(form)
    return httpx.post(f"{server.api_url}/auth/token", data=data)


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    claims: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    return claims


def test_password_grant_answers_per_version(server: NomadStandIn, api_version: str) -> None:
    response = _login(server)
    assert response.status_code == 200
    body = response.json()
    if api_version == "2.0":
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == server.config.token_lifetime
        assert body["refresh_token"] is None
        assert set(body) == {
            "access_token",
            "token_type",
            "expires_in",
            "refresh_token",
            "scope",
            "id_token",
            "refresh_expires_in",
        }
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["pragma"] == "no-cache"
    else:
        assert body == {"access_token": body["access_token"], "token_type": "bearer"}
    me = httpx.get(
        f"{server.api_url}/users/me",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert me.json()["username"] == "alice"


def test_login_by_email(server: NomadStandIn) -> None:
    assert _login(server, username="alice@example.org").status_code == 200


@pytest.mark.parametrize("form", [{"password": "wrong"}, {"username": "nobody"}])
def test_wrong_credentials(server: NomadStandIn, api_version: str, form: dict[str, str]) -> None:
    response = _login(server, **form)
    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect username or password"}
    expected_scheme = "Basic" if api_version == "2.0" else "Bearer"
    assert response.headers["www-authenticate"] == expected_scheme


def test_grant_type_required_only_in_2_0(server: NomadStandIn, api_version: str) -> None:
    response = httpx.post(
        f"{server.api_url}/auth/token", data={"username": "alice", "password": "alice-password"}
    )
    if api_version == "2.0":
        assert response.status_code == 422
        assert response.json() == {
            "detail": [
                {
                    "type": "missing",
                    "loc": ["body", "grant_type"],
                    "msg": "Field required",
                    "input": None,
                }
            ]
        }
    else:
        assert response.status_code == 200


def test_other_grant_types_are_rejected(server: NomadStandIn) -> None:
    response = _login(server, grant_type="client_credentials")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "grant_type"]


def test_get_token_exists_only_in_1_3(server: NomadStandIn, api_version: str) -> None:
    url = f"{server.api_url}/auth/token"
    response = httpx.get(url, params={"username": "alice", "password": "alice-password"})
    if api_version == "2.0":
        assert response.status_code == 405
        assert response.json() == {"detail": "Method Not Allowed"}
    else:
        assert response.status_code == 200
        assert response.json()["token_type"] == "bearer"
        wrong = httpx.get(url, params={"username": "alice", "password": "nope"})
        assert wrong.status_code == 401


def test_app_token_lifetime_and_use(server: NomadStandIn) -> None:
    headers = auth(server)
    response = httpx.get(
        f"{server.api_url}/auth/app_token", params={"expires_in": 3600}, headers=headers
    )
    assert response.status_code == 200
    app_token = response.json()["app_token"]
    claims = _claims(app_token)
    assert claims["exp"] == claims["iat"] + 3600  # type: ignore[operator]
    me = httpx.get(f"{server.api_url}/users/me", headers={"Authorization": f"Bearer {app_token}"})
    assert me.status_code == 200


@pytest.mark.parametrize("expires_in", ["0", "-5", "2592001", "soon"])
def test_app_token_lifetime_bounds(server: NomadStandIn, expires_in: str) -> None:
    headers = auth(server)
    response = httpx.get(
        f"{server.api_url}/auth/app_token", params={"expires_in": expires_in}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "expires_in"]


def test_app_token_needs_expires_in(server: NomadStandIn, api_version: str) -> None:
    headers = auth(server)
    response = httpx.get(f"{server.api_url}/auth/app_token", headers=headers)
    assert response.status_code == 422
    item = response.json()["detail"][0]
    if api_version == "2.0":
        assert item["type"] == "missing"
    else:
        assert item == {
            "loc": ["query", "expires_in"],
            "msg": "field required",
            "type": "value_error.missing",
        }


def test_app_token_needs_authentication(server: NomadStandIn, api_version: str) -> None:
    response = httpx.get(f"{server.api_url}/auth/app_token", params={"expires_in": 60})
    assert response.status_code == 401
    expected = "Authentication required." if api_version == "2.0" else "Authorization required."
    assert response.json() == {"detail": expected}


@pytest.mark.parametrize("kind", ["app", "signature"])
def test_only_access_tokens_create_tokens_in_2_0(
    server: NomadStandIn, api_version: str, kind: str
) -> None:
    token = server.token_for("alice", kind=kind)  # type: ignore[arg-type]
    response = httpx.get(
        f"{server.api_url}/auth/app_token",
        params={"expires_in": 60},
        headers={"Authorization": f"Bearer {token}"},
    )
    if api_version == "2.0":
        assert response.status_code == 403
        assert response.json() == {"detail": "Missing scopes: ['tokens:create']"}
    else:
        assert response.status_code == 200


def test_signature_token_lives_ten_seconds(server: NomadStandIn) -> None:
    headers = auth(server)
    response = httpx.get(f"{server.api_url}/auth/signature_token", headers=headers)
    assert response.status_code == 200
    token = response.json()["signature_token"]
    claims = _claims(token)
    assert claims["exp"] == claims["iat"] + 10  # type: ignore[operator]
    me = httpx.get(f"{server.api_url}/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == "alice"


def test_bad_and_expired_tokens(server: NomadStandIn) -> None:
    url = f"{server.api_url}/users/me"
    forged = httpx.get(url, headers={"Authorization": "Bearer a.b.c"})
    assert forged.status_code == 401
    assert forged.json() == {
        "detail": "Could not validate credentials. The given token is invalid."
    }
    expired_token = server.token_for("alice", lifetime=-1)
    expired = httpx.get(url, headers={"Authorization": f"Bearer {expired_token}"})
    assert expired.status_code == 401
    assert expired.json() == {"detail": "Expired token."}


@pytest.mark.parametrize(
    ("download", "anonymous_status"),
    [
        # an invisible entry does not exist for the caller; an unpublished upload asks for login
        ("entries/{entry_id}/archive/download", 404),
        ("uploads/{upload_id}/raw/data.archive.json", 401),
    ],
)
def test_signature_token_as_download_parameter_only_in_1_3(
    server: NomadStandIn, api_version: str, download: str, anonymous_status: int
) -> None:
    upload_id, entry_id = add_entry(server, "alice", archive={"data": {"x": 1}})
    url = f"{server.api_url}/" + download.format(entry_id=entry_id, upload_id=upload_id)
    signature = server.token_for("alice", kind="signature", lifetime=10)
    signed = httpx.get(url, params={"signature_token": signature})
    assert signed.status_code == (200 if api_version == "1.3" else anonymous_status)
    assert httpx.get(url).status_code == anonymous_status
    if api_version == "1.3":
        bad = httpx.get(url, params={"signature_token": "a.b.c"})
        assert bad.status_code == 401
        assert bad.json() == {"detail": "Invalid token."}
