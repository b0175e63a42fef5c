"""Entry archives as NOMAD serves them, and the `required` spec that projects them.

An archive is the mainfile's sections (kept by processing in `EntryRecord.archive`) plus the
`metadata` and `results` sections NOMAD adds. A `required` spec is `"*"` or a nested dict of
section names whose values are `"*"`, sub-specs or `"include-resolved"`; keys may carry a list
index or slice (`"calculation[-1]"`, `"system[0:2]"`). References are not resolved here, so
`"include-resolved"` and `"include"` behave like `"*"`.
"""

from __future__ import annotations

import re
from typing import Any

from ._entry_metadata import entry_metadata
from ._errors import validation_error
from ._state import EntryRecord, Store

_WHOLE = frozenset({"*", "include", "include-resolved"})
_KEY = re.compile(r"^(?P<name>[^\[\]]+)(?:\[(?P<index>-?\d*(?::-?\d*)?)\])?$")
_TOP_LEVEL_OPTIONS = frozenset({"resolve-inplace"})


def full_archive(store: Store, entry: EntryRecord) -> dict[str, Any]:
    """The whole archive of an entry: its sections, `metadata` and `results`."""
    archive: dict[str, Any] = dict(entry.archive or {})
    archive["metadata"] = entry_metadata(store, entry)
    if entry.results is not None:
        archive["results"] = entry.results
    return archive


def has_archive(entry: EntryRecord) -> bool:
    """Whether processing left an archive (entries whose parsing failed have none)."""
    return entry.archive is not None or entry.results is not None


def archive_item(store: Store, entry: EntryRecord, required: Any) -> dict[str, Any]:
    """An `EntryArchive` item: the entry's ids and parser with its projected archive."""
    return {
        "entry_id": entry.entry_id,
        "upload_id": entry.upload_id,
        "parser_name": entry.parser_name,
        "archive": archive_json(store, entry, required),
    }


def archive_json(store: Store, entry: EntryRecord, required: Any) -> dict[str, Any]:
    """The archive as `data.archive` of `GET /entries/{id}/archive`, projected by `required`.

    A malformed spec raises a 422 with `loc` starting at `"required"`.
    """
    validate_required(store, required)
    projected: dict[str, Any] = project(full_archive(store, entry), required)
    return projected


def validate_required(store: Store, required: Any, loc: tuple[str, ...] = ("required",)) -> None:
    """422 unless `required` is a spec NOMAD's archive reader accepts."""
    if isinstance(required, str):
        if required not in _WHOLE:
            raise validation_error(f"{required} is not a valid value", list(loc), store.api_version)
        return
    if not isinstance(required, dict):
        raise validation_error("value is neither a dict nor a string", list(loc), store.api_version)
    for key, value in required.items():
        if len(loc) == 1 and key in _TOP_LEVEL_OPTIONS:
            if not isinstance(value, bool):
                raise validation_error("must be a boolean", [*loc, key], store.api_version)
            continue
        if not isinstance(key, str) or _KEY.match(key) is None:
            raise validation_error(
                f"invalid required key {key!r}", [*loc, str(key)], store.api_version
            )
        validate_required(store, value, (*loc, key))


def project(data: Any, required: Any) -> Any:
    """`data` restricted to a validated `required` spec."""
    if isinstance(required, str) or not isinstance(data, dict):
        return data
    selected: dict[str, Any] = {}
    for key, spec in required.items():
        if key in _TOP_LEVEL_OPTIONS:
            continue
        match = _KEY.match(key)
        if match is None:
            continue
        name, index = match.group("name"), match.group("index")
        if name == "*":
            for child_name, child in data.items():
                selected[child_name] = _project_value(child, spec, None)
            continue
        if name not in data:
            continue
        selected[name] = _project_value(data[name], spec, index)
    return selected


def _project_value(value: Any, spec: Any, index: str | None) -> Any:
    if isinstance(value, list):
        items = _slice(value, index) if index is not None else value
        return [project(item, spec) for item in items]
    return project(value, spec)


def _slice(items: list[Any], index: str) -> list[Any]:
    if ":" not in index:
        position = int(index)
        return [items[position]] if -len(items) <= position < len(items) else []
    start, stop = (int(part) if part else None for part in index.split(":", 1))
    return items[start:stop]
