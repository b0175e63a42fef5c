"""NOMAD's error answers: `{"detail": ...}` bodies, and the statuses that differ between versions.

Routes raise `NomadError`; the app's handlers (see `app.py`) render it, FastAPI's validation
errors and unexpected exceptions the way NOMAD does.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

from ._state import ApiVersion


class NomadError(HTTPException):
    """An error NOMAD answers with `{"detail": detail}` and the given status."""

    def __init__(
        self, status_code: int, detail: Any, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status_code=status_code, detail=detail, headers=headers)


def forbidden(detail: str, api_version: ApiVersion) -> NomadError:
    """Authenticated but not allowed: 403 in NOMAD 2.0, 401 in 1.3."""
    return NomadError(403 if api_version == "2.0" else 401, detail)


def not_authenticated(api_version: ApiVersion) -> NomadError:
    """No credentials where they are required."""
    detail = "Authentication required." if api_version == "2.0" else "Authorization required."
    return NomadError(401, detail, headers={"WWW-Authenticate": "Bearer"})


def validation_item(msg: str, loc: list[Any], api_version: ApiVersion) -> dict[str, Any]:
    """One item of NOMAD's own validators' 422s: `msg` and `loc` (1.3 adds `type`)."""
    item: dict[str, Any] = {"msg": msg, "loc": loc}
    if api_version == "1.3":
        item["type"] = "value_error.exception"
    return item


def validation_error(msg: str, loc: list[Any], api_version: ApiVersion) -> NomadError:
    """A 422 from one of NOMAD's own validators, with one `validation_item`."""
    return NomadError(422, [validation_item(msg, loc, api_version)])
