"""NOMAD's `MetadataEditRequest`: verifying an edit of upload/entry metadata, then applying it.

`verify_edit` checks a request body the way NOMAD's edit handler does and raises the same 422
items (`{msg, loc}`, built by `_errors.validation_error`); `apply_edit` writes a verified edit
into the records (called from the processing job, with the store lock held).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlparse

from ._errors import NomadError, validation_item
from ._search import select_entry_ids
from ._state import EntryRecord, Store, UploadRecord, UserRecord
from ._validation import request_invalid

Loc = tuple[str, ...]

EXTERNAL_DBS = (
    "The Perovskite Database Project",
    "EELS Data Base",
    "Materials Project",
    "AFLOW",
    "OQMD",
    "Kyoto Phonopy Database",
)

OWNERS = ("public", "visible", "shared", "user", "staging", "all", "admin")


@dataclass(frozen=True)
class _Quantity:
    kind: str  # str | int | url | enum | datetime | user | group | dataset
    many: bool = False
    upload_level: bool = False
    admin_only: bool = False


_QUANTITIES: dict[str, _Quantity] = {
    "upload_name": _Quantity("str", upload_level=True),
    "description": _Quantity("str", upload_level=True),
    "embargo_length": _Quantity("int", upload_level=True),
    "coauthors": _Quantity("user", many=True, upload_level=True),
    "coauthor_groups": _Quantity("group", many=True, upload_level=True),
    "reviewers": _Quantity("user", many=True, upload_level=True),
    "reviewer_groups": _Quantity("group", many=True, upload_level=True),
    "external_db": _Quantity("enum", upload_level=True),
    "upload_create_time": _Quantity("datetime", upload_level=True, admin_only=True),
    "publish_time": _Quantity("datetime", upload_level=True, admin_only=True),
    "license": _Quantity("str", upload_level=True, admin_only=True),
    "main_author": _Quantity("user", upload_level=True, admin_only=True),
    "comment": _Quantity("str"),
    "references": _Quantity("url", many=True),
    "external_id": _Quantity("str"),
    "datasets": _Quantity("dataset", many=True),
    "entry_create_time": _Quantity("datetime", admin_only=True),
}


def editable_quantities(store: Store) -> dict[str, _Quantity]:
    """The quantities an edit may set in the emulated version (`description` is new in 2.0)."""
    if store.api_version == "2.0":
        return _QUANTITIES
    return {name: spec for name, spec in _QUANTITIES.items() if name != "description"}


@dataclass
class VerifiedEdit:
    """An edit that passed verification: values resolved to ids, lists as operations."""

    upload_id: str
    metadata: dict[str, Any] = field(default_factory=dict)
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    entries_key: str = "entry_id"
    # the entries a `query` selected; None = all entries of the upload
    entry_ids: list[str] | None = None
    verify_only: bool = False


def parse_body(raw: bytes, store: Store) -> dict[str, Any]:
    """The JSON request body as an object, or the 422 FastAPI would give for it."""
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise request_invalid(
            [
                {
                    "type": "json_invalid",
                    "loc": ["body", 0],
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": str(error)},
                }
            ],
            store.api_version,
        ) from error
    if not isinstance(body, dict):
        raise request_invalid(
            [
                {
                    "type": "model_attributes_type",
                    "loc": ["body"],
                    "msg": "Input should be a valid dictionary or object to extract fields from",
                    "input": body,
                }
            ],
            store.api_version,
        )
    _check_shape(body, store)
    return body


def _check_shape(body: dict[str, Any], store: Store) -> None:
    errors = []

    def wrong(name: str, error_type: str, msg: str) -> None:
        errors.append({"type": error_type, "loc": ["body", name], "msg": msg, "input": body[name]})

    for name in ("metadata", "entries", "query"):
        if body.get(name) is not None and not isinstance(body[name], dict):
            wrong(name, "dict_type", "Input should be a valid dictionary")
    entries = body.get("entries")
    if isinstance(entries, dict) and not all(isinstance(item, dict) for item in entries.values()):
        wrong("entries", "dict_type", "Input should be a valid dictionary")
    if body.get("entries_key") is not None and not isinstance(body["entries_key"], str):
        wrong("entries_key", "string_type", "Input should be a valid string")
    if body.get("verify_only") is not None and not isinstance(body["verify_only"], bool):
        wrong("verify_only", "bool_type", "Input should be a valid boolean")
    if body.get("owner") is not None and body["owner"] not in OWNERS:
        options = ", ".join(f"'{owner}'" for owner in OWNERS)
        wrong("owner", "enum", f"Input should be {options}")
    if errors:
        raise request_invalid(errors, store.api_version)


class _Verifier:
    def __init__(self, store: Store, user: UserRecord) -> None:
        self.store = store
        self.user = user
        self.quantities = editable_quantities(store)
        self.errors: list[dict[str, Any]] = []
        self.attempts: list[Loc] = []
        self.admin_locs: list[Loc] = []
        self.coauthor_locs: list[Loc] = []

    def error(self, msg: str, loc: Loc) -> None:
        self.errors.append(validation_item(msg, list(loc), self.store.api_version))

    def fail(self) -> NomadError:
        return NomadError(422, self.errors)

    def metadata(self, raw: dict[str, Any], loc: Loc, upload_level: bool) -> dict[str, Any]:
        verified = {}
        for name, value in raw.items():
            if value is None:
                continue
            ok, result = self.single(name, value, (*loc, name), upload_level)
            if ok:
                verified[name] = result
        return verified

    def single(self, name: str, value: Any, loc: Loc, upload_level: bool) -> tuple[bool, Any]:
        spec = self.quantities.get(name)
        if spec is None:
            self.error("Unknown quantity", loc)
            return False, None
        self.attempts.append(loc)
        (self.admin_locs if spec.admin_only else self.coauthor_locs).append(loc)
        if spec.upload_level and not upload_level:
            self.error("Quantity can only be edited on the upload level", loc)
            return False, None
        try:
            if not spec.many:
                return True, self.value(name, spec, value, None)
            return True, self.list_operations(name, spec, value)
        except _Invalid as error:
            self.error(str(error), loc)
            return False, None

    def list_operations(self, name: str, spec: _Quantity, value: Any) -> dict[str, list[Any]]:
        if isinstance(value, dict):
            _require(bool(value), "No operation specified")
            for key in value:
                _require(
                    key in ("set", "add", "remove"),
                    f"Allowed operations are `set`, `add`, and `remove`, got {key}",
                )
            _require(
                "set" not in value or ("add" not in value and "remove" not in value),
                "Cannot specify both `set` and `add`/`remove` operations",
            )
            _require(
                name != "datasets" or "set" not in value,
                "Only `add` and `remove` operations permitted for datasets",
            )
            operations = value
        else:
            operations = {"add" if name == "datasets" else "set": value}
        verified: dict[str, list[Any]] = {}
        for operation, values in operations.items():
            items = values if isinstance(values, list) else [values]
            verified[operation] = [self.value(name, spec, item, operation) for item in items]
        added = {json.dumps(item) for item in verified.get("add", [])}
        _require(
            added.isdisjoint(json.dumps(item) for item in verified.get("remove", [])),
            "The same value cannot be specified for both `add` and `remove`",
        )
        return verified

    def value(self, name: str, spec: _Quantity, value: Any, operation: str | None) -> Any:
        checker = _VALUE_CHECKS[spec.kind]
        return checker(self, name, value, operation)

    # value kinds -------------------------------------------------------------------------

    def check_str(self, name: str, value: Any, operation: str | None) -> Any:
        _require(value is None or isinstance(value, str), "Expected a str")
        return None if value == "" else value

    def check_int(self, name: str, value: Any, operation: str | None) -> Any:
        _require(isinstance(value, int) and not isinstance(value, bool), "Expected a int")
        if name == "embargo_length":
            _require(0 <= value <= 36, "Value should be between 0 and 36")
        return value

    def check_url(self, name: str, value: Any, operation: str | None) -> Any:
        _require(isinstance(value, str), "Expected a str")
        parsed = urlparse(value)
        _require(
            parsed.scheme in ("http", "https", "ftp") and "." in parsed.netloc,
            "Please enter a valid URL ...",
        )
        return value

    def check_enum(self, name: str, value: Any, operation: str | None) -> Any:
        _require(isinstance(value, str), "Expected a string value")
        if value == "":
            return None
        _require(value in EXTERNAL_DBS, f"Bad enum value {value}")
        return value

    def check_datetime(self, name: str, value: Any, operation: str | None) -> Any:
        _require(isinstance(value, str), "Expected a string value")
        if value == "":
            return None
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as error:
            raise _Invalid(str(error)) from error
        return value

    def check_user(self, name: str, value: Any, operation: str | None) -> Any:
        _require(isinstance(value, str), "Expected a string value")
        user = self.store.find_user(value)
        _require(user is not None, f"User reference not found: `{value}`")
        assert user is not None
        return user.user_id

    def check_group(self, name: str, value: Any, operation: str | None) -> Any:
        # the stand-in has no user groups, so no group reference can resolve
        _require(isinstance(value, str), "Expected a string value")
        raise _Invalid(f"User group reference not found: `{value}`")

    def check_dataset(self, name: str, value: Any, operation: str | None) -> Any:
        _require(isinstance(value, str), "Expected a string value")
        with self.store.lock:
            dataset = self.store.datasets.get(value) or next(
                (
                    candidate
                    for candidate in self.store.datasets.values()
                    if candidate.user_id == self.user.user_id and candidate.dataset_name == value
                ),
                None,
            )
        _require(dataset is not None, f"Dataset reference not found: `{value}`")
        assert dataset is not None
        _require(
            self.user.is_admin or dataset.user_id == self.user.user_id,
            f"Dataset `{value}` does not belong to you",
        )
        _require(
            operation == "add" or not dataset.doi,
            f"Dataset `{value}` has a doi, can only add entries to it",
        )
        return dataset.dataset_id


class _Invalid(Exception):
    """A value that fails one of NOMAD's edit rules; the message is NOMAD's."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise _Invalid(message)


_VALUE_CHECKS: dict[str, Callable[[_Verifier, str, Any, str | None], Any]] = {
    "str": _Verifier.check_str,
    "int": _Verifier.check_int,
    "url": _Verifier.check_url,
    "enum": _Verifier.check_enum,
    "datetime": _Verifier.check_datetime,
    "user": _Verifier.check_user,
    "group": _Verifier.check_group,
    "dataset": _Verifier.check_dataset,
}


def verify_edit(
    store: Store, user: UserRecord, upload_id: str, body: dict[str, Any]
) -> VerifiedEdit:
    """Check an edit request against NOMAD's rules; raises the 422 NOMAD would give."""
    verifier = _Verifier(store, user)
    query = body.get("query") or None
    entries = body.get("entries") or {}
    entries_key = body.get("entries_key") or "entry_id"
    edit = VerifiedEdit(
        upload_id=upload_id, entries_key=entries_key, verify_only=bool(body.get("verify_only"))
    )
    if entries and entries_key not in ("entry_id", "mainfile"):
        verifier.error(f"Invalid entries_key: {entries_key}", ("entries_key",))
        raise verifier.fail()
    if body.get("metadata"):
        edit.metadata = verifier.metadata(body["metadata"], ("metadata",), query is None)
    for key, raw in entries.items():
        edit.entries[key] = verifier.metadata(raw, ("entries", key), False)
    if not verifier.attempts:
        verifier.error("No fields to update specified", ("metadata",))
    elif verifier.admin_locs and not user.is_admin:
        for loc in verifier.admin_locs:
            verifier.error("Admin rights required", loc)
    if verifier.errors:
        raise verifier.fail()

    with store.lock:
        upload = store.uploads.get(upload_id)
        if upload is None:
            verifier.error("No matching upload found", ("upload_id",))
            raise verifier.fail()
        if query is not None:
            edit.entry_ids = _select_entries(store, user, upload, body, verifier)
        level = "admin" if verifier.admin_locs else "coauthor"
        allowed = user.is_admin or (
            level == "coauthor" and user.user_id in (upload.main_author, *upload.coauthors)
        )
        if not allowed:
            for loc in verifier.admin_locs if level == "admin" else verifier.coauthor_locs:
                verifier.error(f"AuthLevel.{level} access required for upload {upload_id}", loc)
        elif upload.published and not user.is_admin and edit.metadata.get("embargo_length", 0) != 0:
            verifier.error(
                f"Upload {upload_id} is published, embargo can only be lifted",
                ("metadata", "embargo_length"),
            )
    if verifier.errors:
        raise verifier.fail()
    return edit


def _select_entries(
    store: Store,
    user: UserRecord,
    upload: UploadRecord,
    body: dict[str, Any],
    verifier: _Verifier,
) -> list[str]:
    """The upload's entries a `query` selects, searched with the request's `owner`."""
    try:
        found = set(select_entry_ids(store, user, body.get("owner") or "public", body["query"]))
    except NomadError as error:
        verifier.error(f"Could not evaluate query: {error.detail}", ("query",))
        raise verifier.fail() from error
    selected = [entry_id for entry_id in upload.entry_ids if entry_id in found]
    if not selected:
        verifier.error("No matching entries found", ("query",))
        raise verifier.fail()
    return selected


# --------------------------------------------------------------------------------------------
# applying


def apply_edit(store: Store, upload: UploadRecord, edit: VerifiedEdit) -> None:
    """Write a verified edit into the upload and its entries (call with the store lock held)."""
    for name, value in edit.metadata.items():
        if _QUANTITIES[name].upload_level:
            _set(upload, name, value, upload.main_author)
    selected = set(edit.entry_ids) if edit.entry_ids is not None else None
    for entry in store.entries_of(upload):
        if selected is not None and entry.entry_id not in selected:
            continue
        key = entry.entry_id if edit.entries_key == "entry_id" else entry.mainfile
        values = {**edit.metadata, **edit.entries.get(key, {})}
        for name, value in values.items():
            if not _QUANTITIES[name].upload_level:
                _set(entry, name, value, upload.main_author)
    store.touch(upload)


_ATTRIBUTES = {"datasets": "dataset_ids"}


def _set(record: UploadRecord | EntryRecord, name: str, value: Any, main_author: str) -> None:
    attribute = _ATTRIBUTES.get(name, name)
    spec = _QUANTITIES[name]
    if spec.kind == "group":
        return
    if not spec.many:
        if spec.kind == "datetime" and value is not None:
            value = _parse_time(value)
        if attribute == "embargo_length" and value is None:
            value = 0
        setattr(record, attribute, value)
        return
    current: list[Any] = [] if "set" in value else list(getattr(record, attribute))
    for operation, items in value.items():
        for item in items:
            if operation == "remove":
                if item in current:
                    current.remove(item)
            elif item not in current and not (
                name in ("coauthors", "reviewers") and item == main_author
            ):
                current.append(item)
    setattr(record, attribute, current)


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
