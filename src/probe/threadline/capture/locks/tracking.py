"""Per-object tracking of the Python-class primitives (threading, queue, asyncio).

Their methods are patched at class level while tracing (threading_classes, asyncio_classes), so
objects created before the trace and instances of subclasses (asyncio.PriorityQueue, a learner's
own Lock subclass) are recorded too. Per-object state lives in the object's __dict__ under ``_tl_*``
keys and is removed when tracing stops. ``_tl_idx``: absent = not seen yet in this trace, -1 = not
the learner's, >= 0 = lock index. An object the standard library creates for itself (a thread's
Event, an executor's Semaphore) gets ``_tl_idx`` alone; the rest is only set on the learner's.
"""

from __future__ import annotations

import sys
import threading
from time import perf_counter
from types import FrameType
from typing import Any

from ...frames import is_probe_or_asyncio, is_user_file
from .registry import creation, register, state

pc = perf_counter


TL_KEYS = (
    "_tl_idx",
    "_tl_on",
    "_tl_kind",
    "_tl_waiting",
    "_tl_holders",
    "_tl_name",
    "_tl_site",
    "_tl_globals",
    "_tl_owner",
    "_tl_hold",
)


def remember(obj: Any) -> None:
    if state.wrappers is not None:
        try:
            state.wrappers.add(obj)
        except TypeError:  # no weak references: its state stays until it is collected
            pass


def _creator_frame(obj: Any, frame: FrameType | None) -> FrameType | None:
    """The frame that created `obj`, past the __init__ chain of its classes (stdlib or subclass)."""
    while frame is not None and frame.f_code.co_name == "__init__" and _init_of_its_class(obj, frame.f_code):
        try:
            if frame.f_locals.get("self") is not obj:  # another object of its class, making this one
                break
        except Exception:
            break
        frame = frame.f_back
    return frame


def _init_of_its_class(obj: Any, code: Any) -> bool:
    """Whether `code` is the __init__ of one of obj's classes: another class's (a Thread making its
    Event) ends the chain without reading the frame's locals, which makes a dict of them all."""
    return any(getattr(cls.__dict__.get("__init__"), "__code__", None) is code for cls in type(obj).__mro__)


def init_tracking(obj: Any, kind: str, frame: FrameType | None) -> None:
    if frame is not None and frame.f_code.co_name == "__init__":
        frame = _creator_frame(obj, frame)
    created = creation(frame)
    d = obj.__dict__
    d["_tl_idx"] = -1  # decided: -1 for good unless it is the learner's (then _index registers it)
    if created is not None:
        d["_tl_on"] = True
        d["_tl_kind"] = kind
        d["_tl_waiting"] = 0
        d["_tl_holders"] = []
        d["_tl_name"] = kind
        d["_tl_site"], d["_tl_globals"] = created
    remember(obj)


def _adopt(obj: Any, kind: str, frame: FrameType | None) -> int:
    """First use, while tracing, of an object created before the trace: it is the learner's when the
    code using it is (the kernel's and the stdlib's own primitives stay out)."""
    return _index(obj) if decide(obj, kind, frame) else -1


def decide(obj: Any, kind: str, frame: FrameType | None) -> bool:
    if state.rec is None:
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
    remember(obj)
    return ours


_THREADING_FILE = threading.__file__


def _index(obj: Any) -> int:
    """Lock index of a traced object, registering it on first use; -1 when not traced."""
    d = obj.__dict__
    idx = d.get("_tl_idx", -1)
    if idx >= 0:
        return idx
    if not d.get("_tl_on") or state.rec is None:
        return -1
    idx = register(obj, d["_tl_kind"], d.get("_tl_site"), d.get("_tl_globals"), d.get("_tl_owner", obj))
    d["_tl_globals"] = None
    d["_tl_idx"] = idx
    d["_tl_name"] = f"{d['_tl_kind']} {_state_name(idx)}"
    return idx


def idx_of(obj: Any, base: str, kinds: tuple[tuple[type, str], ...] = ()) -> int:
    """Lock index of `obj` for a patched method (its caller's caller is the code using it)."""
    try:
        d = obj.__dict__
    except AttributeError:
        return -1
    idx = d.get("_tl_idx")
    if idx is None:
        return _adopt(obj, kind_of(obj, base, kinds), sys._getframe(2))
    if idx >= 0 or not d.get("_tl_on"):  # registered, or never (the standard library's own)
        return idx  # type: ignore[no-any-return]
    return _index(obj)


def _leave(d: dict[str, Any]) -> None:
    """One waiter less (tolerates the state being cleared by the end of tracing meanwhile)."""
    n = d.get("_tl_waiting")
    if n:
        d["_tl_waiting"] = n - 1


def waited(d: dict[str, Any], call: Any, *args: Any) -> tuple[float, int, Any]:
    """Run a blocking call counted among the object's waiters: (requested at, waiters before, result)."""
    r = pc()
    n = d["_tl_waiting"]
    d["_tl_waiting"] = n + 1
    try:
        result = call(*args)
    finally:
        _leave(d)
    return r, n, result


def still_tracing(d: dict[str, Any]) -> bool:
    return d.get("_tl_idx", -1) >= 0


def _state_name(idx: int) -> str:
    rec = state.rec
    if rec is None:
        return ""
    for item in reversed(rec.raw_misc):
        if item[0] == "lock" and item[1] == idx:
            return str(item[2])
    return ""


def hold_end(obj: Any, idx: int, who: Any) -> None:
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
    state.record((idx, holder[0], holder[1], holder[2], e, holder[3]))


def kind_of(obj: Any, base: str, names: tuple[tuple[type, str], ...]) -> str:
    for cls, name in names:
        if isinstance(obj, cls):
            return name
    return base
