"""Matching with a parsed query: the tree compiled into a predicate over entries' metadata."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._quantities import Kind, quantity
from ._query import Criterion, Logic, MatchAll, Node, as_datetime
from ._state import Store

Predicate = Callable[[dict[str, Any]], bool]


def values_at(metadata: dict[str, Any], name: str) -> list[Any]:
    """All values at a dotted path, flattened through lists, as a multi-valued field."""
    if "." not in name:  # most searched and sorted quantities: no walk needed
        value = metadata.get(name)
        return [] if value is None else list(value) if isinstance(value, list) else [value]
    current: list[Any] = [metadata]
    for part in name.split("."):
        found: list[Any] = []
        for item in current:
            if isinstance(item, dict) and part in item:
                value = item[part]
                if isinstance(value, list):
                    found.extend(value)
                elif value is not None:
                    found.append(value)
        current = found
        if not current:
            return current
    return current


def compile_query(store: Store, node: Node | None) -> Predicate | None:
    """A predicate implementing `node`, or None when everything matches."""
    if node is None or isinstance(node, MatchAll):
        return None
    if isinstance(node, Logic):
        parts = [compile_query(store, child) or _always for child in node.children]
        if node.op == "and":
            return lambda metadata: all(part(metadata) for part in parts)
        if node.op == "or":
            return lambda metadata: any(part(metadata) for part in parts)
        return lambda metadata: not parts[0](metadata)
    return _compile_criterion(store, node)


def _always(metadata: dict[str, Any]) -> bool:
    return True


def _compile_criterion(store: Store, criterion: Criterion) -> Predicate:
    known = quantity(store, criterion.name)
    kind: Kind = known.kind if known is not None else "str"
    name = criterion.name

    def stored(metadata: dict[str, Any]) -> list[Any]:
        values = values_at(metadata, name)
        # strings and booleans are compared as stored; scans run this for every entry
        if kind in ("str", "bool"):
            return values
        return [_stored_value(kind, value) for value in values]

    def has_all(metadata: dict[str, Any]) -> bool:
        present = stored(metadata)
        return all(value in present for value in wanted_all)

    if criterion.op == "eq":
        wanted = criterion.value
        return lambda metadata: wanted in stored(metadata)
    if criterion.op == "all":
        wanted_all = criterion.value
        return has_all
    if criterion.op == "any":
        wanted_any = criterion.value
        return lambda metadata: any(value in wanted_any for value in stored(metadata))
    if criterion.op == "none":
        wanted_none = criterion.value
        return lambda metadata: not any(value in wanted_none for value in stored(metadata))
    bounds = dict(criterion.value)
    return lambda metadata: any(_in_range(value, bounds) for value in stored(metadata))


def _stored_value(kind: Kind, value: Any) -> Any:
    try:
        if kind == "number" and not isinstance(value, bool):
            return float(value)
        if kind == "datetime":
            return as_datetime(value)
    except (TypeError, ValueError):
        return None
    return value


def _in_range(value: Any, bounds: dict[str, Any]) -> bool:
    try:
        return (
            ("gt" not in bounds or value > bounds["gt"])
            and ("gte" not in bounds or value >= bounds["gte"])
            and ("lt" not in bounds or value < bounds["lt"])
            and ("lte" not in bounds or value <= bounds["lte"])
        )
    except TypeError:
        return False
