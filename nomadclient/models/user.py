"""NOMAD users: the account (`User`) and the short form entry metadata uses (`UserRef`)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import attrs

from ._base import NomadModel


@attrs.frozen(kw_only=True)
class User(NomadModel):
    """A NOMAD user account, as `GET /users/me`, `/users` and `/users/{user_id}` serve it.

    Which fields are present depends on the endpoint: only `/users/me` sends `email`, and
    `/users/{user_id}` leaves out `created` and the admin flags.
    """

    _ID_FIELD: ClassVar[str] = "user_id"
    _COLLECTION: ClassVar[str] = "users"

    user_id: str
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    affiliation: str | None = None
    affiliation_address: str | None = None
    username: str | None = None
    created: datetime | None = None
    repo_user_id: str | None = None
    is_admin: bool | None = None
    is_oasis_admin: bool | None = None


@attrs.frozen(kw_only=True)
class UserRef(NomadModel):
    """A user named in entry metadata (`main_author`, `authors`, ...): `{user_id, name}`."""

    _ID_FIELD: ClassVar[str] = "user_id"

    user_id: str
    name: str | None = None
