"""Threads: start and end, name, native id, who started them and where, CPU time used.

``Thread.start`` notes the creator in the calling thread; ``Thread._bootstrap_inner`` runs in the
new thread and records its start (before ``start()`` returns, so the lane exists before any of its
lock records) and, at the end, its CPU time from ``time.thread_time()`` (a thread's clock starts at
zero: one reading, at the end).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from time import perf_counter, thread_time
from typing import TYPE_CHECKING

from ..frames import caller_site, is_kernel_machinery
from .asyncio_hooks import current_who

if TYPE_CHECKING:
    from ..record.recorder import Recorder
    from .patching import Patcher

OWN_THREAD_PREFIX = "threadline-"
_NO_RUN = object()
# Threads the standard library starts for its own bookkeeping (pool result handlers, executor
# managers, queue feeders, asyncio's child watcher waiting for each subprocess on 3.11): shown in a
# "helpers" group, not counted as the learner's threads.
_HELPER_MODULES = {
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


class _TracedRun:
    """What a traced thread runs instead of its ``run``: notes the error it ends with. One object
    (a closure with its cells and a list was four, each bringing the next GC pass nearer)."""

    __slots__ = ("run", "error")

    def __init__(self, run: Callable[[], object]) -> None:
        self.run = run
        self.error: str | None = None

    def __call__(self) -> None:
        try:
            self.run()
        except BaseException as exc:
            self.error = f"{type(exc).__name__}: {exc}"[:200]
            raise


def install(rec: Recorder, patcher: Patcher) -> None:
    original_start = threading.Thread.start
    original_bootstrap = threading.Thread._bootstrap_inner  # type: ignore[attr-defined]
    misc = rec.raw_misc

    def start(self: threading.Thread) -> None:
        try:
            site, frame = caller_site(2)
            machinery = frame is not None and is_kernel_machinery(frame.f_code.co_filename)
            if not machinery and not self.name.startswith(OWN_THREAD_PREFIX):
                self._threadline = (rec, current_who(), site)  # type: ignore[attr-defined]
        except Exception:  # never break Thread.start
            pass
        original_start(self)

    def bootstrap_inner(self: threading.Thread) -> None:
        info = self.__dict__.pop("_threadline", None)  # the thread does not keep the recorder
        if info is None or info[0] is not rec:
            return original_bootstrap(self)
        _, creator, site = info
        ident = threading.get_ident()
        native_id = threading.get_native_id()
        misc.append(("thread_start", ident, native_id, self.name, perf_counter(), creator, site, _group(self)))
        d = self.__dict__
        own_run = d.get("run", _NO_RUN)
        traced_run = d["run"] = _TracedRun(self.run)
        try:
            original_bootstrap(self)
        finally:
            # traced_run holds the bound run, which holds the thread: left in place, that cycle kept
            # every finished thread (its Event, Condition, locks, target) alive until a GC pass
            if d.get("run") is traced_run:
                if own_run is _NO_RUN:
                    del d["run"]
                else:
                    d["run"] = own_run
            misc.append(("thread_end", ident, native_id, perf_counter(), thread_time(), traced_run.error))

    patcher.set(threading.Thread, "start", start)
    patcher.set(threading.Thread, "_bootstrap_inner", bootstrap_inner)
