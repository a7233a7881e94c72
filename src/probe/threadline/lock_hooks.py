"""Locks, semaphores, conditions, events and queues (threading, queue and asyncio).

Two ways in, both undone when tracing stops:

* ``threading.Lock`` / ``RLock`` are C types that cannot be patched, so the module names are
  replaced while tracing: a lock the learner's code creates is a traced wrapper (objects created by
  the standard library or the kernel stay plain: the caller's file decides). It registers on first
  use, when its readable name can be found (the variable or attribute holding it in the using
  frame), then swaps its class to the hot one; when tracing stops it swaps to a plain class.
  ``threading.Condition`` is replaced the same way (its acquire/release are per-instance attributes
  bound to its C lock, out of reach of a class-level patch).
* The Python classes (``threading.Semaphore``, ``BoundedSemaphore``, ``Event``, ``queue.Queue`` and
  ``asyncio.Lock``, ``Semaphore``, ``BoundedSemaphore``, ``Event``, ``Condition``, ``Queue``) are
  patched at class level, so objects created before the trace and subclasses (``PriorityQueue``,
  ``LifoQueue``, a learner's own) are recorded too. An object created before the trace is the
  learner's when the code first using it is.

Per acquisition: requested, acquired, released, holder (thread ident or asyncio task) and how many
others were waiting. The uncontended ``with lock`` path takes one ``perf_counter_ns`` on each
side and appends three values to the lock's own log.
"""

from __future__ import annotations

import _thread
import asyncio
import queue
import sys
import threading
import weakref
from time import perf_counter, perf_counter_ns
from types import FrameType, MethodType
from typing import TYPE_CHECKING, Any

from . import asyncio_hooks
from .frames import is_probe_or_asyncio, is_user_file, location_of_frame
from .lock_core import LockCore

if TYPE_CHECKING:
    from .patching import Patcher
    from .recorder import Recorder

pc = perf_counter
pcn = perf_counter_ns
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


class _LockBase(LockCore):  # type: ignore[misc,valid-type]
    __slots__ = ()

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
        _sa((self._idx, get_ident(), r, t * 1e-9, e * 1e-9, n))

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


_activate_lock = _allocate_lock()


class _FreshLock(TracedLock):
    """A traced lock not used yet: registers on first use, then becomes a TracedLock."""

    __slots__ = ()

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
            _sa((self._idx, get_ident(), r, t * 1e-9, e * 1e-9, self._n))

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


def _FRESH_ACTIVATE(lock: Any) -> bool:
    """First use of a fresh lock: register it and turn it into its traced class, or into a plain
    lock when tracing has already ended. True when the use is to be recorded."""
    if lock._idx < 0:
        with _activate_lock:
            if lock._idx < 0:
                if _state.rec is None:
                    lock.__class__ = PlainLock
                    return False
                lock._idx = _register(lock, lock._kind, lock._site, lock._globals, lock._owner or lock)
                lock._globals = None
                rec = _state.rec
                if rec is not None:
                    rec.fast_logs.append((lock._idx, lock._log))
                lock.__class__ = TracedRLock if isinstance(lock, TracedRLock) else TracedLock
    return _state.rec is not None


def _new_lock_wrapper(cls: type, inner: Any, kind: str, site: str | None, glob: dict[str, Any] | None, owner: Any = None) -> Any:
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
# ---- Python-class primitives (threading, queue, asyncio) -------------------------------------------
# Patched at class level while tracing (methods of threading.Semaphore, BoundedSemaphore, Event,
# queue.Queue and the asyncio primitives), so objects created before the trace and instances of
# subclasses (asyncio.PriorityQueue, a learner's own Lock subclass) are recorded too. Per-object
# state lives in the object's __dict__ under ``_tl_*`` keys and is removed when tracing stops.
# ``_tl_idx``: absent = not seen yet in this trace, -1 = not the learner's, >= 0 = lock index.

_TL_KEYS = ("_tl_idx", "_tl_on", "_tl_kind", "_tl_waiting", "_tl_holders", "_tl_name", "_tl_site", "_tl_globals", "_tl_owner", "_tl_hold")


def _remember(obj: Any) -> None:
    if _state.wrappers is not None:
        try:
            _state.wrappers.add(obj)
        except TypeError:  # no weak references: its state stays until it is collected
            pass


def _creator_frame(obj: Any, frame: FrameType | None) -> FrameType | None:
    """The frame that created `obj`, past the __init__ chain of its classes (stdlib or subclass)."""
    while frame is not None and frame.f_code.co_name == "__init__":
        try:
            if frame.f_locals.get("self") is not obj:
                break
        except Exception:  # noqa: BLE001
            break
        frame = frame.f_back
    return frame


def _init_tracking(obj: Any, kind: str, frame: FrameType | None) -> None:
    created = _creation(_creator_frame(obj, frame))
    d = obj.__dict__
    d["_tl_idx"] = -1
    d["_tl_on"] = created is not None
    d["_tl_kind"] = kind
    d["_tl_waiting"] = 0
    d["_tl_holders"] = []
    d["_tl_name"] = kind
    if created is not None:
        d["_tl_site"], d["_tl_globals"] = created
    _remember(obj)


def _adopt(obj: Any, kind: str, frame: FrameType | None) -> int:
    """First use, while tracing, of an object created before the trace: it is the learner's when the
    code using it is (the kernel's and the stdlib's own primitives stay out)."""
    return _index(obj) if _decide(obj, kind, frame) else -1


def _decide(obj: Any, kind: str, frame: FrameType | None) -> bool:
    if _state.rec is None:
        return False
    try:
        d = obj.__dict__
    except AttributeError:  # a subclass with __slots__ only
        return False
    while frame is not None and is_probe_or_asyncio(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is not None and frame.f_code.co_filename == _THREADING_FILE:
        frame = frame.f_back  # Semaphore.__exit__ -> release
    ours = frame is not None and is_user_file(frame.f_code.co_filename)
    d["_tl_idx"] = -1
    d["_tl_on"] = ours
    d["_tl_kind"] = kind
    d["_tl_waiting"] = 0
    d["_tl_holders"] = []
    d["_tl_name"] = kind
    d["_tl_site"] = None
    d["_tl_globals"] = frame.f_globals if ours and frame is not None else None
    _remember(obj)
    return ours


_THREADING_FILE = threading.__file__


def _index(obj: Any) -> int:
    """Lock index of a traced object, registering it on first use; -1 when not traced."""
    d = obj.__dict__
    idx = d.get("_tl_idx", -1)
    if idx >= 0:
        return idx
    if not d.get("_tl_on") or _state.rec is None:
        return -1
    idx = _register(obj, d["_tl_kind"], d.get("_tl_site"), d.get("_tl_globals"), d.get("_tl_owner", obj))
    d["_tl_globals"] = None
    d["_tl_idx"] = idx
    d["_tl_name"] = f"{d['_tl_kind']} {_state_name(idx)}"
    return idx


def _idx_of(obj: Any, base: str, kinds: tuple[tuple[type, str], ...] = ()) -> int:
    """Lock index of `obj` for a patched method (its caller's caller is the code using it)."""
    try:
        idx = obj.__dict__.get("_tl_idx")
    except AttributeError:
        return -1
    if idx is None:
        return _adopt(obj, _kind(obj, base, kinds), sys._getframe(2))
    if idx >= 0:
        return idx
    return _index(obj)


def _leave(d: dict[str, Any]) -> None:
    """One waiter less (tolerates the state being cleared by the end of tracing meanwhile)."""
    n = d.get("_tl_waiting")
    if n:
        d["_tl_waiting"] = n - 1


def _waited(d: dict[str, Any], call: Any, *args: Any) -> tuple[float, int, Any]:
    """Run a blocking call counted among the object's waiters: (requested at, waiters before, result)."""
    r = pc()
    n = d["_tl_waiting"]
    d["_tl_waiting"] = n + 1
    try:
        result = call(*args)
    finally:
        _leave(d)
    return r, n, result


def _still_tracing(d: dict[str, Any]) -> bool:
    return d.get("_tl_idx", -1) >= 0


def _state_name(idx: int) -> str:
    rec = _state.rec
    if rec is None:
        return ""
    for item in reversed(rec.raw_misc):
        if item[0] == "lock" and item[1] == idx:
            return str(item[2])
    return ""


def _hold_end(obj: Any, idx: int, who: Any) -> None:
    holders = obj.__dict__.get("_tl_holders")
    if not holders:
        return
    e = pc()
    for i, holder in enumerate(holders):
        if holder[0] == who:
            del holders[i]
            break
    else:
        holder = holders.pop(0)
    _sa((idx, holder[0], holder[1], holder[2], e, holder[3]))


def _kind(obj: Any, base: str, names: tuple[tuple[type, str], ...]) -> str:
    for cls, name in names:
        if isinstance(obj, cls):
            return name
    return base


# -- threading.Semaphore / BoundedSemaphore, Event, queue.Queue (class level) --

_TSem = threading.Semaphore
_TBSem = threading.BoundedSemaphore
_TEvent = threading.Event
_Queue = queue.Queue
_tsem_init = _TSem.__init__
_tsem_acquire = _TSem.acquire
_tsem_release = _TSem.release
_tbsem_release = _TBSem.release
_tevent_init = _TEvent.__init__
_tevent_wait = _TEvent.wait
_queue_init = _Queue.__init__
_queue_get = _Queue.get
_queue_put = _Queue.put
_SEM_KINDS = ((_TBSem, "threading.BoundedSemaphore"),)
_QUEUE_KINDS = ((queue.PriorityQueue, "queue.PriorityQueue"), (queue.LifoQueue, "queue.LifoQueue"))


def _sem_init(self: Any, value: int = 1) -> None:
    _tsem_init(self, value)
    _init_tracking(self, _kind(self, "threading.Semaphore", _SEM_KINDS), sys._getframe(1))


def _sem_acquire(self: Any, blocking: bool = True, timeout: float | None = None) -> bool:
    idx = _idx_of(self, "threading.Semaphore", _SEM_KINDS)
    if idx < 0:
        return _tsem_acquire(self, blocking, timeout)
    d = self.__dict__
    r, n, ok = _waited(d, _tsem_acquire, self, blocking, timeout)
    if ok and _still_tracing(d):
        d["_tl_holders"].append((get_ident(), r, pc(), n))
    return ok


def _sem_release(self: Any, n: int = 1) -> None:
    _tsem_release(self, n)
    _sem_released(self, n)


def _bsem_release(self: Any, n: int = 1) -> None:
    _tbsem_release(self, n)
    _sem_released(self, n)


def _sem_released(self: Any, n: int) -> None:
    idx = self.__dict__.get("_tl_idx", -1)
    if idx >= 0:
        who = get_ident()
        for _ in range(n):
            _hold_end(self, idx, who)


def _event_init(self: Any) -> None:
    _tevent_init(self)
    _init_tracking(self, "threading.Event", sys._getframe(1))


def _event_wait(self: Any, timeout: float | None = None) -> bool:
    idx = _idx_of(self, "threading.Event")
    if idx < 0:
        return _tevent_wait(self, timeout)
    r, n, ok = _waited(self.__dict__, _tevent_wait, self, timeout)
    t = pc()
    _sa((idx, get_ident(), r, t, t, n))
    return ok


def _q_init(self: Any, maxsize: int = 0) -> None:
    _queue_init(self, maxsize)
    _init_tracking(self, _kind(self, "queue.Queue", _QUEUE_KINDS), sys._getframe(1))


def _q_get(self: Any, block: bool = True, timeout: float | None = None) -> Any:
    idx = _idx_of(self, "queue.Queue", _QUEUE_KINDS)
    if idx < 0:
        return _queue_get(self, block, timeout)
    r, n, item = _waited(self.__dict__, _queue_get, self, block, timeout)
    t = pc()
    _sa((idx, get_ident(), r, t, t, n))
    return item


def _q_put(self: Any, item: Any, block: bool = True, timeout: float | None = None) -> None:
    idx = _idx_of(self, "queue.Queue", _QUEUE_KINDS)
    if idx < 0:
        return _queue_put(self, item, block, timeout)
    r = pc()
    _queue_put(self, item, block, timeout)
    t = pc()
    _sa((idx, get_ident(), r, t, t, 0))
    return None


class TracedCondition(threading.Condition):
    """threading.Condition stays a creation-time replacement: its acquire/release are attributes of
    each instance bound to the C lock, which no class-level patch reaches."""

    def __init__(self, lock: Any = None) -> None:
        frame = sys._getframe(1)
        created = _creation(frame)
        if lock is None and created is not None:
            lock = _new_lock_wrapper(_FreshRLock, _CRLock(), "threading.Condition", created[0], created[1], owner=self)
        super().__init__(lock)
        _init_tracking(self, "threading.Condition", frame)


# ---- asyncio (class level) -------------------------------------------------------------------------
# Each traced method first tries the same fast path as asyncio's own (the primitive is free, the
# queue has an item …) without an extra coroutine layer; only when it has to wait does it mark
# what the task waits on and await the original method.

_awaiting = asyncio_hooks.awaiting
_current_tasks_get = asyncio.tasks._current_tasks.get
_get_running_loop = asyncio.events._get_running_loop


async def _waiting_on(who: Any, label: str, wait: Any) -> Any:
    """Await the original method's wait with `who` marked as waiting on `label`, which the step hook
    records as what the suspension awaited. Only slow paths (the task really waits) come here."""
    _awaiting[who] = label
    try:
        return await wait
    finally:
        _awaiting.pop(who, None)


def _current_task() -> Any:
    """asyncio.current_task() without its Python-level wrapper (two C calls)."""
    return _current_tasks_get(_get_running_loop())


_ALock = asyncio.locks.Lock
_ASem = asyncio.locks.Semaphore
_ABSem = asyncio.locks.BoundedSemaphore
_AEvent = asyncio.locks.Event
_ACond = asyncio.locks.Condition
_AQueue = asyncio.queues.Queue
_alock_init = _ALock.__init__
_alock_acquire = _ALock.acquire
_alock_release = _ALock.release
_asem_init = _ASem.__init__
_asem_acquire = _ASem.acquire
_asem_release = _ASem.release
_aevent_init = _AEvent.__init__
_aevent_wait = _AEvent.wait
_acond_init = _ACond.__init__
_acond_wait = _ACond.wait
_acond_aenter = _ACond.__aenter__
_aqueue_init = _AQueue.__init__
_aqueue_get = _AQueue.get
_aqueue_put = _AQueue.put
_ASEM_KINDS = ((_ABSem, "asyncio.BoundedSemaphore"),)
_AQUEUE_KINDS = ((asyncio.PriorityQueue, "asyncio.PriorityQueue"), (asyncio.LifoQueue, "asyncio.LifoQueue"))


def _alock_init_(self: Any, *args: Any, **kwargs: Any) -> None:
    _alock_init(self, *args, **kwargs)
    _init_tracking(self, "asyncio.Lock", sys._getframe(1))


async def _alock_acquire_(self: Any) -> bool:
    # Hot path: attribute reads fall back to the class defaults set while tracing (_TL_DEFAULTS).
    idx = self._tl_idx
    if idx is None or idx < 0:
        idx = _idx_of(self, "asyncio.Lock")
        if idx < 0:
            return await _alock_acquire(self)
    who = _current_tasks_get(_get_running_loop())
    r = pc()
    if not self._locked and not self._waiters:
        self._locked = True
        self._tl_hold = (who, r, r, 0)
        return True
    n = len(self._waiters) if self._waiters else 0
    await _waiting_on(who, self._tl_name, _alock_acquire(self))
    if _still_tracing(self.__dict__):
        self._tl_hold = (who, r, pc(), n)
    return True


def _alock_release_(self: Any) -> None:
    hold = self._tl_hold
    e = pc()
    # asyncio.Lock.release (3.11-3.13), inlined: one Python frame less on every release.
    if self._locked:
        self._locked = False
        self._wake_up_first()
    else:
        raise RuntimeError("Lock is not acquired.")
    if hold is not None:
        self._tl_hold = None
        _sa((self._tl_idx, hold[0], hold[1], hold[2], e, hold[3]))


def _asem_init_(self: Any, value: int = 1, **kwargs: Any) -> None:
    _asem_init(self, value, **kwargs)
    _init_tracking(self, _kind(self, "asyncio.Semaphore", _ASEM_KINDS), sys._getframe(1))


async def _asem_acquire_(self: Any) -> bool:
    idx = self._tl_idx
    if idx is None or idx < 0:
        idx = _idx_of(self, "asyncio.Semaphore", _ASEM_KINDS)
        if idx < 0:
            return await _asem_acquire(self)
    who = _current_tasks_get(_get_running_loop())
    r = pc()
    waiters = self._waiters
    # Semaphore.locked() without its generator when nobody waits.
    if self._value and (not waiters or all(w.cancelled() for w in waiters)):
        self._value -= 1
        self._tl_holders.append((who, r, r, 0))
        return True
    n = len(waiters) if waiters else 0
    await _waiting_on(who, self._tl_name, _asem_acquire(self))
    if _still_tracing(self.__dict__):
        self._tl_holders.append((who, r, pc(), n))
    return True


def _asem_released(self: Any) -> None:
    idx = self._tl_idx
    if idx is not None and idx >= 0:
        holders = self._tl_holders
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


def _asem_release_(self: Any) -> None:
    # asyncio.Semaphore.release (3.11-3.13), inlined.
    self._value += 1
    self._wake_up_next()
    _asem_released(self)


def _aevent_init_(self: Any, *args: Any, **kwargs: Any) -> None:
    _aevent_init(self, *args, **kwargs)
    _init_tracking(self, "asyncio.Event", sys._getframe(1))


async def _aevent_wait_(self: Any) -> bool:
    idx = _idx_of(self, "asyncio.Event")
    if idx < 0:
        return await _aevent_wait(self)
    d = self.__dict__
    who = _current_tasks_get(_get_running_loop())
    r = pc()
    if self._value:
        _sa((idx, who, r, r, r, 0))
        return True
    n = len(self._waiters)
    result = await _waiting_on(who, d["_tl_name"], _aevent_wait(self))
    t = pc()
    _sa((idx, who, r, t, t, n))
    return result


def _acond_init_(self: Any, lock: Any = None, **kwargs: Any) -> None:
    _acond_init(self, lock, **kwargs)
    frame = sys._getframe(1)
    _init_tracking(self, "asyncio.Condition", frame)
    if lock is None:
        _condition_lock(self, self.__dict__["_tl_on"])


def _condition_lock(cond: Any, ours: bool) -> None:
    """The lock a Condition made for itself is recorded under the Condition's name and kind."""
    inner = cond._lock
    d = inner.__dict__
    if d.get("_tl_idx", -1) >= 0:
        return
    d["_tl_idx"] = -1
    d["_tl_on"] = ours
    d["_tl_kind"] = "asyncio.Condition"
    d["_tl_waiting"] = 0
    d["_tl_holders"] = []
    d["_tl_name"] = "asyncio.Condition"
    d["_tl_owner"] = cond
    d["_tl_site"] = cond.__dict__.get("_tl_site")
    d["_tl_globals"] = cond.__dict__.get("_tl_globals")
    _remember(inner)


async def _acond_aenter_(self: Any) -> None:
    if "_tl_idx" not in self.__dict__ and _state.rec is not None:  # created before the trace
        _decide(self, "asyncio.Condition", sys._getframe(1))
        if "_tl_idx" not in self._lock.__dict__:
            _condition_lock(self, bool(self.__dict__.get("_tl_on")))
        # Condition.__init__ bound acquire/release to the lock's methods of that time (the plain
        # ones): bind the traced ones; uninstall() binds the plain ones back.
        self.acquire = self._lock.acquire
        self.release = self._lock.release
    await self.acquire()


async def _acond_wait_(self: Any) -> bool:
    who = _current_tasks_get(_get_running_loop())
    label = self._lock.__dict__.get("_tl_name") if self.__dict__.get("_tl_on") else None
    if not label:
        return await _acond_wait(self)
    return await _waiting_on(who, "asyncio.Condition " + label.replace("asyncio.Condition ", ""), _acond_wait(self))


def _aqueue_init_(self: Any, maxsize: int = 0, **kwargs: Any) -> None:
    _aqueue_init(self, maxsize, **kwargs)
    _init_tracking(self, _kind(self, "asyncio.Queue", _AQUEUE_KINDS), sys._getframe(1))


async def _aqueue_get_(self: Any) -> Any:
    idx = self._tl_idx
    if idx is None or idx < 0:
        idx = _idx_of(self, "asyncio.Queue", _AQUEUE_KINDS)
        if idx < 0:
            return await _aqueue_get(self)
    who = _current_tasks_get(_get_running_loop())
    r = pc()
    if self._queue:
        item = self.get_nowait()
        _sa((idx, who, r, r, r, 0))
        return item
    n = len(self._getters)
    item = await _waiting_on(who, self._tl_name + " get", _aqueue_get(self))
    t = pc()
    _sa((idx, who, r, t, t, n))
    return item


async def _aqueue_put_(self: Any, item: Any) -> None:
    idx = self._tl_idx
    if idx is None or idx < 0:
        idx = _idx_of(self, "asyncio.Queue", _AQUEUE_KINDS)
        if idx < 0:
            return await _aqueue_put(self, item)
    who = _current_tasks_get(_get_running_loop())
    r = pc()
    if not self.full():
        self.put_nowait(item)
        _sa((idx, who, r, r, r, 0))
        return None
    n = len(self._putters)
    await _waiting_on(who, self._tl_name + " put", _aqueue_put(self, item))
    t = pc()
    _sa((idx, who, r, t, t, n))
    return None


_CLASS_PATCHES: tuple[tuple[type, str, Any], ...] = (
    (_TSem, "__init__", _sem_init),
    (_TSem, "acquire", _sem_acquire),
    (_TSem, "__enter__", _sem_acquire),
    (_TSem, "release", _sem_release),
    (_TBSem, "release", _bsem_release),
    (_TEvent, "__init__", _event_init),
    (_TEvent, "wait", _event_wait),
    (_Queue, "__init__", _q_init),
    (_Queue, "get", _q_get),
    (_Queue, "put", _q_put),
    (_ALock, "__init__", _alock_init_),
    (_ALock, "acquire", _alock_acquire_),
    (_ALock, "release", _alock_release_),
    (_ASem, "__init__", _asem_init_),
    (_ASem, "acquire", _asem_acquire_),
    (_ASem, "release", _asem_release_),
    (_AEvent, "__init__", _aevent_init_),
    (_AEvent, "wait", _aevent_wait_),
    (_ACond, "__init__", _acond_init_),
    (_ACond, "__aenter__", _acond_aenter_),
    (_ACond, "wait", _acond_wait_),
    (_AQueue, "__init__", _aqueue_init_),
    (_AQueue, "get", _aqueue_get_),
    (_AQueue, "put", _aqueue_put_),
)


# Class-level defaults while tracing, so hot paths read `self._tl_idx` as a plain attribute.
_TL_DEFAULTS = (("_tl_idx", None), ("_tl_hold", None), ("_tl_holders", None), ("_tl_name", ""))
_DEFAULTS_ON = (_ALock, _ASem, _AQueue)


def install(rec: "Recorder", patcher: "Patcher") -> None:
    global _sa
    _state.rec = rec
    _state.wrappers = weakref.WeakSet()
    _sa = rec.raw_acq.extend
    patcher.set(threading, "Lock", Lock)
    patcher.set(threading, "RLock", RLock)
    patcher.set(threading, "Condition", TracedCondition)
    for cls, name, fn in _CLASS_PATCHES:
        patcher.set(cls, name, fn)
    for cls in _DEFAULTS_ON:
        for name, value in _TL_DEFAULTS:
            patcher.set(cls, name, value)


def uninstall() -> None:
    """Stop recording: every traced object becomes a plain one again."""
    global _sa
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
                continue
            if type(obj) is TracedCondition:
                obj.__class__ = threading.Condition
            elif isinstance(obj, _ACond):
                _plain_condition_methods(obj)
            d = obj.__dict__
            for key in _TL_KEYS:
                d.pop(key, None)
        except (TypeError, AttributeError):
            pass


def _plain_condition_methods(cond: Any) -> None:
    """A Condition's bound acquire/release that point at the traced methods: the plain ones again."""
    lock = cond._lock
    for name, traced, plain in (("acquire", _alock_acquire_, _alock_acquire), ("release", _alock_release_, _alock_release)):
        bound = cond.__dict__.get(name)
        if getattr(bound, "__func__", None) is traced:
            fn = getattr(type(lock), name)
            setattr(cond, name, MethodType(plain if fn is traced else fn, lock))


def still_held(rec: "Recorder") -> None:
    """Acquisitions still held when tracing stops: recorded with released = -1."""
    for obj in list(_state.wrappers or ()):
        if isinstance(obj, _LockBase):
            continue
        d = getattr(obj, "__dict__", None) or {}
        idx = d.get("_tl_idx", -1)
        if idx < 0:
            continue
        holders = d.get("_tl_holders")
        if holders:
            for who, r, t, n in holders:
                rec.raw_acq.extend((idx, who, r, t, None, n))
            holders.clear()
        hold = d.get("_tl_hold")
        if hold is not None:
            d["_tl_hold"] = None
            rec.raw_acq.extend((idx, hold[0], hold[1], hold[2], None, hold[3]))


__all__ = ["install", "uninstall", "still_held", "Lock", "RLock"]
