"""Shared state of the traced primitives: the recorder they write to, and how a primitive gets its
lock index and a readable name (the variable, attribute or item holding it where it is used)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

from ...frames import is_user_file, known_user_file, site_of_frame
from .remembered import Remembered

if TYPE_CHECKING:
    from ...record.recorder import Recorder


class _NullSink(list):  # type: ignore[type-arg]
    """Where records of traced objects go once tracing has stopped."""

    def append(self, _item: Any) -> None:
        return None

    def extend(self, _items: Any) -> None:
        return None


class _State:
    """Which recorder traced primitives write to; ``record`` takes one acquisition (lock index, who,
    requested, acquired, released, waiters) and drops it when no trace runs."""

    def __init__(self) -> None:
        self.rec: Recorder | None = None
        self.wrappers: Remembered | None = None
        self.record: Callable[[tuple[Any, ...]], None] = _null.extend


_null = _NullSink()
state = _State()


def bind(rec: Recorder) -> None:
    """Start recording traced primitives into `rec`."""
    state.rec = rec
    state.wrappers = Remembered()
    state.record = rec.raw_acq.extend


def unbind() -> Remembered | None:
    """Stop recording; returns the objects that were traced, to make plain again."""
    wrappers = state.wrappers
    state.record = _null.extend
    state.rec = None
    state.wrappers = None
    return wrappers


def creation(frame: FrameType | None) -> tuple[str | None, dict[str, Any] | None] | None:
    """(site, globals) when an object created from `frame` should be traced, else None. On every
    lock, event and condition the standard library makes for itself while tracing: one call and a
    dict lookup for those."""
    if frame is None:
        return None
    code = frame.f_code
    user = known_user_file(code.co_filename)
    if user is None:
        user = is_user_file(code.co_filename)
    if not user or state.rec is None:
        return None
    return site_of_frame(frame), frame.f_globals


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
        except Exception:
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


def register(obj: Any, kind: str, site: str | None, creation_globals: dict[str, Any] | None, name_target: Any) -> int:
    """Give a traced object its lock index (first use), with a readable name."""
    rec = state.rec
    if rec is None:
        return -1
    try:
        frame: FrameType | None = sys._getframe(2)
    except ValueError:
        frame = None
    name = None
    try:
        name = _find_name(name_target, frame, creation_globals)
    except Exception:  # naming is best effort
        name = None
    if name is None:
        name = f"{kind} at {site}" if site else kind
    with rec.lock_registry_lock:
        index = next(rec.lock_ids)
        rec.raw_misc.append(("lock", index, name, kind, site))
    return index
