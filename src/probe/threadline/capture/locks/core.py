"""The state and the uncontended ``with lock:`` of a traced ``threading.Lock``.

``LockCore`` is the base of every traced lock class in thread_locks (TracedLock, its fresh and plain
variants, TracedRLock); they share its layout, so a lock can change class in place. It is the C
version from ``_speedups`` when that was built, else this module's Python twin (see capture/compiled.py).
"""

from __future__ import annotations

import threading
from time import perf_counter_ns
from typing import Any

from ..compiled import speedups

pcn = perf_counter_ns
get_ident = threading.get_ident


class PyLockCore:
    __slots__ = (
        "_lock",
        "_acq",
        "_rel",
        "_idx",
        "_t",
        "_r",
        "_n",
        "_w",
        "_depth",
        "_kind",
        "_site",
        "_globals",
        "_owner",
        "_log",
        "__weakref__",
    )

    def __enter__(self) -> bool:
        if self._acq(False):
            self._t = pcn()
            return True
        return self._contended(-1)  # type: ignore[attr-defined,no-any-return]

    def __exit__(self, et: Any, ev: Any, tb: Any) -> None:
        # appended while still holding the lock, so only the holder ever appends
        e = pcn()
        if self._r is not None:
            self._contended_release(e)  # type: ignore[attr-defined]
            return
        log = self._log
        log.append(get_ident())
        log.append(self._t)
        log.append(e)
        self._rel()


LockCore: type = speedups.LockCore if speedups is not None else PyLockCore

__all__ = ["LockCore", "PyLockCore"]
