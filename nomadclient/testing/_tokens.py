"""Bearer tokens the stand-in signs: compact HS256 JWTs, checked by signature and expiry.

NOMAD accepts Keycloak access tokens and its own "simple" tokens (app and signature tokens);
here all of them are JWTs signed with the server's secret, with a `kind` claim telling them apart.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Literal

TokenKind = Literal["access", "app", "signature"]


@dataclass(frozen=True)
class TokenClaims:
    """What a valid token says: whose it is, what kind, and until when."""

    user_id: str
    kind: TokenKind
    expires_at: int


class TokenError(Exception):
    """A token that is malformed, forged or expired; `str()` is NOMAD's detail text."""


def sign(secret: bytes, user_id: str, kind: TokenKind, lifetime: int) -> str:
    """A token for `user_id` valid for `lifetime` seconds."""
    now = int(time.time())
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(
        json.dumps({"sub": user_id, "kind": kind, "iat": now, "exp": now + lifetime}).encode()
    )
    signature = _b64(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


def verify(secret: bytes, token: str) -> TokenClaims:
    """The claims of a valid token, or `TokenError` with NOMAD's words for what is wrong."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("Could not validate credentials. The given token is invalid.")
    header, payload, signature = parts
    expected = _b64(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(signature, expected):
        raise TokenError("Could not validate credentials. The given token is invalid.")
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        result = TokenClaims(str(claims["sub"]), claims["kind"], int(claims["exp"]))
    except (ValueError, KeyError, TypeError) as error:
        raise TokenError("Token with invalid/unexpected payload.") from error
    if result.expires_at <= time.time():
        raise TokenError("Expired token.")
    return result


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
