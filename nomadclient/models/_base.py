"""What every model shares: unknown fields kept in `extra`, and the link back to its manager."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

import attrs

from ..errors import DetachedObjectError

M = TypeVar("M")
T = TypeVar("T")

NOMAD_NAME = "nomad_name"
"""Field metadata key: the JSON key NOMAD uses, where it cannot be the Python name.

NOMAD calls an upload's entry count and a dataset's entry ids `entries`, the name the objects'
`entries()` methods need; those fields are `entry_count` and `entry_ids` in Python and still
`entries` on the wire.
"""


@attrs.frozen(kw_only=True)
class NomadModel:
    """Base of every domain object: the fields NOMAD sent that this SDK does not know yet.

    NOMAD adds fields between versions; they land in `extra` instead of failing, are compared by
    `==`, hidden from `repr`, and written back by `unstructure`. `extra` never holds the name of
    a declared field, so structuring what `unstructure` wrote gives back an equal object.
    """

    _ID_FIELD: ClassVar[str]
    _COLLECTION: ClassVar[str] = ""

    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    @extra.validator
    def _check_extra(self, _: attrs.Attribute[dict[str, Any]], value: dict[str, Any]) -> None:
        clashes = sorted(value.keys() & wire_names(type(self)))
        if clashes:
            raise ValueError(f"extra repeats declared fields of {type(self).__name__}: {clashes}")


def wire_name(field: attrs.Attribute[Any]) -> str:
    """The JSON key of a model field: NOMAD's name for it."""
    name: str = field.metadata.get(NOMAD_NAME, field.name)
    return name


_wire_names: dict[type, frozenset[str]] = {}


def wire_names(cls: type[NomadModel]) -> frozenset[str]:
    """The JSON keys of `cls`'s declared fields (`extra` and `_manager` included)."""
    names = _wire_names.get(cls)
    if names is None:
        names = _wire_names[cls] = frozenset(wire_name(field) for field in attrs.fields(cls))
    return names


def bind(obj: T, manager: object) -> T:
    """Attach the manager that made `obj`, so its behaviour methods work; returns `obj`."""
    if not isinstance(obj, NomadModel) or "_manager" not in wire_names(type(obj)):
        raise TypeError(f"{type(obj).__name__} has no behaviour to bind a manager to")
    # the objects are frozen for their users; binding is part of making them, not a change
    object.__setattr__(obj, "_manager", manager)
    return obj


def live(obj: NomadModel, manager: M | None) -> M:
    """`obj`'s manager, or `DetachedObjectError` if nothing bound one."""
    if manager is None:
        cls = type(obj)
        raise DetachedObjectError(
            kind=cls.__name__, object_id=getattr(obj, cls._ID_FIELD), manager=cls._COLLECTION
        )
    return manager


def require(obj: NomadModel, name: str, value: M | None) -> M:
    """`value`, a field of `obj` named `name` that an operation needs, or a ValueError if unset."""
    if value is None:
        raise ValueError(f"this {type(obj).__name__} has no {name}: NOMAD did not send it")
    return value
