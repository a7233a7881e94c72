"""Threads: start and end, name, native id, who started them and where, CPU time used.

``Thread.start`` notes the creator in the calling thread (in ``pending``, by the thread's id: the
thread's own ``__dict__`` is left alone, as adding a name to it would make every read of its
attributes slower for its whole life); ``Thread._bootstrap_inner`` runs in the new thread, takes the
note and records its start (before ``start()`` returns, so the lane exists before any of its
lock records) and, at the end, its CPU time from ``time.thread_time()`` (a thread's clock starts at
zero: one reading, at the end), and the error it ended with, noted by the thread's own
``_invoke_excepthook``, which the standard library calls with that error being handled. Both hooks
are in C when the hot paths are built (``ThreadStarter`` and ``ThreadRunner`` in _speedups.c): an
executor per event loop starts threads by the hundred.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from time import perf_counter, thread_time
from typing import TYPE_CHECKING, Any

from ..frames import caller_frame, code_kind, is_kernel_machinery
from . import asyncio_hooks
from .asyncio_hooks import current_who
from .compiled import speedups

if TYPE_CHECKING:
    from ..record.recorder import Recorder
    from .patching import Patcher

OWN_THREAD_PREFIX = "threadline-"
# Threads the standard library starts for its own bookkeeping (pool result handlers, executor
# managers, queue feeders, asyncio's child watcher waiting for each subprocess on 3.11, the thread
# shutting a loop's default executor down): shown in a "helpers" group, not counted as the
# learner's threads.
_HELPER_MODULES = {
    "asyncio.base_events",
    "asyncio.unix_events",
    "multiprocessing.pool",
    "multiprocessing.queues",
    "multiprocessing.resource_sharer",
    "multiprocessing.managers",
    "concurrent.futures.process",
}


def _group(thread: threading.Thread) -> str:
    target = getattr(thread, "_target", None)
    module = getattr(target, "__module__", None) if target is not None else type(thread).__module__
    return "helpers" if module in _HELPER_MODULES or type(thread).__module__ in _HELPER_MODULES else "threads"


class _ErrorNote:
    """A traced thread's ``_invoke_excepthook`` while it runs: notes the error, then calls the
    thread's own hook."""

    __slots__ = ("hook", "error")

    def __init__(self, hook: Callable[[threading.Thread], None]) -> None:
        self.hook = hook
        self.error: str | None = None

    def __call__(self, thread: threading.Thread) -> None:
        exc = sys.exc_info()[1]
        try:
            self.error = f"{type(exc).__name__}: {exc}"[:200]
        except Exception:  # a str() that fails must not keep the thread's own hook from running
            self.error = type(exc).__name__
        self.hook(thread)


def install(rec: Recorder, patcher: Patcher, keys: Any) -> None:
    """Patch threading for this recorder; ``keys``: the traced tasks' (a creator is one of them)."""
    original_start = threading.Thread.start
    original_bootstrap = threading.Thread._bootstrap_inner  # type: ignore[attr-defined]
    pending: dict[int, tuple[Any, Any, int, str]] = {}  # id(thread) -> (creator, code, line, group)
    if speedups is not None:
        starter = speedups.ThreadStarter(
            original=original_start,
            pending=pending,
            classify=code_kind,
            keys=keys,
            current_tasks=asyncio.tasks._current_tasks,
            running_loop=asyncio.events._get_running_loop,
            who_of=asyncio_hooks.who_of,
            helper_modules=frozenset(_HELPER_MODULES),
        )
        runner = speedups.ThreadRunner(
            original=original_bootstrap,
            pending=pending,
            starts=rec.raw_thread_starts,
            ends=rec.raw_thread_ends,
            base=rec.t0,
        )
        patcher.set(threading.Thread, "start", starter)
        patcher.set(threading.Thread, "_bootstrap_inner", runner)
        return
    starts, ends, base = rec.raw_thread_starts, rec.raw_thread_ends, rec.t0

    def start(self: threading.Thread) -> None:
        key = id(self)
        try:
            frame = caller_frame(2)
            machinery = frame is not None and is_kernel_machinery(frame.f_code.co_filename)
            if not machinery and not self._name.startswith(OWN_THREAD_PREFIX):  # type: ignore[attr-defined]
                code, line = (frame.f_code, frame.f_lineno) if frame is not None else (None, 0)
                pending[key] = (current_who(), code, line, _group(self))
        except Exception:  # never break Thread.start
            pass
        try:
            original_start(self)
        finally:
            pending.pop(key, None)  # the runner took it, unless the thread did not start

    def bootstrap_inner(self: threading.Thread) -> None:
        info = pending.pop(id(self), None)
        if info is None:
            return original_bootstrap(self)
        creator, code, line, group = info
        ident = threading.get_ident()
        native_id = threading.get_native_id()
        t = int((perf_counter() - base) * 1e6)
        starts.extend((ident, native_id, self._name, t, creator, code, line, group))  # type: ignore[attr-defined]
        hook = getattr(self, "_invoke_excepthook", None)
        note = _ErrorNote(hook) if hook is not None else None
        if note is not None:
            self._invoke_excepthook = note  # type: ignore[attr-defined]
        try:
            original_bootstrap(self)
        finally:
            if note is not None and getattr(self, "_invoke_excepthook", None) is note:
                self._invoke_excepthook = hook  # type: ignore[attr-defined]
            error = note.error if note is not None else None
            ends.extend((ident, native_id, int((perf_counter() - base) * 1e6), int(thread_time() * 1e6), error))

    patcher.set(threading.Thread, "start", start)
    patcher.set(threading.Thread, "_bootstrap_inner", bootstrap_inner)
