"""The objects traced primitives touched while tracing, to make plain again when it stops.

Held weakly, as weak references without a callback in a list: a ``WeakSet`` runs a Python callback
as each of them dies, and most die during the trace (a concurrent.futures Future's Condition, a
thread's Event). Dead references are dropped as the list grows, so it stays within twice the live
objects.
"""

from __future__ import annotations

import _thread
from collections.abc import Iterator
from typing import Any
from weakref import ref

_MIN_LIMIT = 4096


class Remembered:
    def __init__(self) -> None:
        self._refs: list[ref[Any]] = []
        self._limit = _MIN_LIMIT
        self._pruning = _thread.allocate_lock()

    def add(self, obj: Any) -> None:
        """Remember `obj` (TypeError when it has no weak references)."""
        refs = self._refs
        refs.append(ref(obj))
        if len(refs) >= self._limit:
            self._prune()

    def _prune(self) -> None:
        if not self._pruning.acquire(False):  # another thread is at it
            return
        try:
            refs = self._refs
            n = len(refs)
            # slicing and deleting are single operations: what other threads append meanwhile stays
            alive = [r for r in refs[:n] if r() is not None]
            del refs[:n]
            refs.extend(alive)
            self._limit = max(_MIN_LIMIT, 2 * len(refs))
        finally:
            self._pruning.release()

    def __iter__(self) -> Iterator[Any]:
        for r in self._refs[:]:
            obj = r()
            if obj is not None:
                yield obj

    def __len__(self) -> int:
        """How many references are kept (dead ones not pruned yet included)."""
        return len(self._refs)
