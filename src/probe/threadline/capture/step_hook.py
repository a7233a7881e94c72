"""asyncio's ``Handle._run`` while tracing: runs every callback of every loop, and records the steps
of traced tasks.

A task step is a handle whose callback is bound to the task (``TaskStepMethWrapper`` or the task's
wakeup function), so one attribute lookup and one dict lookup (``ident(task)`` -> the task's key) tell
whether this callback is a traced step. After the step, ``task._fut_waiter`` is the future it now
waits on; walking ``cr_await`` finds the coroutine that created it (``sleep``, ``Queue.get`` …). A
bare ``await asyncio.sleep(0)`` leaves no waiter, so the cheapest case costs one append of five
values. Step times are recorded as microseconds since the trace's start (``base``), as the spans
table holds them: the converter only slices them. A step that leaves no waiter may have been the
last: then the task's outcome and name are appended to ``ends`` (``record_end``; a default name such
as ``Task-12`` as ""), read now, so no record keeps the task.

Records name the task by its key, never hold it or what it waits on: a waited-on future is recorded
as its class, a waited-on task as the label ``task <name>`` with its key in place of the code (an
edge of the await graph, record/fates.py). A task suspended on a gather also awaits each traced child
still pending, until it resumes: ``("await", key, (child keys), t, False)`` goes to the recorder's
``misc`` (``record_gather``; await_graph.py has the other waits that hide tasks).

The C ``_speedups.StepHook`` does this when it was built; ``PyStepHook`` is its Python twin (see
compiled.py). Both keep the start of the running step of the cell's task in ``cell_t0`` (-1 outside
it), for the cell lane's last step (cell_task.py).
"""

from __future__ import annotations

from asyncio import Task, tasks
from collections.abc import Callable, Iterable
from time import perf_counter
from typing import Any

from ..record.outcomes import cancel_requested, task_outcome
from ..record.tasks import is_default_name
from ..schema import OUT_CANCELLED
from .compiled import speedups
from .idents import ident


def record_end(ends: list[Any], task: Any, key: int, end_us: int, describe_result: bool = True) -> None:
    """A task's last step ended: (key, end us, outcome, detail, name, cancel requested) read now, the
    task not kept."""
    outcome, detail = task_outcome(task, describe_result)
    try:
        name = task.get_name()
    except Exception:  # a task factory's own future type
        name = ""
    else:
        if isinstance(name, str) and is_default_name(name):
            name = ""
    ends.extend((key, end_us, outcome, detail, name, outcome == OUT_CANCELLED and cancel_requested(task)))


GATHERING = tasks._GatheringFuture  # what ``asyncio.gather`` returns


def awaited_keys(key_of: Callable[[Any], int | None], futures: Iterable[Any]) -> tuple[int, ...]:
    """The keys of the traced tasks among the futures still pending, once each."""
    keys = map(key_of, [f for f in futures if not f.done()])
    return tuple(k for k in dict.fromkeys(keys) if k is not None)


def record_gather(misc: list[Any], key_of: Callable[[Any], int | None], key: int, gathering: Any, t: float) -> None:
    """The task of ``key`` is suspended on a gather: it awaits the children still pending."""
    targets = awaited_keys(key_of, gathering._children)
    if targets:
        misc.append(("await", key, targets, t, False))


def waited_on(
    task: Any,
    key: int,
    waiter: Any,
    key_of: Callable[[Any], int | None],
    misc: list[Any],
    t: float,
    task_type: type = Task,
    gathering: type = GATHERING,
) -> tuple[Any, Any]:
    """What a step's record says of the task suspended on ``waiter`` (not None) without a label: an
    awaited task's label and key, else the waiter's class and the innermost code (a gather's edges
    go to ``misc``)."""
    if isinstance(waiter, task_type):
        return "task " + str(waiter.get_name()), key_of(waiter)
    if isinstance(waiter, gathering):
        record_gather(misc, key_of, key, waiter, t)
    return type(waiter), inner_code(task)


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
        keys: Any,
        steps: Any,  # record.step_buffer.PyStepBuffer
        awaiting: dict[int, str],
        threshold: float,
        report: Callable[[Any, BaseException], None],
        on_blocked: Callable[[Any, float], None],
        ends: list[Any],
        on_error: Callable[[Any, BaseException], None],
        task_type: type,
        gathering: type,
        base: float,
        misc: list[Any],
    ) -> None:
        self.keys = keys  # asyncio_hooks.PyTaskKeys: ident(task) -> key in its serials
        self.cell_task: Any = None
        self.cell_t0 = -1.0
        self.describe_results = True  # a result's repr as its detail (tasks.py DETAILS_LIMIT)
        self.handle_run = self._make(
            keys.serials.get,
            steps.extend,
            awaiting.get,
            threshold,
            report,
            on_blocked,
            ends,
            on_error,
            task_type,
            gathering,
            base,
            misc,
        )

    def _make(
        self,
        tracked_get: Any,
        steps_extend: Any,
        awaiting_get: Any,
        threshold: float,
        report: Any,
        on_blocked: Any,
        ends: list[Any],
        on_error: Any,
        task_type: type,
        gathering: type,
        base: float,
        misc: list[Any],
    ) -> Callable[[Any], None]:
        pc = perf_counter
        hook = self
        ended = self.keys.ended
        key_of = self.keys.key_of

        def _run(handle: Any) -> None:
            # the untraced path does exactly what asyncio's own does, without an extra call
            cb = handle._callback
            task = getattr(cb, "__self__", None)
            key = tracked_get(ident(task))
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
                a = int((t0 - base) * 1e6)  # microseconds since the trace's start (Recorder.us)
                b = int((t1 - base) * 1e6)
                waiter = task._fut_waiter
                if t1 - t0 >= threshold:
                    on_blocked(task, t0)
                # one extend per step, flat (no tuple for the GC to track): atomic under the GIL
                if waiter is None:
                    steps_extend((key, a, b, None, None))
                    if task.done():
                        record_end(ends, task, key, b, hook.describe_results)
                        ended(task)
                    return
                label = awaiting_get(key)
                if label is not None:
                    steps_extend((key, a, b, label, None))
                    return
                steps_extend((key, a, b, *waited_on(task, key, waiter, key_of, misc, t1, task_type, gathering)))
            except Exception as exc:  # a probe bug must not break the learner's loop
                on_error(task, exc)

        return _run


StepHook: type = speedups.StepHook if speedups is not None else PyStepHook


def as_handle_run(hook: Any) -> Any:
    """What to set as ``Handle._run``: the C hook is its own method descriptor."""
    return hook.handle_run if isinstance(hook, PyStepHook) else hook


__all__ = [
    "GATHERING",
    "StepHook",
    "PyStepHook",
    "as_handle_run",
    "awaited_keys",
    "inner_code",
    "record_end",
    "record_gather",
    "waited_on",
]
