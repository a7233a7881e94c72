"""asyncio's ``Handle._run`` while tracing: runs every callback of every loop, and records the steps
of traced tasks.

A task step is a handle whose callback is bound to the task (``TaskStepMethWrapper`` or the task's
wakeup function), so one attribute lookup and one dict lookup (``id(task)`` -> the task's key) tell
whether this callback is a traced step. After the step, ``task._fut_waiter`` is the future it now
waits on; walking ``cr_await`` finds the coroutine that created it (``sleep``, ``Queue.get`` …). A
bare ``await asyncio.sleep(0)`` leaves no waiter, so the cheapest case costs one append of five
values. A step that leaves no waiter may have been the last: then ``on_done`` reads the outcome.

Records name the task by its key, never hold it or what it waits on: a waited-on future is recorded
as its class, a waited-on task as the label ``task <name>`` with its key in place of the code (an
edge of the await graph, record/fates.py).

The C ``_speedups.StepHook`` does this when it was built; ``PyStepHook`` is its Python twin (see
compiled.py). Both keep the start of the running step of the cell's task in ``cell_t0`` (-1 outside
it), for the cell lane's last step (cell_task.py).
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import Any

from .compiled import speedups


def inner_code(task: Any) -> Any:
    """The code of the innermost coroutine the task is suspended in (None when it awaits a future
    directly, or for generator-based and exotic awaitables)."""
    try:
        aw = task.get_coro().cr_await
        code = None
        while aw is not None:
            inner = getattr(aw, "cr_code", None)
            if inner is None:
                break
            code = inner
            aw = aw.cr_await
        return code
    except AttributeError:
        return None


class PyStepHook:
    def __init__(
        self,
        tracked: dict[int, int],
        steps: list[Any],
        awaiting: dict[int, str],
        threshold: float,
        report: Callable[[Any, BaseException], None],
        on_blocked: Callable[[Any, float], None],
        on_done: Callable[[Any, float], None],
        on_error: Callable[[Any, BaseException], None],
        task_type: type,
    ) -> None:
        self.tracked = tracked
        self.cell_task: Any = None
        self.cell_t0 = -1.0
        self.keys: Any = None
        self.handle_run = self._make(
            tracked.get, steps.extend, awaiting.get, threshold, report, on_blocked, on_done, on_error, task_type
        )

    def _make(
        self,
        tracked_get: Any,
        steps_extend: Any,
        awaiting_get: Any,
        threshold: float,
        report: Any,
        on_blocked: Any,
        on_done: Any,
        on_error: Any,
        task_type: type,
    ) -> Callable[[Any], None]:
        pc = perf_counter
        hook = self

        def _run(handle: Any) -> None:
            # the untraced path does exactly what asyncio's own does, without an extra call
            cb = handle._callback
            task = getattr(cb, "__self__", None)
            key = tracked_get(id(task))
            traced = key is not None
            t0 = pc() if traced else 0.0
            is_cell = traced and task is hook.cell_task
            if is_cell:
                hook.cell_t0 = t0
            try:
                handle._context.run(cb, *handle._args)
            except (SystemExit, KeyboardInterrupt):
                if is_cell:
                    hook.cell_t0 = -1.0
                raise
            except BaseException as exc:  # same handling as asyncio's own Handle._run
                report(handle, exc)
            if not traced:
                return
            t1 = pc()
            if is_cell:
                hook.cell_t0 = -1.0
            waiter = None
            try:
                waiter = task._fut_waiter
                if t1 - t0 >= threshold:
                    on_blocked(task, t0)
                # one extend per step, flat (no tuple for the GC to track): atomic under the GIL
                if waiter is None:
                    steps_extend((key, t0, t1, None, None))
                    if task.done():
                        on_done(task, t1)
                    return
                label = awaiting_get(key)
                if label is not None:
                    steps_extend((key, t0, t1, label, None))
                    return
                if isinstance(waiter, task_type):
                    steps_extend((key, t0, t1, "task " + str(waiter.get_name()), tracked_get(id(waiter))))
                    return
                steps_extend((key, t0, t1, type(waiter), inner_code(task)))
            except Exception as exc:  # a probe bug must not break the learner's loop
                on_error(task, exc)

        return _run


StepHook: type = speedups.StepHook if speedups is not None else PyStepHook


def as_handle_run(hook: Any) -> Any:
    """What to set as ``Handle._run``: the C hook is its own method descriptor."""
    return hook.handle_run if isinstance(hook, PyStepHook) else hook


__all__ = ["StepHook", "PyStepHook", "as_handle_run", "inner_code"]
