"""Processes: multiprocessing Process, Pool and ProcessPoolExecutor workers (fork, forkserver, spawn).

``BaseProcess.start`` records each started process (pid, name, start method); ``join`` records its
end as soon as the learner's code joins it. Functions sent to a Pool or a ProcessPoolExecutor are
wrapped in ``TimedCall`` (a picklable object), which runs them in the worker and returns the result
tagged with the worker's pid and the wall-clock start and end, unwrapped again in the parent: that
is how the trace knows which process ran which task. The sampler thread (``sampler.py``) finds
other children with psutil and samples CPU use and core of all of them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import process as cf_process
from multiprocessing import pool as mp_pool
from multiprocessing import process as mp_process
from time import perf_counter
from typing import TYPE_CHECKING, Any

from ..frames import caller_site
from ..schema import OUT_ERROR, OUT_OK
from .asyncio_hooks import current_who

if TYPE_CHECKING:
    from ..record.recorder import Recorder
    from .patching import Patcher


class Tagged:
    """A worker's result with who ran it and when (wall clock, seconds since the epoch)."""

    __slots__ = ("value", "pid", "start", "end", "label")

    def __init__(self, value: Any, pid: int, start: float, end: float, label: str) -> None:
        self.value = value
        self.pid = pid
        self.start = start
        self.end = end
        self.label = label

    def __reduce__(self) -> tuple[Any, ...]:
        return (Tagged, (self.value, self.pid, self.start, self.end, self.label))


class TimedCall:
    """Picklable wrapper around a task function: runs it and tags the result."""

    __slots__ = ("fn", "label")

    def __init__(self, fn: Callable[..., Any], label: str) -> None:
        self.fn = fn
        self.label = label

    def __reduce__(self) -> tuple[Any, ...]:
        return (TimedCall, (self.fn, self.label))

    def __call__(self, /, *args: Any, **kwargs: Any) -> Tagged:  # `self` may be one of fn's keywords
        start = time.time()
        value = self.fn(*args, **kwargs)
        return Tagged(value, os.getpid(), start, time.time(), self.label)


def _label(fn: Any) -> str:
    return str(getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__)


def _start_method(proc: Any) -> str:
    popen = getattr(proc, "_popen", None)
    method = getattr(popen, "method", None)
    if method:
        return str(method)
    ctx = getattr(proc, "_start_method", None)
    return str(ctx) if ctx else "fork"


def install(rec: Recorder, patcher: Patcher) -> None:
    misc = rec.raw_misc
    original_start = mp_process.BaseProcess.start
    original_join = mp_process.BaseProcess.join

    def start(self: Any) -> None:
        site, _ = caller_site(2)
        who = current_who()
        original_start(self)
        try:
            misc.append(
                (
                    "process_start",
                    self.pid,
                    f"{self.name} ({_start_method(self)})",
                    perf_counter(),
                    who,
                    site,
                    "processes",
                )
            )
        except Exception:
            pass

    def join(self: Any, timeout: float | None = None) -> None:
        original_join(self, timeout)
        try:
            code = self.exitcode
            if code is not None and not getattr(self, "_threadline_ended", False):
                self._threadline_ended = True
                outcome = OUT_OK if code == 0 else OUT_ERROR
                detail = f"exit code {code}"
                misc.append(("process_end", self.pid, perf_counter(), outcome, detail, last_cpu.get(self.pid, 0.0)))
        except Exception:
            pass

    def record(tagged: Any) -> Any:
        if isinstance(tagged, Tagged):
            misc.append(("process_task", tagged.pid, tagged.start, tagged.end, tagged.label))
            return tagged.value
        return tagged

    # Pool: wrap the function on the way in, unwrap results where they are delivered.
    original_map_async = mp_pool.Pool._map_async
    original_apply_async = mp_pool.Pool.apply_async
    original_apply_set = mp_pool.ApplyResult._set
    original_map_set = mp_pool.MapResult._set
    original_imap_set = mp_pool.IMapIterator._set
    original_imap = mp_pool.Pool.imap
    original_imap_unordered = mp_pool.Pool.imap_unordered

    def is_process_pool(pool: Any) -> bool:
        return not isinstance(pool, mp_pool.ThreadPool)

    def map_async(self: Any, func: Any, iterable: Any, mapper: Any, *args: Any, **kwargs: Any) -> Any:
        if is_process_pool(self) and not isinstance(func, TimedCall):
            func = TimedCall(func, _label(func))
        return original_map_async(self, func, iterable, mapper, *args, **kwargs)

    def apply_async(self: Any, func: Any, *args: Any, **kwargs: Any) -> Any:
        if is_process_pool(self) and not isinstance(func, TimedCall):
            func = TimedCall(func, _label(func))
        return original_apply_async(self, func, *args, **kwargs)

    def imap(self: Any, func: Any, *args: Any, **kwargs: Any) -> Any:
        if is_process_pool(self) and not isinstance(func, TimedCall):
            func = TimedCall(func, _label(func))
        return original_imap(self, func, *args, **kwargs)

    def imap_unordered(self: Any, func: Any, *args: Any, **kwargs: Any) -> Any:
        if is_process_pool(self) and not isinstance(func, TimedCall):
            func = TimedCall(func, _label(func))
        return original_imap_unordered(self, func, *args, **kwargs)

    def apply_set(self: Any, i: Any, obj: Any) -> None:
        success, value = obj
        if success:
            obj = (True, record(value))
        original_apply_set(self, i, obj)

    def map_set(self: Any, i: Any, success_result: Any) -> None:
        success, result = success_result
        if success and isinstance(result, list):
            success_result = (True, [record(v) for v in result])
        original_map_set(self, i, success_result)

    def imap_set(self: Any, i: Any, obj: Any) -> None:
        success, value = obj
        if success:
            obj = (True, [record(v) for v in value] if isinstance(value, list) else record(value))
        original_imap_set(self, i, obj)

    # ProcessPoolExecutor: wrap on submit, unwrap where the manager thread receives results
    # (before the future is resolved, so nothing can see the tagged value).
    original_submit = cf_process.ProcessPoolExecutor.submit
    original_process_result = cf_process._ExecutorManagerThread.process_result_item

    def submit(self: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(fn, TimedCall):
            fn = TimedCall(fn, _label(fn))
        return original_submit(self, fn, *args, **kwargs)

    def process_result_item(self: Any, result_item: Any) -> None:
        if isinstance(getattr(result_item, "result", None), Tagged):
            result_item.result = record(result_item.result)
        original_process_result(self, result_item)

    patcher.set(mp_process.BaseProcess, "start", start)
    patcher.set(mp_process.BaseProcess, "join", join)
    patcher.set(mp_pool.Pool, "_map_async", map_async)
    patcher.set(mp_pool.Pool, "apply_async", apply_async)
    patcher.set(mp_pool.Pool, "imap", imap)
    patcher.set(mp_pool.Pool, "imap_unordered", imap_unordered)
    patcher.set(mp_pool.ApplyResult, "_set", apply_set)
    patcher.set(mp_pool.MapResult, "_set", map_set)
    patcher.set(mp_pool.IMapIterator, "_set", imap_set)
    patcher.set(cf_process.ProcessPoolExecutor, "submit", submit)
    patcher.set(cf_process._ExecutorManagerThread, "process_result_item", process_result_item)


# pid -> CPU seconds at the sampler's last look (a joined process can no longer be asked).
last_cpu: dict[int, float] = {}
