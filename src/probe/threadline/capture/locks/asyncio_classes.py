"""asyncio's ``Lock``, ``Semaphore``, ``BoundedSemaphore``, ``Event``, ``Condition`` and ``Queue``
patched at class level while tracing.

Each traced method first tries the same fast path as asyncio's own (the primitive is free, the
queue has an item …) without an extra coroutine layer; only when it has to wait does it mark what
the task waits on and await the original method.
"""

from __future__ import annotations

import asyncio
import sys
from time import perf_counter
from types import MethodType
from typing import Any

from ..asyncio_hooks import awaiting, who_of
from .registry import state
from .tracking import decide, idx_of, init_tracking, kind_of, remember, still_tracing

pc = perf_counter


_current_tasks_get = asyncio.tasks._current_tasks.get
_get_running_loop = asyncio.events._get_running_loop


async def _waiting_on(who: int | str, label: str, wait: Any) -> Any:
    """Await the original method's wait with `who` marked as waiting on `label`, which the step hook
    records as what the suspension awaited. Only slow paths (the task really waits) come here."""
    awaiting[who] = label
    try:
        return await wait
    finally:
        awaiting.pop(who, None)


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
    init_tracking(self, "asyncio.Lock", sys._getframe(1))


async def _alock_acquire_(self: Any) -> bool:
    # Hot path: attribute reads fall back to the class defaults set while tracing (_TL_DEFAULTS).
    idx = self._tl_idx
    if idx is None or idx < 0:
        idx = idx_of(self, "asyncio.Lock")
        if idx < 0:
            return await _alock_acquire(self)
    who = who_of(_current_tasks_get(_get_running_loop()))
    r = pc()
    if not self._locked and not self._waiters:
        self._locked = True
        self._tl_hold = (who, r, r, 0)
        return True
    n = len(self._waiters) if self._waiters else 0
    await _waiting_on(who, self._tl_name, _alock_acquire(self))
    if still_tracing(self.__dict__):
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
        state.record((self._tl_idx, hold[0], hold[1], hold[2], e, hold[3]))


def _asem_init_(self: Any, value: int = 1, **kwargs: Any) -> None:
    _asem_init(self, value, **kwargs)
    init_tracking(self, kind_of(self, "asyncio.Semaphore", _ASEM_KINDS), sys._getframe(1))


async def _asem_acquire_(self: Any) -> bool:
    idx = self._tl_idx
    if idx is None or idx < 0:
        idx = idx_of(self, "asyncio.Semaphore", _ASEM_KINDS)
        if idx < 0:
            return await _asem_acquire(self)
    who = who_of(_current_tasks_get(_get_running_loop()))
    r = pc()
    waiters = self._waiters
    # Semaphore.locked() without its generator when nobody waits.
    if self._value and (not waiters or all(w.cancelled() for w in waiters)):
        self._value -= 1
        self._tl_holders.append((who, r, r, 0))
        return True
    n = len(waiters) if waiters else 0
    await _waiting_on(who, self._tl_name, _asem_acquire(self))
    if still_tracing(self.__dict__):
        self._tl_holders.append((who, r, pc(), n))
    return True


def _asem_released(self: Any) -> None:
    idx = self._tl_idx
    if idx is not None and idx >= 0:
        holders = self._tl_holders
        if holders:
            who = who_of(_current_tasks_get(_get_running_loop()))
            e = pc()
            for i in range(len(holders) - 1, -1, -1):
                if holders[i][0] == who:
                    holder = holders.pop(i)
                    break
            else:
                holder = holders.pop(0)  # released by another task than the one that acquired
            state.record((idx, holder[0], holder[1], holder[2], e, holder[3]))


def _asem_release_(self: Any) -> None:
    # asyncio.Semaphore.release (3.11-3.13), inlined.
    self._value += 1
    self._wake_up_next()
    _asem_released(self)


def _aevent_init_(self: Any, *args: Any, **kwargs: Any) -> None:
    _aevent_init(self, *args, **kwargs)
    init_tracking(self, "asyncio.Event", sys._getframe(1))


async def _aevent_wait_(self: Any) -> bool:
    idx = idx_of(self, "asyncio.Event")
    if idx < 0:
        return await _aevent_wait(self)
    d = self.__dict__
    who = who_of(_current_tasks_get(_get_running_loop()))
    r = pc()
    if self._value:
        state.record((idx, who, r, r, r, 0))
        return True
    n = len(self._waiters)
    result = await _waiting_on(who, d["_tl_name"], _aevent_wait(self))
    t = pc()
    state.record((idx, who, r, t, t, n))
    return result


def _acond_init_(self: Any, lock: Any = None, **kwargs: Any) -> None:
    _acond_init(self, lock, **kwargs)
    frame = sys._getframe(1)
    init_tracking(self, "asyncio.Condition", frame)
    if lock is None:
        _condition_lock(self, self.__dict__.get("_tl_on", False))


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
    remember(inner)


async def _acond_aenter_(self: Any) -> None:
    if "_tl_idx" not in self.__dict__ and state.rec is not None:  # created before the trace
        decide(self, "asyncio.Condition", sys._getframe(1))
        if "_tl_idx" not in self._lock.__dict__:
            _condition_lock(self, bool(self.__dict__.get("_tl_on")))
        # Condition.__init__ bound acquire/release to the lock's methods of that time (the plain
        # ones): bind the traced ones; uninstall() binds the plain ones back.
        self.acquire = self._lock.acquire
        self.release = self._lock.release
    await self.acquire()


async def _acond_wait_(self: Any) -> bool:
    who = who_of(_current_tasks_get(_get_running_loop()))
    label = self._lock.__dict__.get("_tl_name") if self.__dict__.get("_tl_on") else None
    if not label:
        return await _acond_wait(self)
    return await _waiting_on(who, "asyncio.Condition " + label.replace("asyncio.Condition ", ""), _acond_wait(self))


def _aqueue_init_(self: Any, maxsize: int = 0, **kwargs: Any) -> None:
    _aqueue_init(self, maxsize, **kwargs)
    init_tracking(self, kind_of(self, "asyncio.Queue", _AQUEUE_KINDS), sys._getframe(1))


async def _aqueue_get_(self: Any) -> Any:
    idx = self._tl_idx
    if idx is None or idx < 0:
        idx = idx_of(self, "asyncio.Queue", _AQUEUE_KINDS)
        if idx < 0:
            return await _aqueue_get(self)
    who = who_of(_current_tasks_get(_get_running_loop()))
    r = pc()
    if self._queue:
        item = self.get_nowait()
        state.record((idx, who, r, r, r, 0))
        return item
    n = len(self._getters)
    item = await _waiting_on(who, self._tl_name + " get", _aqueue_get(self))
    t = pc()
    state.record((idx, who, r, t, t, n))
    return item


async def _aqueue_put_(self: Any, item: Any) -> None:
    idx = self._tl_idx
    if idx is None or idx < 0:
        idx = idx_of(self, "asyncio.Queue", _AQUEUE_KINDS)
        if idx < 0:
            return await _aqueue_put(self, item)
    who = who_of(_current_tasks_get(_get_running_loop()))
    r = pc()
    if not self.full():
        self.put_nowait(item)
        state.record((idx, who, r, r, r, 0))
        return None
    n = len(self._putters)
    await _waiting_on(who, self._tl_name + " put", _aqueue_put(self, item))
    t = pc()
    state.record((idx, who, r, t, t, n))
    return None


PATCHES: tuple[tuple[type, str, Any], ...] = (
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
DEFAULTS: tuple[tuple[type, str, Any], ...] = tuple(
    (cls, name, value)
    for cls in (_ALock, _ASem, _AQueue)
    for name, value in (("_tl_idx", None), ("_tl_hold", None), ("_tl_holders", None), ("_tl_name", ""))
)


def plain_condition_methods(cond: Any) -> None:
    """A Condition's bound acquire/release that point at the traced methods: the plain ones again."""
    lock = cond._lock
    for name, traced, plain in (
        ("acquire", _alock_acquire_, _alock_acquire),
        ("release", _alock_release_, _alock_release),
    ):
        bound = cond.__dict__.get(name)
        if getattr(bound, "__func__", None) is traced:
            fn = getattr(type(lock), name)
            setattr(cond, name, MethodType(plain if fn is traced else fn, lock))
