"""``threading.Semaphore`` / ``BoundedSemaphore``, ``Event`` and ``queue.Queue`` patched at class
level while tracing, and ``threading.Condition`` replaced at creation (see TracedCondition)."""

from __future__ import annotations

import queue
import sys
import threading
from time import perf_counter
from typing import Any

from ...frames import code_kind
from ..compiled import speedups
from .registry import creation, state
from .thread_locks import CRLock, FreshRLock, Lock, RLock, allocate_lock, new_lock_wrapper
from .tracking import hold_end, idx_of, init_tracking, kind_of, still_tracing, waited

pc = perf_counter
get_ident = threading.get_ident


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
    init_tracking(self, kind_of(self, "threading.Semaphore", _SEM_KINDS), sys._getframe(1))


def _sem_acquire(self: Any, blocking: bool = True, timeout: float | None = None) -> bool:
    # an executor's idle semaphore, on every submit: -1 for good (see tracking.py) without a call
    d = self.__dict__
    idx = d.get("_tl_idx")
    if idx is None or (idx < 0 and d.get("_tl_on")):
        idx = idx_of(self, "threading.Semaphore", _SEM_KINDS)
    if idx < 0:
        return _tsem_acquire(self, blocking, timeout)
    r, n, ok = waited(d, _tsem_acquire, self, blocking, timeout)
    if ok and still_tracing(d):
        d["_tl_holders"].append((get_ident(), r, pc(), n))
    return ok


def _sem_release(self: Any, n: int = 1) -> None:
    _tsem_release(self, n)
    if self.__dict__.get("_tl_idx", -1) >= 0:
        _sem_released(self, n)


def _bsem_release(self: Any, n: int = 1) -> None:
    _tbsem_release(self, n)
    if self.__dict__.get("_tl_idx", -1) >= 0:
        _sem_released(self, n)


def _sem_released(self: Any, n: int) -> None:
    idx = self.__dict__.get("_tl_idx", -1)
    if idx >= 0:
        who = get_ident()
        for _ in range(n):
            hold_end(self, idx, who)


def _event_init(self: Any) -> None:
    _tevent_init(self)
    init_tracking(self, "threading.Event", sys._getframe(1))


def _event_wait(self: Any, timeout: float | None = None) -> bool:
    # a new thread's started Event, waited on by every Thread.start: as in _sem_acquire
    d = self.__dict__
    idx = d.get("_tl_idx")
    if idx is None or (idx < 0 and d.get("_tl_on")):
        idx = idx_of(self, "threading.Event")
    if idx < 0:
        return _tevent_wait(self, timeout)
    r, n, ok = waited(self.__dict__, _tevent_wait, self, timeout)
    t = pc()
    state.record((idx, get_ident(), r, t, t, n))
    return ok


def _q_init(self: Any, maxsize: int = 0) -> None:
    _queue_init(self, maxsize)
    init_tracking(self, kind_of(self, "queue.Queue", _QUEUE_KINDS), sys._getframe(1))


def _q_get(self: Any, block: bool = True, timeout: float | None = None) -> Any:
    idx = idx_of(self, "queue.Queue", _QUEUE_KINDS)
    if idx < 0:
        return _queue_get(self, block, timeout)
    r, n, item = waited(self.__dict__, _queue_get, self, block, timeout)
    t = pc()
    state.record((idx, get_ident(), r, t, t, n))
    return item


def _q_put(self: Any, item: Any, block: bool = True, timeout: float | None = None) -> None:
    idx = idx_of(self, "queue.Queue", _QUEUE_KINDS)
    if idx < 0:
        return _queue_put(self, item, block, timeout)
    r = pc()
    _queue_put(self, item, block, timeout)
    t = pc()
    state.record((idx, get_ident(), r, t, t, 0))
    return None


_Condition = PlainCondition = threading.Condition


class _ConditionType(type):
    """While tracing, ``threading.Condition`` is TracedCondition, yet the Conditions made for the
    standard library are plain ones: isinstance and issubclass against it answer as untraced."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, _Condition) if cls is TracedCondition else type.__instancecheck__(cls, obj)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, _Condition) if cls is TracedCondition else type.__subclasscheck__(cls, sub)


class TracedCondition(_Condition, metaclass=_ConditionType):
    """threading.Condition stays a creation-time replacement: its acquire/release are attributes of
    each instance bound to the C lock, which no class-level patch reaches. What is recorded is its
    lock, a traced wrapper made here when the learner's code creates the Condition; such a
    Condition is remembered, to become a threading.Condition again when tracing stops. Any other
    (the standard library's own: a Future's, an Event's) is a plain threading.Condition from the
    start (no per-object work beyond one call)."""

    def __new__(cls, lock: Any = None) -> Any:
        if cls is TracedCondition and (lock is not None or creation(sys._getframe(1)) is None):
            return plain_condition(cls, lock)
        return super().__new__(cls)

    def __init__(self, lock: Any = None) -> None:
        if lock is None:
            created = creation(sys._getframe(1))
            if created is not None:
                lock = new_lock_wrapper(FreshRLock, CRLock(), "threading.Condition", created[0], created[1], owner=self)
        super().__init__(lock)
        wrappers = state.wrappers
        if wrappers is not None:
            wrappers.add(self)


def plain_condition(cls: type, lock: Any = None) -> Any:
    """A Condition the standard library makes for itself: a threading.Condition from the start (its
    RLock made through threading.RLock, which gives the library a plain one)."""
    return _Condition(lock) if cls is TracedCondition else _Condition.__new__(cls)


# (class, name, its own method, the traced one)
_TRACED: tuple[tuple[type, str, Any, Any], ...] = (
    (_TSem, "__init__", _tsem_init, _sem_init),
    (_TSem, "acquire", _tsem_acquire, _sem_acquire),
    (_TSem, "__enter__", _tsem_acquire, _sem_acquire),
    (_TSem, "release", _tsem_release, _sem_release),
    (_TBSem, "release", _tbsem_release, _bsem_release),
    (_TEvent, "__init__", _tevent_init, _event_init),
    (_TEvent, "wait", _tevent_wait, _event_wait),
    (_Queue, "__init__", _queue_init, _q_init),
    (_Queue, "get", _queue_get, _q_get),
    (_Queue, "put", _queue_put, _q_put),
)


def factories() -> list[tuple[Any, str, Any]]:
    """threading.Lock, RLock and Condition while tracing, to set on the module, and Condition's
    __new__. With the C hot paths, the standard library's own calls (a Future's Condition, a
    thread's Event) are sent to the plain factory without a Python call of the probe's."""
    made = [(threading, "Lock", Lock), (threading, "RLock", RLock), (threading, "Condition", TracedCondition)]
    if speedups is not None:
        made[0] = (threading, "Lock", speedups.CallerGate(library=allocate_lock, learner=Lock, classify=code_kind))
        made[1] = (threading, "RLock", speedups.CallerGate(library=CRLock, learner=RLock, classify=code_kind))
        gate = speedups.CallerGate(
            library=plain_condition,  # for a subclass's
            learner=TracedCondition.__new__,
            classify=code_kind,
            own=TracedCondition,
            plain=_Condition,  # plain_condition's answer for TracedCondition, without its Python frame
        )
        made.append((TracedCondition, "__new__", staticmethod(gate)))
    for target, name, value in made:
        if target is threading:  # CPython's test__all__ looks at which module threading's names come from,
            value.__module__ = "threading"  # and pickle (a Manager's registry) finds them there by name
            value.__name__ = value.__qualname__ = name
    return made


def patches() -> list[tuple[type, str, Any]]:
    """What to set on the classes while tracing. With the C hot paths, each traced method sits behind
    a gate: executors, threads and futures make these objects for themselves by the thousand, and
    their creation, and the standard library's calls on them, go straight to the original, with the
    object left unmarked (see Gates in _speedups.c)."""
    if speedups is None:
        return [(cls, name, traced) for cls, name, _, traced in _TRACED]
    return [
        (cls, name, (speedups.InitGate if name == "__init__" else speedups.Gate)(original, traced, code_kind))
        for cls, name, original, traced in _TRACED
    ]
