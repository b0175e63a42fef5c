"""NOMAD's entry query language: a request's `query` parsed, checked and normalized into a tree.

Values are coerced the way Elasticsearch coerces them, so that `_query_match.py` compares them
with stored values directly; the tree echoes itself in NOMAD's normalized form.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from ._errors import NomadError, validation_error
from ._quantities import Quantity, quantity
from ._state import Store
from ._validation import request_invalid


@dataclass(frozen=True)
class Criterion:
    """`name` compared by `op` (`eq`, `all`, `any`, `none` or `range`) with `value`."""

    name: str
    op: str
    value: Any

    def echo(self) -> dict[str, Any]:
        """The criterion as NOMAD echoes a normalized query."""
        if self.op == "eq":
            return {"name": self.name, "value": self.value}
        if self.op == "range":
            return {"name": self.name, "value": dict(self.value)}
        return {"name": self.name, "value": {self.op: list(self.value)}}


@dataclass(frozen=True)
class Logic:
    """`and`/`or` over several queries, or `not` of one."""

    op: Literal["and", "or", "not"]
    children: tuple[Node, ...]

    def echo(self) -> dict[str, Any]:
        """The boolean node as NOMAD echoes a normalized query."""
        if self.op == "not":
            return {"not": self.children[0].echo()}
        return {self.op: [child.echo() for child in self.children]}


@dataclass(frozen=True)
class MatchAll:
    """The empty query `{}`."""

    def echo(self) -> dict[str, Any]:
        """An empty query echoes as `{}`."""
        return {}


Node = Criterion | Logic | MatchAll


def parse_query(store: Store, raw: Any) -> Node | None:
    """A request's `query` as a validated tree; 422 in NOMAD's shapes for bad queries."""
    if raw is None:
        return None
    return _parse(store, raw, "")


def query_error(store: Store, msg: str, loc: Sequence[Any]) -> NomadError:
    """A 422 NOMAD raises from its query checks, located at `loc` in the body."""
    return validation_error(msg, [list(loc)], store.api_version)


def elasticsearch_error(reason: str) -> NomadError:
    """A 400 for a query Elasticsearch rejects, in NOMAD's wording."""
    return NomadError(400, f"Elasticsearch could not process your query: {reason}")


def as_datetime(value: Any) -> datetime:
    """A date value as Elasticsearch reads it: epoch milliseconds or ISO 8601 (UTC if naive)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, timezone.utc)
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


_LIST_OPS = ("all", "any", "none")
_RANGE_OPS = ("gt", "gte", "lt", "lte")
_OPS = (*_LIST_OPS, *_RANGE_OPS)


def _model_error(store: Store, error_type: str, msg: str, raw: Any) -> NomadError:
    # errors NOMAD raises from its pydantic query models, located at the body's `query`
    return request_invalid(
        [{"type": error_type, "loc": ("body", "query"), "msg": msg, "input": raw}],
        store.api_version,
    )


def _parse(store: Store, raw: Any, prefix: str) -> Node:
    if not isinstance(raw, dict):
        raise _model_error(store, "dict_type", "Input should be a valid dictionary", raw)
    if not raw and not prefix:
        return MatchAll()
    if len(raw) == 1:
        ((key, value),) = raw.items()
        if key in ("and", "or") and not prefix:
            if not isinstance(value, list):
                raise _model_error(store, "list_type", "Input should be a valid list", value)
            return Logic(key, tuple(_parse(store, child, "") for child in value))
        if key == "not" and not prefix:
            return Logic("not", (_parse(store, value, ""),))
    if set(raw) == {"name", "value"} and isinstance(raw["name"], str) and not prefix:
        return _criterion(store, raw["name"], raw["value"])
    if "optimade_filter" in raw:
        raise query_error(
            store, "optimade_filter is not supported by the stand-in", ["optimade_filter"]
        )
    criteria: dict[str, Node] = {}
    for key, value in raw.items():
        for node in _criteria_of(store, prefix + str(key), value):
            name = node.name if isinstance(node, Criterion) else repr(node)
            if name in criteria:
                raise _model_error(store, "duplicate_quantity", _duplicate_message(store), raw)
            criteria[name] = node
    nodes = tuple(criteria.values())
    return nodes[0] if len(nodes) == 1 else Logic("and", nodes)


def _duplicate_message(store: Store) -> str:
    if store.api_version == "2.0":
        return "A quantity can only appear once in a query"
    return "a quantity can only appear once in a query"


def _criteria_of(store: Store, name: str, value: Any) -> list[Node]:
    if ":" in name:
        base, qualifier = name.rsplit(":", 1)
        if qualifier in _OPS:
            return [_criterion(store, base, {qualifier: value})]
    if isinstance(value, dict) and value and not set(value) <= set(_OPS):
        # a nested object: its keys continue the dotted quantity name
        nested = _parse(store, value, name + ".")
        return list(nested.children) if isinstance(nested, Logic) else [nested]
    return [_criterion(store, name, value)]


def _criterion(store: Store, name: str, value: Any) -> Criterion:
    known = quantity(store, name)
    if known is None:
        raise query_error(store, f"{name} is not a entries quantity", [name])
    if isinstance(value, list):
        return Criterion(name, "all", tuple(_coerce_all(store, known, value)))
    if not isinstance(value, dict):
        return Criterion(name, "eq", _coerce(store, known, value))
    if not value:
        raise _model_error(store, "no_values", "At least one value must be provided", value)
    if set(value) & set(_LIST_OPS):
        if len(value) != 1:
            raise _model_error(store, "extra_forbidden", "Extra inputs are not permitted", value)
        ((op, values),) = value.items()
        if not isinstance(values, list):
            raise _model_error(store, "list_type", "Input should be a valid list", values)
        return Criterion(name, op, tuple(_coerce_all(store, known, values)))
    if "gt" in value and "gte" in value:
        msg = "Cannot specify both gt and gte for the same boundary"
        raise _model_error(store, "conflicting_bounds", msg, value)
    if "lt" in value and "lte" in value:
        msg = "Cannot specify both lt and lte for the same boundary"
        raise _model_error(store, "conflicting_bounds", msg, value)
    bounds = {}
    for op, bound in value.items():
        if isinstance(bound, list | dict) or bound is None:
            raise _model_error(store, "range_type", "Range bounds must be scalar values", value)
        bounds[op] = _coerce(store, known, bound)
    return Criterion(name, "range", tuple(bounds.items()))


def _coerce_all(store: Store, known: Quantity, values: Iterable[Any]) -> list[Any]:
    return [_coerce(store, known, value) for value in values]


def _coerce(store: Store, known: Quantity, value: Any) -> Any:
    """A query value in the form the stored values compare with (as Elasticsearch coerces)."""
    if isinstance(value, dict | list) or value is None:
        raise _model_error(store, "value_type", "Input should be a scalar value", value)
    try:
        if known.kind == "number":
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if known.kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).lower()
            if text not in ("true", "false"):
                raise ValueError(value)
            return text == "true"
        if known.kind == "datetime":
            return as_datetime(value)
    except (TypeError, ValueError) as error:
        raise elasticsearch_error(
            f"failed to create query: cannot parse [{value}] for field [{known.name}]"
        ) from error
    return value if isinstance(value, str) else json.dumps(value)
