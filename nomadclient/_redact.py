"""Masking of secrets (tokens, passwords) in URLs, headers and free text before they are shown."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = [
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_QUERY_PARAMETERS",
    "redact_headers",
    "redact_text",
    "redact_url",
]

REDACTED = "***"
"""What a secret value is replaced with."""

SECRET_QUERY_PARAMETERS = frozenset(
    {
        # NOMAD 1.3 takes the signature token and the upload token as query parameters.
        "signature_token",
        "token",
        "access_token",
        "refresh_token",
        "app_token",
        "password",
    }
)
"""Query parameter names whose values are secrets (compared case-insensitively)."""

SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "upload-token", "cookie", "set-cookie"}
)
"""Header names whose values are secrets (lower case)."""

_SECRET_QUERY_VALUE = re.compile(
    r"(?i)([?&;](?:" + "|".join(sorted(SECRET_QUERY_PARAMETERS)) + r")=)[^&#\s]*"
)
_USERINFO_PASSWORD = re.compile(r"(//[^/@:\s]*:)[^/@\s]*@")
_BEARER_VALUE = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


def redact_url(url: object) -> str:
    """`url` as text, with secret query values and any password in the user-info masked.

    Works on any text, also on malformed URLs and on messages that contain URLs.
    """
    text = _USERINFO_PASSWORD.sub(rf"\g<1>{REDACTED}@", str(url))
    return _SECRET_QUERY_VALUE.sub(rf"\g<1>{REDACTED}", text)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of `headers` with the values of `SECRET_HEADERS` masked."""
    return {
        name: REDACTED if name.lower() in SECRET_HEADERS else value
        for name, value in headers.items()
    }


def redact_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with URLs redacted, bearer tokens masked and every given secret value replaced."""
    cleaned = _BEARER_VALUE.sub(rf"\g<1>{REDACTED}", redact_url(text))
    # Longest first, so that a secret containing another one is masked as a whole.
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        cleaned = cleaned.replace(secret, REDACTED)
    return cleaned
