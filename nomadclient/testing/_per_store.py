"""Per-store caches: one value per stand-in store, created on first use, dropped with the store."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from ._state import Store

T = TypeVar("T")


class PerStore(Generic[T]):
    """One `T` per store, made by `factory(store)` when a store first asks for it.

    Keyed weakly, so a closed and forgotten store takes its caches with it.
    """

    def __init__(self, factory: Callable[[Store], T]) -> None:
        self._factory = factory
        self._values: weakref.WeakKeyDictionary[Store, T] = weakref.WeakKeyDictionary()
        # guards only the creation of values: a store-wide lock would serialize servers
        self._lock = threading.Lock()

    def of(self, store: Store) -> T:
        """The store's value, created on first use."""
        with self._lock:
            value = self._values.get(store)
            if value is None:
                value = self._values[store] = self._factory(store)
            return value
