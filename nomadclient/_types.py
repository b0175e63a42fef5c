"""Small types shared across the SDK: the "not given" sentinel and the path alias.

NOMAD's edit endpoints tell "leave this field alone" apart from "clear this field", so a keyword
argument needs three states: a value, `None` (clear), and not given at all (`NOT_GIVEN`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Final, Literal, TypeAlias, TypeGuard, TypeVar, Union

T = TypeVar("T")


class NotGiven:
    """The type of `NOT_GIVEN`: a keyword argument the caller did not pass.

    There is exactly one instance; it is falsy, so `if value:` treats it like an empty value, and
    copies and pickles of it are the same object, so `value is NOT_GIVEN` always works.
    """

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()
"""The default of keyword arguments whose absence means "leave unchanged" (`None` clears)."""


def is_given(value: T | NotGiven) -> TypeGuard[T]:
    """Whether the caller passed `value` (which may be None) rather than leaving it out."""
    return not isinstance(value, NotGiven)


StrPath: TypeAlias = Union[str, "os.PathLike[str]"]
"""A local file-system path, as a string or a path-like object."""


ProgressCallback = Callable[[int, int], None]
"""Called with `(bytes_done, bytes_total)` as a transfer goes; total is 0 when unknown."""
