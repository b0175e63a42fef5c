"""The one cattrs converter that turns NOMAD's JSON into domain objects and back.

Every structuring rule lives here, none in the models:

* datetimes become tz-aware: `Z`, `+00:00` and naive strings (NOMAD 1.3 and datasets write UTC
  without an offset) are all read, and written back as ISO 8601 with an offset;
* scalars are checked, not coerced (`"false"` is not a bool, `"3"` is not an int, a string is
  not a list), so a payload that does not fit fails instead of turning into wrong data;
* a null known field counts as absent (it gets the field's default), mirroring NOMAD, which omits
  nulls in most responses and keeps them in a few;
* unknown keys go to the model's `extra` and come back out of `unstructure`, and fields whose
  Python name differs from NOMAD's (`NOMAD_NAME` metadata) are renamed, for every model, by one
  predicate-based hook factory per direction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar, get_origin

import attrs
import cattrs
from cattrs.cols import list_structure_factory
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ..errors import NomadError
from ._base import NomadModel, wire_name, wire_names

T = TypeVar("T")

converter = cattrs.Converter()
"""The converter that owns every rule; use `structure` and `unstructure` rather than this."""


class StructureError(NomadError, ValueError):
    """A payload did not fit the model: the message names the class and the failing fields."""


def structure(data: Mapping[str, Any], cls: type[T]) -> T:
    """Build a `cls` from a JSON object NOMAD sent (unknown keys are kept in `extra`)."""
    try:
        return converter.structure(data, cls)
    except Exception as error:  # any failure while structuring means the payload did not fit
        raise StructureError(f"cannot structure {cls.__name__}: {_describe(error)}") from error


def unstructure(obj: NomadModel) -> dict[str, Any]:
    """The JSON object for `obj`, as NOMAD would send it: nulls left out, `extra` put back."""
    data: dict[str, Any] = converter.unstructure(obj)
    return data


# --------------------------------------------------------------------------------------------
# datetimes

_FRACTION = re.compile(r"\.(\d+)")


def parse_datetime(value: Any, _: object = None) -> datetime:
    """A tz-aware datetime from NOMAD's ISO strings; a string without offset is UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if text[-1:] in ("Z", "z"):
            text = text[:-1] + "+00:00"
        # Python 3.10's fromisoformat takes exactly 3 or 6 fraction digits
        text = _FRACTION.sub(lambda match: "." + match[1][:6].ljust(6, "0"), text, count=1)
        parsed = datetime.fromisoformat(text)
    else:
        raise TypeError(f"expected an ISO 8601 datetime string, got {type(value).__name__}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def format_datetime(value: datetime) -> str:
    """ISO 8601 with the offset, which `parse_datetime` reads back to an equal datetime."""
    return value.isoformat()


converter.register_structure_hook(datetime, parse_datetime)
converter.register_unstructure_hook(datetime, format_datetime)


# --------------------------------------------------------------------------------------------
# scalars and lists: checked, never coerced


def _structure_str(value: Any, _: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _structure_bool(value: Any, _: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected a boolean, got {type(value).__name__}")
    return value


def _structure_int(value: Any, _: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _structure_float(value: Any, _: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


converter.register_structure_hook(str, _structure_str)
converter.register_structure_hook(bool, _structure_bool)
converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook(float, _structure_float)


def _is_list(type_: Any) -> bool:
    return get_origin(type_) is list


def _strict_list_factory(type_: Any) -> Callable[[Any, Any], list[Any]]:
    structure_items = list_structure_factory(type_, converter)

    def structure_list(value: Any, cls: Any) -> list[Any]:
        # a string or an object is iterable, but never what a list field means
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        items: list[Any] = structure_items(value, cls)
        return items

    return structure_list


converter.register_structure_hook_factory(_is_list, _strict_list_factory)


# --------------------------------------------------------------------------------------------
# models: unknown keys to and from `extra`


def _is_model(type_: Any) -> bool:
    return isinstance(type_, type) and issubclass(type_, NomadModel)


def _overrides(cls: type[NomadModel]) -> dict[str, Any]:
    """The per-field cattrs overrides every model gets: renames, and no `_manager`."""
    overrides = {
        field.name: override(rename=wire_name(field))
        for field in attrs.fields(cls)
        if wire_name(field) != field.name
    }
    overrides["_manager"] = override(omit=True)
    return overrides


def _model_structure_factory(cls: type[NomadModel]) -> Callable[[Any, Any], NomadModel]:
    structure_known = make_dict_structure_fn(cls, converter, **_overrides(cls))
    known = wire_names(cls) - {"extra", "_manager"}

    def structure_model(data: Any, _: object) -> NomadModel:
        if not isinstance(data, Mapping):
            raise TypeError(f"expected a JSON object for {cls.__name__}, got {type(data).__name__}")
        values = {key: value for key, value in data.items() if key in known and value is not None}
        values["extra"] = {key: value for key, value in data.items() if key not in known}
        return structure_known(values, cls)

    return structure_model


def _model_unstructure_factory(cls: type[NomadModel]) -> Callable[[NomadModel], dict[str, Any]]:
    unstructure_known = make_dict_unstructure_fn(
        cls, converter, **_overrides(cls), extra=override(omit=True)
    )

    def unstructure_model(obj: NomadModel) -> dict[str, Any]:
        data = {key: value for key, value in unstructure_known(obj).items() if value is not None}
        data.update(converter.unstructure(obj.extra, dict[str, Any]))
        return data

    return unstructure_model


converter.register_structure_hook_factory(_is_model, _model_structure_factory)
converter.register_unstructure_hook_factory(_is_model, _model_unstructure_factory)


# --------------------------------------------------------------------------------------------
# error messages


def _describe(error: Exception) -> str:
    """Each failing field with its path, e.g. `authors[0].user_id: required field missing`."""
    messages = cattrs.transform_error(error, path="$", format_exception=_format_exception)
    return "; ".join(_without_root(message) for message in messages)


def _format_exception(error: BaseException, _: Any) -> str:
    if isinstance(error, KeyError):
        return "required field missing"
    return str(error) or type(error).__name__


def _without_root(message: str) -> str:
    # transform_error writes "<reason> @ $.path"; "path: reason" reads better in one line
    reason, _, path = message.rpartition(" @ ")
    path = path.removeprefix("$").removeprefix(".")
    return f"{path}: {reason}" if path else reason
