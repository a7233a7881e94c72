"""Locks, semaphores, conditions, events and queues (threading, queue and asyncio).

While tracing, the constructors in ``threading``, ``queue`` and ``asyncio`` are replaced, so an
object the learner's code creates is a traced one (objects created by the standard library or
the kernel stay plain: the caller's file decides). An object registers itself on first use, when
its readable name can be found (the variable or attribute holding it in the using frame), then
swaps its class to the hot one. When tracing stops every traced object swaps to a plain class
again, so a lock that outlives the trace costs nothing.

Per acquisition: requested, acquired, released, holder (thread ident or asyncio task) and how many
others were waiting. The uncontended ``with lock`` path takes one ``perf_counter`` on each side
and appends four values.
"""

from __future__ import annotations

import _thread
import asyncio
import queue
import sys
import threading
import weakref
from time import perf_counter
from types import FrameType
from typing import TYPE_CHECKING, Any

from . import asyncio_hooks
from .frames import is_user_file, location_of_frame

if TYPE_CHECKING:
    from .patching import Patcher
    from .recorder import Recorder

pc = perf_counter
get_ident = threading.get_ident
_allocate_lock = _thread.allocate_lock
_CRLock = getattr(threading, "_CRLock", None) or threading._PyRLock  # type: ignore[attr-defined]


class _NullSink(list):  # type: ignore[type-arg]
    """Where records of traced objects go once tracing has stopped."""

    def append(self, _item: Any) -> None:  # noqa: D401
        return None

    def extend(self, _items: Any) -> None:
        return None


class _State:
    rec: "Recorder | None" = None
    wrappers: "weakref.WeakSet[Any] | None" = None


_state = _State()
_null = _NullSink()
_fa = _null.extend  # fast records: lock, ident, acquired, released
_sa = _null.extend  # full records: lock, who, requested, acquired, released, waiters


def _creation(frame: FrameType | None) -> tuple[str | None, dict[str, Any] | None] | None:
    """(site, globals) when an object created from `frame` should be traced, else None."""
    if _state.rec is None or frame is None or not is_user_file(frame.f_code.co_filename):
        return None
    return location_of_frame(frame.f_code, frame.f_lineno), frame.f_globals


def _find_name(target: Any, frame: FrameType | None, creation_globals: dict[str, Any] | None) -> str | None:
    """The variable, attribute or item that holds `target`, looked up where it is used."""
    frames: list[FrameType] = []
    f = frame
    while f is not None and len(frames) < 3:
        if is_user_file(f.f_code.co_filename):
            frames.append(f)
        f = f.f_back
    spaces: list[dict[str, Any]] = []
    for f in frames:
        try:
            spaces.append(f.f_locals)
        except Exception:  # noqa: BLE001
            pass
    for f in frames:
        spaces.append(f.f_globals)
    if creation_globals is not None:
        spaces.append(creation_globals)
    for space in spaces:
        for key, value in list(space.items()):
            if value is target and not key.startswith("_"):
                return key
    for space in spaces:
        for key, value in list(space.items()):
            if key.startswith("__"):
                continue
            if isinstance(value, (list, tuple)):
                for i, item in enumerate(value[:1000]):
                    if item is target:
                        return f"{key}[{i}]"
            elif isinstance(value, dict):
                for k, item in list(value.items())[:1000]:
                    if item is target:
                        return f"{key}[{k!r}]"
            elif not isinstance(value, type) and type(value).__module__ not in ("builtins", "module"):
                attrs = getattr(value, "__dict__", None)
                if isinstance(attrs, dict):
                    for attr, item in attrs.items():
                        if item is target:
                            return f"{type(value).__name__}.{attr}"
    for space in spaces:
        for key, value in list(space.items()):
            if value is target:
                return key
    return None


def _register(obj: Any, kind: str, site: str | None, creation_globals: dict[str, Any] | None, name_target: Any) -> int:
    """Give a traced object its lock index (first use), with a readable name."""
    rec = _state.rec
    if rec is None:
        return -1
    try:
        frame: FrameType | None = sys._getframe(2)
    except ValueError:
        frame = None
    name = None
    try:
        name = _find_name(name_target, frame, creation_globals)
    except Exception:  # noqa: BLE001 - naming is best effort
        name = None
    if name is None:
        name = f"{kind} at {site}" if site else kind
    with rec.lock_registry_lock:
        index = next(rec.lock_ids)
        rec.raw_misc.append(("lock", index, name, kind, site))
    return index


# ---- threading.Lock / RLock -------------------------------------------------------------------


class _LockBase:
    __slots__ = ("_lock", "_acq", "_rel", "_idx", "_t", "_r", "_n", "_w", "_depth", "_kind", "_site", "_globals", "_owner", "__weakref__")

    def locked(self) -> bool:
        return self._lock.locked()

    def _at_fork_reinit(self) -> None:
        self._lock._at_fork_reinit()
        self._acq = self._lock.acquire
        self._rel = self._lock.release

    def __repr__(self) -> str:
        return f"<traced {self._kind} {'locked' if self.locked() else 'unlocked'}>"


class PlainLock(_LockBase):
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


class TracedLock(_LockBase):
    __slots__ = ()

    def __enter__(self) -> bool:
        if self._acq(False):
            self._t = pc()
            return True
        return self._contended(-1)

    def __exit__(self, et: Any, ev: Any, tb: Any) -> None:
        t = self._t
        r = self._r
        if r is not None:
            self._r = None
            n = self._n
            e = pc()
            self._rel()
            _sa((self._idx, get_ident(), r, t, e, n))
            return
        e = pc()
        self._rel()
        _fa((self._idx, get_ident(), t, e))

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if self._acq(False):
            self._t = pc()
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
            self._t = pc()
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


_activate_lock = _allocate_lock()


class _FreshLock(TracedLock):
    """A traced lock not used yet: registers on first use, then becomes a TracedLock."""

    __slots__ = ()

    def _activate(self) -> bool:
        if self._idx < 0:
            with _activate_lock:
                if self._idx < 0:
                    if _state.rec is None:
                        self.__class__ = PlainLock
                        return False
                    self._idx = _register(self, self._kind, self._site, self._globals, self._owner or self)
                    self._globals = None
                    self.__class__ = TracedLock
        return _state.rec is not None

    def __enter__(self) -> bool:
        if _FRESH_ACTIVATE(self):
            return TracedLock.__enter__(self)
        return self._acq()

    def __exit__(self, et: Any, ev: Any, tb: Any) -> None:
        if _FRESH_ACTIVATE(self):
            TracedLock.__exit__(self, et, ev, tb)
        else:
            self._rel()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if _FRESH_ACTIVATE(self):
            return TracedLock.acquire(self, blocking, timeout)
        return self._acq(blocking, timeout)

    def release(self) -> None:
        if _FRESH_ACTIVATE(self):
            TracedLock.__exit__(self, None, None, None)
        else:
            self._rel()


class TracedRLock(_LockBase):
    """Reentrant: only the outermost acquire/release of the owner is an acquisition."""

    __slots__ = ()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if self._depth and self._lock._is_owned():
            self._acq()
            self._depth += 1
            return True
        if self._acq(False):
            self._t = pc()
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
            self._t = pc()
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
        e = pc()
        self._rel()
        if r is None:
            _fa((self._idx, get_ident(), t, e))
        else:
            _sa((self._idx, get_ident(), r, t, e, self._n))

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


class _FreshRLock(TracedRLock):
    __slots__ = ()

    def _activate(self) -> bool:
        if self._idx < 0:
            with _activate_lock:
                if self._idx < 0:
                    if _state.rec is None:
                        self.__class__ = PlainLock
                        return False
                    self._idx = _register(self, self._kind, self._site, self._globals, self._owner or self)
                    self._globals = None
                    self.__class__ = TracedRLock
        return _state.rec is not None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if _FRESH_ACTIVATE(self):
            return TracedRLock.acquire(self, blocking, timeout)
        return self._acq(blocking, timeout)

    __enter__ = acquire

    def release(self) -> None:
        if _FRESH_ACTIVATE(self):
            TracedRLock.release(self)
        else:
            self._rel()

    def __exit__(self, et: Any, ev: Any, tb: Any) -> None:
        self.release()


def _FRESH_ACTIVATE(obj: Any) -> bool:
    return (_FreshRLock._activate if isinstance(obj, TracedRLock) else _FreshLock._activate)(obj)  # type: ignore[arg-type]


def _new_lock_wrapper(cls: type, inner: Any, kind: str, site: str | None, glob: dict[str, Any] | None, owner: Any = None) -> Any:
    obj = object.__new__(cls)
    obj._lock = inner
    obj._acq = inner.acquire
    obj._rel = inner.release
    obj._idx = -1
    obj._t = 0.0
    obj._r = None
    obj._n = 0
    obj._w = 0
    obj._depth = 0
    obj._kind = kind
    obj._site = site
    obj._globals = glob
    obj._owner = owner
    if _state.wrappers is not None:
        _state.wrappers.add(obj)
    return obj


def Lock() -> Any:  # noqa: N802 - replaces threading.Lock
    created = _creation(sys._getframe(1))
    if created is None:
        return _allocate_lock()
    return _new_lock_wrapper(_FreshLock, _allocate_lock(), "threading.Lock", created[0], created[1])


def RLock(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 - replaces threading.RLock
    created = _creation(sys._getframe(1))
    if created is None:
        return _CRLock(*args, **kwargs)
    return _new_lock_wrapper(_FreshRLock, _CRLock(), "threading.RLock", created[0], created[1])


# ---- Python-class primitives (threading, queue, asyncio) -------------------------------------------


def _init_tracking(obj: Any, kind: str, frame: FrameType | None) -> None:
    created = _creation(frame)
    obj._tl_idx = -1
    obj._tl_on = created is not None
    obj._tl_kind = kind
    obj._tl_waiting = 0
    obj._tl_holders = []
    obj._tl_name = kind
    if created is not None:
        obj._tl_site, obj._tl_globals = created
        if _state.wrappers is not None:
            _state.wrappers.add(obj)


def _index(obj: Any) -> int:
    """Lock index of a traced object, registering it on first use; -1 when not traced."""
    idx = obj.__dict__.get("_tl_idx", -1)
    if idx >= 0:
        return idx
    if not obj.__dict__.get("_tl_on") or _state.rec is None:
        return -1
    idx = _register(obj, obj._tl_kind, obj._tl_site, obj._tl_globals, obj.__dict__.get("_tl_owner", obj))
    obj._tl_globals = None
    obj._tl_idx = idx
    obj._tl_name = f"{obj._tl_kind} {_state_name(idx)}"
    return idx


def _state_name(idx: int) -> str:
    rec = _state.rec
    if rec is None:
        return ""
    for item in reversed(rec.raw_misc):
        if item[0] == "lock" and item[1] == idx:
            return str(item[2])
    return ""


def _hold_start(obj: Any, who: Any, r: float, t: float, n: int) -> None:
    obj._tl_holders.append((who, r, t, n))


def _hold_end(obj: Any, idx: int, who: Any) -> None:
    holders = obj._tl_holders
    e = pc()
    for i, holder in enumerate(holders):
        if holder[0] == who:
            del holders[i]
            break
    else:
        if not holders:
            return
        holder = holders.pop(0)
    _sa((idx, holder[0], holder[1], holder[2], e, holder[3]))


class TracedSemaphoreMixin:
    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        idx = _index(self)
        if idx < 0:
            return super().acquire(blocking, timeout)  # type: ignore[misc]
        r = pc()
        n = self._tl_waiting  # type: ignore[attr-defined]
        self._tl_waiting = n + 1  # type: ignore[attr-defined]
        try:
            ok = super().acquire(blocking, timeout)  # type: ignore[misc]
        finally:
            self._tl_waiting -= 1  # type: ignore[attr-defined]
        if ok:
            _hold_start(self, get_ident(), r, pc(), n)
        return ok

    __enter__ = acquire

    def release(self, n: int = 1) -> None:
        idx = self.__dict__.get("_tl_idx", -1)
        super().release(n)  # type: ignore[misc]
        if idx >= 0:
            for _ in range(n):
                _hold_end(self, idx, get_ident())

    def __exit__(self, et: Any, ev: Any, tb: Any) -> None:
        self.release()


_Semaphore = threading.Semaphore


class TracedSemaphore(TracedSemaphoreMixin, threading.Semaphore):
    def __init__(self, value: int = 1) -> None:
        # threading.BoundedSemaphore.__init__ calls `Semaphore.__init__(self, …)` through the
        # module global, which is this class while tracing: stay correct for that caller too.
        _Semaphore.__init__(self, value)
        if type(self) is TracedSemaphore:
            _init_tracking(self, "threading.Semaphore", sys._getframe(1))


class TracedBoundedSemaphore(TracedSemaphoreMixin, threading.BoundedSemaphore):
    def __init__(self, value: int = 1) -> None:
        super().__init__(value)
        _init_tracking(self, "threading.BoundedSemaphore", sys._getframe(1))


class TracedCondition(threading.Condition):
    def __init__(self, lock: Any = None) -> None:
        frame = sys._getframe(1)
        created = _creation(frame)
        if lock is None and created is not None:
            lock = _new_lock_wrapper(_FreshRLock, _CRLock(), "threading.Condition", created[0], created[1], owner=self)
        super().__init__(lock)
        _init_tracking(self, "threading.Condition", frame)


class TracedEvent(threading.Event):
    def __init__(self) -> None:
        super().__init__()
        _init_tracking(self, "threading.Event", sys._getframe(1))

    def wait(self, timeout: float | None = None) -> bool:
        idx = _index(self)
        if idx < 0:
            return super().wait(timeout)
        r = pc()
        n = self._tl_waiting
        self._tl_waiting = n + 1
        try:
            ok = super().wait(timeout)
        finally:
            self._tl_waiting -= 1
        t = pc()
        _sa((idx, get_ident(), r, t, t, n))
        return ok


class TracedQueue(queue.Queue):  # type: ignore[type-arg]
    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        _init_tracking(self, "queue.Queue", sys._getframe(1))

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        idx = _index(self)
        if idx < 0:
            return super().get(block, timeout)
        r = pc()
        n = self._tl_waiting
        self._tl_waiting = n + 1
        try:
            item = super().get(block, timeout)
        finally:
            self._tl_waiting -= 1
        t = pc()
        _sa((idx, get_ident(), r, t, t, n))
        return item

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        idx = _index(self)
        if idx < 0:
            return super().put(item, block, timeout)
        r = pc()
        super().put(item, block, timeout)
        t = pc()
        _sa((idx, get_ident(), r, t, t, 0))
        return None


# ---- asyncio --------------------------------------------------------------------------------------
# Each traced method first tries the same fast path as asyncio's own (the primitive is free, the
# queue has an item …) without an extra coroutine layer; only when it has to wait does it mark
# what the task waits on and await the original method.

_awaiting = asyncio_hooks.awaiting
_current_tasks_get = asyncio.tasks._current_tasks.get
_get_running_loop = asyncio.events._get_running_loop


def _current_task() -> Any:
    """asyncio.current_task() without its Python-level wrapper (two C calls)."""
    return _current_tasks_get(_get_running_loop())


_async_lock_release = asyncio.Lock.release


class TracedAsyncLock(asyncio.Lock):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _init_tracking(self, "asyncio.Lock", sys._getframe(1))

    async def acquire(self) -> bool:
        idx = self.__dict__.get("_tl_idx", -1)
        if idx < 0:
            idx = _index(self)
            if idx < 0:
                return await super().acquire()
        who = _current_tasks_get(_get_running_loop())
        r = pc()
        if not self._locked and not self._waiters:  # type: ignore[attr-defined]
            self._locked = True  # type: ignore[attr-defined]
            self._tl_hold = (who, r, r, 0)
            return True
        n = len(self._waiters) if self._waiters else 0  # type: ignore[attr-defined]
        _awaiting[who] = self._tl_name
        try:
            await super().acquire()
        finally:
            _awaiting.pop(who, None)
        self._tl_hold = (who, r, pc(), n)
        return True

    def release(self) -> None:
        hold = self.__dict__.get("_tl_hold")
        e = pc()
        _async_lock_release(self)
        if hold is not None:
            self._tl_hold = None
            _sa((self._tl_idx, hold[0], hold[1], hold[2], e, hold[3]))


class _AsyncSemaphoreMixin:
    async def acquire(self) -> bool:
        idx = self.__dict__.get("_tl_idx", -1)
        if idx < 0:
            idx = _index(self)
            if idx < 0:
                return await super().acquire()  # type: ignore[misc]
        who = _current_tasks_get(_get_running_loop())
        r = pc()
        if not self.locked():  # type: ignore[attr-defined]
            self._value -= 1  # type: ignore[attr-defined]
            self._tl_holders.append((who, r, r, 0))  # type: ignore[attr-defined]
            return True
        waiters = self._waiters  # type: ignore[attr-defined]
        n = len(waiters) if waiters else 0
        _awaiting[who] = self._tl_name  # type: ignore[attr-defined]
        try:
            await super().acquire()  # type: ignore[misc]
        finally:
            _awaiting.pop(who, None)
        self._tl_holders.append((who, r, pc(), n))  # type: ignore[attr-defined]
        return True

    def release(self) -> None:
        super().release()  # type: ignore[misc]
        idx = self.__dict__.get("_tl_idx", -1)
        if idx >= 0:
            holders = self._tl_holders  # type: ignore[attr-defined]
            if holders:
                who = _current_tasks_get(_get_running_loop())
                e = pc()
                for i in range(len(holders) - 1, -1, -1):
                    if holders[i][0] is who:
                        holder = holders.pop(i)
                        break
                else:
                    holder = holders.pop(0)  # released by another task than the one that acquired
                _sa((idx, holder[0], holder[1], holder[2], e, holder[3]))


class TracedAsyncSemaphore(_AsyncSemaphoreMixin, asyncio.Semaphore):
    def __init__(self, value: int = 1, **kwargs: Any) -> None:
        super().__init__(value, **kwargs)
        _init_tracking(self, "asyncio.Semaphore", sys._getframe(1))


class TracedAsyncBoundedSemaphore(_AsyncSemaphoreMixin, asyncio.BoundedSemaphore):
    def __init__(self, value: int = 1, **kwargs: Any) -> None:
        super().__init__(value, **kwargs)
        _init_tracking(self, "asyncio.BoundedSemaphore", sys._getframe(1))


class TracedAsyncEvent(asyncio.Event):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _init_tracking(self, "asyncio.Event", sys._getframe(1))

    async def wait(self) -> bool:
        idx = _index(self)
        if idx < 0:
            return await super().wait()
        who = _current_tasks_get(_get_running_loop())
        r = pc()
        if self._value:  # type: ignore[attr-defined]
            _sa((idx, who, r, r, r, 0))
            return True
        n = len(self._waiters)  # type: ignore[attr-defined]
        _awaiting[who] = self._tl_name
        try:
            result = await super().wait()
        finally:
            _awaiting.pop(who, None)
        t = pc()
        _sa((idx, who, r, t, t, n))
        return result


class TracedAsyncCondition(asyncio.Condition):
    def __init__(self, lock: Any = None, **kwargs: Any) -> None:
        frame = sys._getframe(1)
        if lock is None and _creation(frame) is not None:
            lock = TracedAsyncLock.__new__(TracedAsyncLock)
            asyncio.Lock.__init__(lock)
            _init_tracking(lock, "asyncio.Condition", frame)
            lock._tl_owner = self
        super().__init__(lock, **kwargs)
        _init_tracking(self, "asyncio.Condition", frame)

    async def wait(self) -> bool:
        who = _current_tasks_get(_get_running_loop())
        if self.__dict__.get("_tl_on"):
            _awaiting[who] = f"asyncio.Condition {_find_label(self)}"
        try:
            return await super().wait()
        finally:
            _awaiting.pop(who, None)


def _find_label(obj: Any) -> str:
    lock = getattr(obj, "_lock", None)
    return str(getattr(lock, "_tl_name", "")).replace("asyncio.Condition ", "")


class TracedAsyncQueue(asyncio.Queue):  # type: ignore[type-arg]
    def __init__(self, maxsize: int = 0, **kwargs: Any) -> None:
        super().__init__(maxsize, **kwargs)
        _init_tracking(self, "asyncio.Queue", sys._getframe(1))

    async def get(self) -> Any:
        idx = self.__dict__.get("_tl_idx", -1)
        if idx < 0:
            idx = _index(self)
            if idx < 0:
                return await super().get()
        who = _current_tasks_get(_get_running_loop())
        r = pc()
        if self._queue:  # type: ignore[attr-defined]
            item = self.get_nowait()
            _sa((idx, who, r, r, r, 0))
            return item
        n = len(self._getters)  # type: ignore[attr-defined]
        _awaiting[who] = self._tl_name + " get"
        try:
            item = await super().get()
        finally:
            _awaiting.pop(who, None)
        t = pc()
        _sa((idx, who, r, t, t, n))
        return item

    async def put(self, item: Any) -> None:
        idx = self.__dict__.get("_tl_idx", -1)
        if idx < 0:
            idx = _index(self)
            if idx < 0:
                return await super().put(item)
        who = _current_tasks_get(_get_running_loop())
        r = pc()
        if not self.full():
            self.put_nowait(item)
            _sa((idx, who, r, r, r, 0))
            return None
        n = len(self._putters)  # type: ignore[attr-defined]
        _awaiting[who] = self._tl_name + " put"
        try:
            await super().put(item)
        finally:
            _awaiting.pop(who, None)
        t = pc()
        _sa((idx, who, r, t, t, n))
        return None



_PLAIN_BASE: dict[type, type] = {
    TracedSemaphore: threading.Semaphore,
    TracedBoundedSemaphore: threading.BoundedSemaphore,
    TracedCondition: threading.Condition,
    TracedEvent: threading.Event,
    TracedQueue: queue.Queue,
    TracedAsyncLock: asyncio.Lock,
    TracedAsyncSemaphore: asyncio.Semaphore,
    TracedAsyncBoundedSemaphore: asyncio.BoundedSemaphore,
    TracedAsyncEvent: asyncio.Event,
    TracedAsyncCondition: asyncio.Condition,
    TracedAsyncQueue: asyncio.Queue,
}


def install(rec: "Recorder", patcher: "Patcher") -> None:
    global _fa, _sa
    _state.rec = rec
    _state.wrappers = weakref.WeakSet()
    _fa = rec.raw_fast.extend
    _sa = rec.raw_acq.extend
    patcher.set(threading, "Lock", Lock)
    patcher.set(threading, "RLock", RLock)
    patcher.set(threading, "Semaphore", TracedSemaphore)
    patcher.set(threading, "BoundedSemaphore", TracedBoundedSemaphore)
    patcher.set(threading, "Condition", TracedCondition)
    patcher.set(threading, "Event", TracedEvent)
    patcher.set(queue, "Queue", TracedQueue)
    patcher.set(asyncio, "Lock", TracedAsyncLock)
    patcher.set(asyncio, "Semaphore", TracedAsyncSemaphore)
    patcher.set(asyncio, "BoundedSemaphore", TracedAsyncBoundedSemaphore)
    patcher.set(asyncio, "Event", TracedAsyncEvent)
    patcher.set(asyncio, "Condition", TracedAsyncCondition)
    patcher.set(asyncio, "Queue", TracedAsyncQueue)


def uninstall() -> None:
    """Stop recording: every traced object becomes a plain one again."""
    global _fa, _sa
    _fa = _null.extend
    _sa = _null.extend
    wrappers = _state.wrappers
    _state.rec = None
    _state.wrappers = None
    if wrappers is None:
        return
    for obj in list(wrappers):
        try:
            if isinstance(obj, _LockBase):
                obj.__class__ = PlainLock
                obj._globals = None
            else:
                base = _PLAIN_BASE.get(type(obj))
                if base is not None:
                    obj.__class__ = base
                obj.__dict__.pop("_tl_globals", None)
        except TypeError:
            pass


def still_held(rec: "Recorder") -> None:
    """Acquisitions still held when tracing stops: recorded with released = -1."""
    for obj in list(_state.wrappers or ()):
        holders = getattr(obj, "_tl_holders", None) if not isinstance(obj, _LockBase) else None
        idx = obj.__dict__.get("_tl_idx", -1) if holders is not None else -1
        if holders and idx >= 0:
            for who, r, t, n in holders:
                rec.raw_acq.extend((idx, who, r, t, None, n))
            holders.clear()


__all__ = ["install", "uninstall", "still_held", "Lock", "RLock"]
