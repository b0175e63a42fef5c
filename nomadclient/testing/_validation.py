"""422 bodies in the shape of the emulated NOMAD version.

The stand-in validates with pydantic v2 (as NOMAD 2.0 does); NOMAD 1.3 ran pydantic v1, whose
error items are `{loc, msg, type}` with dotted type names. Everything that answers 422 for bad
request data goes through `validation_items`, so both shapes come from one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._errors import NomadError
from ._state import ApiVersion

# pydantic v2 error type -> (pydantic v1 type, v1 message or None to keep the v2 message)
_V1_TYPES: dict[str, tuple[str, str | None]] = {
    "missing": ("value_error.missing", "field required"),
    "int_parsing": ("type_error.integer", "value is not a valid integer"),
    "int_type": ("type_error.integer", "value is not a valid integer"),
    "int_from_float": ("type_error.integer", "value is not a valid integer"),
    "float_parsing": ("type_error.float", "value is not a valid float"),
    "float_type": ("type_error.float", "value is not a valid float"),
    "bool_parsing": ("type_error.bool", "value could not be parsed to a boolean"),
    "bool_type": ("type_error.bool", "value could not be parsed to a boolean"),
    "string_type": ("type_error.str", "str type expected"),
    "list_type": ("type_error.list", "value is not a valid list"),
    "dict_type": ("type_error.dict", "value is not a valid dict"),
    "model_type": ("type_error.dict", "value is not a valid dict"),
    "model_attributes_type": ("type_error.dict", "value is not a valid dict"),
    "json_invalid": ("value_error.jsondecode", None),
    "datetime_parsing": ("value_error.datetime", "invalid datetime format"),
    "datetime_from_date_parsing": ("value_error.datetime", "invalid datetime format"),
    "url_parsing": ("value_error.url", "invalid or missing URL scheme"),
    "greater_than": ("value_error.number.not_gt", None),
    "greater_than_equal": ("value_error.number.not_ge", None),
    "less_than": ("value_error.number.not_lt", None),
    "less_than_equal": ("value_error.number.not_le", None),
    "enum": ("type_error.enum", None),
    "literal_error": ("value_error.const", None),
    "assertion_error": ("assertion_error", None),
    "value_error": ("value_error", None),
    # NOMAD's own PydanticCustomErrors were plain `assert`s under pydantic v1
    "invalid_page_size": ("assertion_error", None),
    "invalid_page": ("assertion_error", None),
    "invalid_page_offset": ("assertion_error", None),
    "multiple_pagination_criteria": ("assertion_error", None),
    "invalid_pagination": ("assertion_error", None),
}

_V1_BOUND_WORDS = {
    "greater_than": "greater than",
    "greater_than_equal": "greater than or equal to",
    "less_than": "less than",
    "less_than_equal": "less than or equal to",
}

_V2_PREFIXES = ("Assertion failed, ", "Value error, ")


def validation_items(
    errors: Iterable[Mapping[str, Any]], api_version: ApiVersion
) -> list[dict[str, Any]]:
    """The pydantic v2 error dicts, as NOMAD renders them in a 422 `detail` list."""
    render = _v2_item if api_version == "2.0" else _v1_item
    return [render(error) for error in errors]


def request_invalid(errors: Iterable[Mapping[str, Any]], api_version: ApiVersion) -> NomadError:
    """A 422 for invalid request data (parameters or body), rendered per API version."""
    return NomadError(422, validation_items(errors, api_version))


def _v2_item(error: Mapping[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": error.get("type", "value_error"),
        "loc": list(error.get("loc", ())),
        "msg": str(error.get("msg", "")),
        "input": _json_safe(error.get("input")),
    }
    ctx = error.get("ctx")
    if ctx:
        item["ctx"] = {key: _json_safe(value) for key, value in ctx.items()}
    return item


def _v1_item(error: Mapping[str, Any]) -> dict[str, Any]:
    v2_type = str(error.get("type", "value_error"))
    v1_type, v1_msg = _V1_TYPES.get(v2_type, (v2_type, None))
    loc = list(error.get("loc", ()))
    if len(loc) == 1:
        # pydantic v1 reported model-level errors at `__root__`
        loc.append("__root__")
    return {
        "loc": loc,
        "msg": v1_msg or _v1_message(v2_type, error),
        "type": v1_type,
    }


def _v1_message(v2_type: str, error: Mapping[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    if v2_type in _V1_BOUND_WORDS:
        bound = next(iter(ctx.values()), "")
        return f"ensure this value is {_V1_BOUND_WORDS[v2_type]} {bound}"
    if v2_type == "enum":
        return f"value is not a valid enumeration member; permitted: {ctx.get('expected', '')}"
    message = str(error.get("msg", ""))
    for prefix in _V2_PREFIXES:
        message = message.removeprefix(prefix)
    return message


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)
