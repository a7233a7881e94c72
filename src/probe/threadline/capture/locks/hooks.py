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

import asyncio
from typing import TYPE_CHECKING

from . import asyncio_classes, threading_classes
from .registry import bind, state, unbind
from .thread_locks import LockBase, PlainLock
from .threading_classes import PlainCondition, TracedCondition
from .tracking import TL_KEYS

if TYPE_CHECKING:
    from ...record.recorder import Recorder
    from ..patching import Patcher


def install(rec: Recorder, patcher: Patcher) -> None:
    bind(rec)
    for target, name, value in (
        *threading_classes.factories(),
        *threading_classes.patches(),
        *asyncio_classes.PATCHES,
        *asyncio_classes.DEFAULTS,
    ):
        patcher.set(target, name, value)


def uninstall() -> None:
    """Stop recording: every traced object becomes a plain one again."""
    for obj in list(unbind() or ()):
        try:
            if isinstance(obj, LockBase):
                obj.__class__ = PlainLock
                obj._globals = None
                continue
            if type(obj) is TracedCondition:
                obj.__class__ = PlainCondition  # threading.Condition is still ours until the patches go
            elif isinstance(obj, asyncio.Condition):
                asyncio_classes.plain_condition_methods(obj)
            d = obj.__dict__
            for key in TL_KEYS:
                d.pop(key, None)
        except (TypeError, AttributeError):
            pass


def still_held(rec: Recorder) -> None:
    """Acquisitions still held when tracing stops: recorded with released = -1."""
    for obj in list(state.wrappers or ()):
        if isinstance(obj, LockBase):
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


__all__ = ["install", "uninstall", "still_held"]
