"""Whose entries a search covers: NOMAD's `owner` values and their authentication rules."""

from __future__ import annotations

from ._errors import NomadError, forbidden
from ._state import ApiVersion, UploadRecord, UserRecord, is_public


def check_owner(owner: str, user: UserRecord | None, api_version: ApiVersion) -> None:
    """NOMAD's authentication rules for the `owner` of a search."""
    if owner in ("shared", "user", "staging", "admin") and user is None:
        detail = (
            f"Authentication required for owner='{owner}'."
            if api_version == "2.0"
            else f"Authentication required for owner value {owner}."
        )
        raise NomadError(401, detail)
    if owner == "admin" and user is not None and not user.is_admin:
        raise forbidden("This can only be used by the admin user.", api_version)


def owner_admits(owner: str, upload: UploadRecord, user: UserRecord | None) -> bool:
    """Whether entries of `upload` are in the scope of `owner` for `user`."""
    user_id = user.user_id if user is not None else None
    is_viewer = user_id is not None and user_id in upload.viewers
    if owner == "public":
        return is_public(upload)
    if owner == "visible":
        return is_public(upload) or is_viewer or (user is not None and user.is_admin)
    if owner == "all":
        return upload.published or is_viewer or (user is not None and user.is_admin)
    if owner == "shared":
        return is_viewer
    if owner == "user":
        return user_id is not None and upload.main_author == user_id
    if owner == "staging":
        return is_viewer and not upload.published
    return owner == "admin"
