"""asyncio tasks: creation, every step on the loop, what each suspension awaited, the end.

Two class-level patches, both undone when tracing stops:

* ``BaseEventLoop.create_task`` records the new task (who created it, where) and adds it to the
  set of traced tasks; tasks created by the kernel machinery (ipykernel, tornado, zmq …) are left
  alone, so the learner only sees their own.
* ``Handle._run`` runs every callback of every loop: the step hook (step_hook.py) records the
  steps of traced tasks and what each suspension awaited.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from asyncio import base_events, events, format_helpers
from collections.abc import Callable
from time import perf_counter
from typing import TYPE_CHECKING, Any

from ..frames import is_kernel_machinery, is_probe_or_asyncio, is_user_file, location_of_frame
from .step_hook import StepHook, as_handle_run

if TYPE_CHECKING:
    from ..record.recorder import Recorder
    from .patching import Patcher

# task -> label, set by traced asyncio primitives while a task waits on them ("asyncio.Lock lock").
awaiting: dict[Any, str] = {}


def install(rec: Recorder, patcher: Patcher, report: Callable[[str, str], None]) -> Any:
    """Patch asyncio for this recorder; returns the step hook (its ``tracked`` set holds the traced
    tasks, its ``cell_task`` is the one running the traced cell). ``report(key, message)`` tells the
    learner once about a task the probe stopped recording."""
    tracked: set[Any] = set()
    tasks_extend = rec.raw_tasks.extend
    misc_append = rec.raw_misc.append
    threshold = rec.block_threshold_s
    pc = perf_counter
    get_ident = threading.get_ident
    current_tasks_get = asyncio.tasks._current_tasks.get
    original_create_task = base_events.BaseEventLoop.create_task

    task_type = asyncio.Task
    # Per code object: 0 = asyncio or the probe (look further up), 1 = kernel machinery, 2 = other.
    code_kind: dict[Any, int] = {}
    housekeeping = {
        base_events.BaseEventLoop.shutdown_asyncgens.__code__,
        base_events.BaseEventLoop.shutdown_default_executor.__code__,
    }

    def classify(code: Any) -> int:
        filename = code.co_filename
        if is_probe_or_asyncio(filename):
            return 0
        return 1 if is_kernel_machinery(filename) else 2

    def create_task(self: Any, coro: Any, *, name: Any = None, context: Any = None, **kwargs: Any) -> Any:
        # BaseEventLoop.create_task of 3.11-3.13 inlined (one Python frame less on every task
        # creation); a task factory, or keywords of a newer Python (3.14's eager_start), go to the
        # original.
        if self._task_factory is None and not kwargs:
            if self._closed:
                raise RuntimeError("Event loop is closed")
            task = task_type(coro, loop=self, name=name, context=context)
            if task._source_traceback:
                del task._source_traceback[-1]
        else:
            task = original_create_task(self, coro, name=name, context=context, **kwargs)
        try:
            if getattr(coro, "cr_code", None) in housekeeping:
                return task  # the loop's own housekeeping (shutdown_asyncgens …)
            frame = sys._getframe(1)
            kind = 0
            while frame is not None:
                code = frame.f_code
                kind = code_kind.get(code, -1)
                if kind < 0:
                    kind = code_kind[code] = classify(code)
                if kind:
                    break
                frame = frame.f_back
            if kind == 1:
                return task
            lineno = frame.f_lineno if frame is not None else 0
            creator = current_tasks_get(self)
            if creator is None or (creator not in tracked and creator not in rec.task_lane):
                creator = get_ident()
            tracked.add(task)
            tasks_extend((task, pc(), creator, frame.f_code if frame is not None else None, lineno))
        except Exception:  # never break create_task
            pass
        return task

    def on_blocked(task: Any, t0: float) -> None:
        misc_append(("blocked_hint", task, t0, suspension_site(task)))

    def on_error(task: Any, exc: BaseException) -> None:
        tracked.discard(task)
        report("step", f"stopped recording a task ({type(exc).__name__}: {exc}).")

    hook = StepHook(tracked, rec.raw_steps, awaiting, threshold, _report_callback_error, on_blocked, on_error)
    patcher.set(base_events.BaseEventLoop, "create_task", create_task)
    patcher.set(events.Handle, "_run", as_handle_run(hook))
    return hook


def _report_callback_error(handle: Any, exc: BaseException) -> None:
    cb = format_helpers._format_callback_source(handle._callback, handle._args)
    context = {"message": f"Exception in callback {cb}", "exception": exc, "handle": handle}
    if handle._source_traceback:
        context["source_traceback"] = handle._source_traceback
    handle._loop.call_exception_handler(context)


def suspension_site(task: Any) -> str | None:
    """Where a task's coroutine stopped after a long step: the line after the blocking code, in the
    innermost coroutine of the learner's (a cell's task suspends deep inside IPython's coroutines)."""
    try:
        aw = task.get_coro()
        found = None
        while aw is not None:
            frame = getattr(aw, "cr_frame", None)
            if frame is None:
                break
            if found is None or is_user_file(frame.f_code.co_filename):
                found = frame
            aw = getattr(aw, "cr_await", None)
        if found is None:
            return None
        return location_of_frame(found.f_code, found.f_lineno)
    except Exception:
        return None


def current_who() -> Any:
    """The current asyncio task if any, else the thread ident (the 'who' of a lock record)."""
    try:
        loop = events._get_running_loop()
        if loop is not None:
            task = asyncio.tasks._current_tasks.get(loop)
            if task is not None:
                return task
    except Exception:
        pass
    return threading.get_ident()


__all__ = ["install", "awaiting", "current_who", "suspension_site"]
