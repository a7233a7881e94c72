"""``threading.Lock`` / ``RLock`` while tracing: C types no patch reaches, so the module names are
replaced and a lock the learner's code creates is a traced wrapper (the caller's file decides).

A wrapper registers on first use, when its readable name can be found, then swaps its class to the
hot one; when tracing stops it swaps to ``PlainLock``, which only forwards.
"""

from __future__ import annotations

import _thread
import sys
import threading
from time import perf_counter, perf_counter_ns
from typing import Any

from ...record.raw_buffers import raw_buffer
from .core import LockCore
from .registry import creation, register, state

pc = perf_counter
pcn = perf_counter_ns
get_ident = threading.get_ident
allocate_lock = _thread.allocate_lock
CRLock = getattr(threading, "_CRLock", None) or threading._PyRLock  # type: ignore[attr-defined]


class LockBase(LockCore):  # type: ignore[misc,valid-type]
    __slots__ = ()

    def locked(self) -> bool:
        return self._lock.locked()

    def _at_fork_reinit(self) -> None:
        self._lock._at_fork_reinit()
        self._acq = self._lock.acquire
        self._rel = self._lock.release

    def __repr__(self) -> str:
        inner = self._lock  # a _thread.RLock has no locked() before 3.14; its repr says it
        held = inner.locked() if hasattr(inner, "locked") else repr(inner).startswith("<locked")
        return f"<traced {self._kind} {'locked' if held else 'unlocked'}>"


class PlainLock(LockBase):
    """A traced lock after tracing stopped: only forwards."""

    __slots__ = ()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return self._acq(blocking, timeout)

    def release(self) -> None:
        self._rel()

    def __enter__(self) -> bool:
        return self._acq()

    def __exit__(self, et: Any, ev: Any, tb: Any) -> None:
        self._rel()

    def _is_owned(self) -> bool:
        owned = getattr(self._lock, "_is_owned", None)
        return owned() if owned is not None else self._lock.locked()

    def _release_save(self) -> Any:
        save = getattr(self._lock, "_release_save", None)
        if save is not None:
            return save()
        self._rel()
        return None

    def _acquire_restore(self, state: Any) -> None:
        restore = getattr(self._lock, "_acquire_restore", None)
        if restore is not None:
            restore(state)
        else:
            self._acq()


class TracedLock(LockBase):
    """The hot path: ``with lock`` is LockCore's (C when built). An uncontended acquisition appends
    (thread ident, acquired ns, released ns) to the lock's own log; one that waited goes through
    ``_contended`` / ``_contended_release`` with its wait recorded."""

    __slots__ = ()

    def _contended_release(self, e: int) -> None:
        r = self._r
        self._r = None
        n = self._n
        t = self._t
        self._rel()
        state.record((self._idx, get_ident(), r, t * 1e-9, e * 1e-9, n))

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if self._acq(False):
            self._t = pcn()
            return True
        if not blocking:
            return False
        return self._contended(timeout)

    def _contended(self, timeout: float) -> bool:
        r = pc()
        n = self._w
        self._w = n + 1
        try:
            ok = self._acq(True, timeout)
        finally:
            self._w -= 1
        if ok:
            self._t = pcn()
            self._r = r
            self._n = n + 1
        return ok

    def release(self) -> None:
        self.__exit__(None, None, None)

    def _is_owned(self) -> bool:
        return self._lock.locked()

    def _release_save(self) -> None:
        self.__exit__(None, None, None)

    def _acquire_restore(self, _state_: Any) -> None:
        self.acquire()


_activate_lock = allocate_lock()


class FreshLock(TracedLock):
    """A traced lock not used yet: registers on first use, then becomes a TracedLock."""

    __slots__ = ()

    def __enter__(self) -> bool:
        if _fresh_activate(self):
            return TracedLock.__enter__(self)
        return self._acq()

    def __exit__(self, et: Any, ev: Any, tb: Any) -> None:
        if _fresh_activate(self):
            TracedLock.__exit__(self, et, ev, tb)
        else:
            self._rel()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if _fresh_activate(self):
            return TracedLock.acquire(self, blocking, timeout)
        return self._acq(blocking, timeout)

    def release(self) -> None:
        if _fresh_activate(self):
            TracedLock.__exit__(self, None, None, None)
        else:
            self._rel()


class TracedRLock(LockBase):
    """Reentrant: only the outermost acquire/release of the owner is an acquisition."""

    __slots__ = ()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if self._depth and self._lock._is_owned():
            self._acq()
            self._depth += 1
            return True
        if self._acq(False):
            self._t = pcn()
            self._depth = 1
            return True
        if not blocking:
            return False
        r = pc()
        n = self._w
        self._w = n + 1
        try:
            ok = self._acq(True, timeout)
        finally:
            self._w -= 1
        if ok:
            self._t = pcn()
            self._r = r
            self._n = n + 1
            self._depth = 1
        return ok

    __enter__ = acquire

    def release(self) -> None:
        if self._depth > 1:
            self._depth -= 1
            self._rel()
            return
        self._depth = 0
        t = self._t
        r = self._r
        self._r = None
        e = pcn()
        if r is None:
            log = self._log  # appended while still holding it, see TracedLock
            log.append(get_ident())
            log.append(t)
            log.append(e)
            self._rel()
        else:
            self._rel()
            state.record((self._idx, get_ident(), r, t * 1e-9, e * 1e-9, self._n))

    def __exit__(self, et: Any, ev: Any, tb: Any) -> None:
        self.release()

    def _is_owned(self) -> bool:
        return self._lock._is_owned()

    def _release_save(self) -> Any:
        depth = self._depth
        self._depth = 1
        self.release()
        return depth

    def _acquire_restore(self, depth: Any) -> None:
        self.acquire()
        self._depth = depth or 1


class FreshRLock(TracedRLock):
    __slots__ = ()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if _fresh_activate(self):
            return TracedRLock.acquire(self, blocking, timeout)
        return self._acq(blocking, timeout)

    __enter__ = acquire

    def release(self) -> None:
        if _fresh_activate(self):
            TracedRLock.release(self)
        else:
            self._rel()

    def __exit__(self, et: Any, ev: Any, tb: Any) -> None:
        self.release()


def _fresh_activate(lock: Any) -> bool:
    """First use of a fresh lock: register it and turn it into its traced class, or into a plain
    lock when tracing has already ended. True when the use is to be recorded."""
    if lock._idx < 0:
        with _activate_lock:
            if lock._idx < 0:
                if state.rec is None:
                    lock.__class__ = PlainLock
                    return False
                lock._idx = register(lock, lock._kind, lock._site, lock._globals, lock._owner or lock)
                lock._globals = None
                rec = state.rec
                if rec is not None:
                    rec.fast_logs.append((lock._idx, raw_buffer(lock._log)))
                lock.__class__ = TracedRLock if isinstance(lock, TracedRLock) else TracedLock
    return state.rec is not None


def new_lock_wrapper(
    cls: type, inner: Any, kind: str, site: str | None, glob: dict[str, Any] | None, owner: Any = None
) -> Any:
    obj = cls.__new__(cls)
    obj._lock = inner
    obj._acq = inner.acquire
    obj._rel = inner.release
    obj._idx = -1
    obj._t = 0
    obj._r = None
    obj._n = 0
    obj._w = 0
    obj._depth = 0
    obj._kind = kind
    obj._site = site
    obj._globals = glob
    obj._owner = owner
    obj._log = []
    if state.wrappers is not None:
        state.wrappers.add(obj)
    return obj


def Lock() -> Any:  # noqa: N802 - replaces threading.Lock
    created = creation(sys._getframe(1))
    if created is None:
        return allocate_lock()
    return new_lock_wrapper(FreshLock, allocate_lock(), "threading.Lock", created[0], created[1])


def RLock(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 - replaces threading.RLock
    created = creation(sys._getframe(1))
    if created is None:
        return CRLock(*args, **kwargs)
    return new_lock_wrapper(FreshRLock, CRLock(), "threading.RLock", created[0], created[1])
