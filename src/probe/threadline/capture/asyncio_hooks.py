"""asyncio tasks: creation, every step on the loop, what each suspension awaited, the end.

Two class-level patches, both undone when tracing stops:

* ``BaseEventLoop.create_task`` records the new task (who created it, where) and adds it to the
  set of traced tasks; tasks created by the kernel machinery (ipykernel, tornado, zmq …) are left
  alone, so the learner only sees their own. A task made by an eager task factory (3.12+) runs its
  first step inside ``create_task``, where ``Handle._run`` never sees it: that step is recorded there.
* ``Handle._run`` runs every callback of every loop: the step hook (step_hook.py) records the
  steps of traced tasks and what each suspension awaited.

No record holds a task (a tracer must not change what the program observes: a task it drops must
be destroyed, and "Task was destroyed but it is pending!" reported, exactly when it would be
untraced). A traced task is known by its key, a negative int unique in the trace (thread idents are
positive), found from ``ident(task)`` (idents.py) while the task lives; a weak reference per task forgets that id
when the task is destroyed and, unless its end was recorded (``TaskKeys.ended``), records the moment
(``Recorder.raw_gone``: a task destroyed while pending). Outcomes are read when the task's last step
ends (step_hook.py ``record_end``), names when it is created.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import weakref
from asyncio import base_events, events, format_helpers
from collections.abc import Callable
from functools import partial
from itertools import count
from time import perf_counter
from typing import TYPE_CHECKING, Any

from ..frames import is_kernel_machinery, is_probe_or_asyncio, is_user_file, location_of_frame
from .compiled import speedups
from .idents import ident
from .step_hook import GATHERING, StepHook, as_handle_run, record_end, waited_on

if TYPE_CHECKING:
    from ..record.recorder import Recorder
    from .patching import Patcher

# task key -> label, set by traced asyncio primitives while a task waits on them ("asyncio.Lock lock").
awaiting: dict[int, str] = {}


class _Tracing:
    keys: Any = None  # the TaskKeys of the trace running, or of the last one (empty since its end)


def key_of(obj: Any) -> int | None:
    """The key of a traced task alive (None for anything else)."""
    keys = _Tracing.keys
    return keys.key_of(obj) if keys is not None else None


class TaskRef(weakref.ref):
    """A traced task's weak reference: its key, and the id it is found by while it lives."""

    __slots__ = ("key", "ident")  # set after creation: no Python-level __init__ on every task
    key: int
    ident: int


class PyTaskKeys:
    """Keys for traced tasks, and the weak references that notice when each is destroyed (Python
    twin of the C ``_speedups.TaskKeys``)."""

    def __init__(self, gone: list[Any], awaiting: dict[int, str]) -> None:
        self._refs: dict[int, TaskRef] = {}  # ident(task) -> its weak reference, for the tasks alive
        self._ended: set[int] = set()  # keys of the tasks alive whose end is recorded
        self.serials: dict[int, int] = {}  # ident(task) -> key, for the traced tasks alive
        self._next = count(-1, -1)
        self._gone_extend = gone.extend
        self._awaiting = awaiting
        awaiting.clear()

    def track(self, task: Any) -> TaskRef:
        """A new key for the task, found from its id from now on; its weak reference (``.key``)."""
        ref = TaskRef(task, self._gone)
        ref.key = key = next(self._next)
        ref.ident = found_by = ident(task)
        self.serials[found_by] = key
        self._refs[found_by] = ref
        return ref

    def ended(self, task: Any) -> None:
        """The task's end is recorded: its destruction needs no record."""
        key = self.serials.get(ident(task))
        if key is not None:
            self._ended.add(key)

    def refs(self) -> list[TaskRef]:
        """The weak references of the traced tasks alive."""
        return list(self._refs.values())

    def refs_of(self, keys: list[int], idents: list[int]) -> list[TaskRef | None]:
        """The weak reference of each (key, ident) whose task still lives, else None."""
        found = map(self._refs.get, idents)
        return [ref if ref is not None and ref.key == key else None for ref, key in zip(found, keys, strict=True)]

    def key_of(self, obj: Any) -> int | None:
        return self.serials.get(ident(obj))

    def __len__(self) -> int:
        return len(self.serials)

    def _gone(self, ref: Any) -> None:
        # Runs while the task is being destroyed, before its memory (and id) can be reused.
        if self.serials.get(ref.ident) == ref.key:
            del self.serials[ref.ident]
        if self._refs.get(ref.ident) is ref:
            del self._refs[ref.ident]
        if ref.key in self._ended:
            self._ended.discard(ref.key)
        else:  # destroyed before its end was seen (pending, or finished unseen)
            self._gone_extend((ref.key, perf_counter()))

    def forget(self, task: Any) -> None:
        found_by = ident(task)
        key = self.serials.pop(found_by, None)
        if key is not None:
            self._refs.pop(found_by, None)
            self._ended.discard(key)

    def clear(self) -> None:
        """At the end of the trace: no more callbacks, nothing kept."""
        self._refs.clear()
        self._ended.clear()
        self.serials.clear()
        self._awaiting.clear()


TaskKeys: Any = speedups.TaskKeys if speedups is not None else PyTaskKeys


# The loop's own housekeeping coroutines (by their code's id: the codes live as long as the class):
# their tasks are not traced, and what they start is the loop's thread's doing.
HOUSEKEEPING = {
    id(base_events.BaseEventLoop.shutdown_asyncgens.__code__),
    id(base_events.BaseEventLoop.shutdown_default_executor.__code__),
}


def who_of(task: Any) -> int | str:
    """What a record calls a task: its key when traced, else its name; the thread without a task
    or in the loop's housekeeping (shutting its default executor down starts a thread a loop)."""
    if task is None:
        return threading.get_ident()
    key = key_of(task)
    if key is not None:
        return key
    try:
        if id(getattr(task.get_coro(), "cr_code", None)) in HOUSEKEEPING:
            return threading.get_ident()
        return f"task {task.get_name()}"
    except Exception:
        return "task"


# Raw records are converted by the sampler thread, but a loop that creates tasks fast can starve it
# (every GIL hand-over it waits for costs up to the switch interval): past this many values of task
# records (10k tasks, with their steps and ends about as many raw values as the sampler's limit),
# the creating thread converts them itself, so memory stays bounded whatever the scheduling.
TASK_VALUES_LIMIT = 40_000


def install(rec: Recorder, patcher: Patcher, report: Callable[[str, str], None]) -> Any:
    """Patch asyncio for this recorder; returns the step hook (its ``keys`` are the traced tasks',
    its ``cell_task`` is the one running the traced cell). ``report(key, message)`` tells the
    learner once about a task the probe stopped recording."""
    keys = _Tracing.keys = TaskKeys(rec.raw_gone, awaiting)
    rec.task_refs = keys.refs
    rec.task_refs_of = keys.refs_of
    track = keys.track
    key_of_task = keys.key_of
    raw_tasks = rec.raw_tasks
    tasks_extend = raw_tasks.extend
    steps_extend = rec.raw_steps.extend
    misc = rec.raw_misc
    misc_append = misc.append
    threshold = rec.block_threshold_s
    pc = perf_counter
    base = rec.t0  # times in the records: microseconds since the trace's start
    get_ident = threading.get_ident
    current_tasks_get = asyncio.tasks._current_tasks.get
    original_create_task = base_events.BaseEventLoop.create_task

    task_type = asyncio.Task
    # Per code object, by id (hashing a code object hashes its constants, on every task): 0 =
    # asyncio or the probe (look further up), 1 = kernel machinery, 2 = other. ``codes`` keeps
    # them alive, so an id is never reused while it is a key.
    code_kind: dict[int, int] = {}
    codes: list[Any] = []
    housekeeping = HOUSEKEEPING

    def classify(code: Any) -> int:
        filename = code.co_filename
        if is_probe_or_asyncio(filename):
            return 0
        return 1 if is_kernel_machinery(filename) else 2

    def create_task(self: Any, coro: Any, *, name: Any = None, context: Any = None, **kwargs: Any) -> Any:
        # BaseEventLoop.create_task of 3.11-3.13 inlined (one Python frame less on every task
        # creation); a task factory, or keywords of a newer Python (3.14's eager_start), go to the
        # original.
        t0 = t1 = 0.0
        if self._task_factory is None and not kwargs:
            if self._closed:
                raise RuntimeError("Event loop is closed")
            task = task_type(coro, loop=self, name=name, context=context)
            if task._source_traceback:
                del task._source_traceback[-1]
        else:
            # an eager task (3.12+) runs its first step in here, not through Handle._run
            t0 = pc()
            task = original_create_task(self, coro, name=name, context=context, **kwargs)
            t1 = pc()
        try:
            if id(getattr(coro, "cr_code", None)) in housekeeping:
                return task  # the loop's own housekeeping (shutdown_asyncgens …)
            frame = sys._getframe(1)
            kind = 0
            while frame is not None:
                code = frame.f_code
                kind = code_kind.get(id(code), -1)
                if kind < 0:
                    kind = code_kind[id(code)] = classify(code)
                    codes.append(code)
                if kind:
                    break
                frame = frame.f_back
            if kind == 1:
                return task
            lineno = frame.f_lineno if frame is not None else 0
            creator = key_of_task(current_tasks_get(self))
            if creator is None:
                creator = get_ident()
            ref = track(task)
            # the name is read at conversion, through the weak reference the keys hold while the
            # task lives (asyncio.create_task names the task after this returns), and again when
            # the task ends; the record holds no reference (one GC-tracked object less per task)
            code = frame.f_code if frame is not None else None
            start = int(((t0 or pc()) - base) * 1e6)
            # one tuple per task (each tracked allocation brings the next GC pass nearer)
            tasks_extend(
                (
                    ref.key,
                    start,
                    creator,
                    code,
                    lineno,
                    ref.ident,
                    getattr(coro, "__name__", ""),
                    getattr(coro, "__qualname__", ""),
                )
            )
            if t0 and ran_eagerly(coro):
                eager_step(task, ref.key, t0, t1)
            if len(raw_tasks) >= TASK_VALUES_LIMIT:
                rec.convert()
        except Exception:  # never break create_task
            pass
        return task

    def eager_step(task: Any, key: int, t0: float, t1: float) -> None:
        # the record the step hook makes of a step, for the first one, which ran inside create_task
        if t1 - t0 >= threshold:
            on_blocked(task, t0)
        a, b = int((t0 - base) * 1e6), int((t1 - base) * 1e6)
        waiter = task._fut_waiter
        if waiter is None:
            steps_extend((key, a, b, None, None))
            if task.done():
                record_end(rec.raw_ends, task, key, b, hook.describe_results)
                keys.ended(task)
        else:
            steps_extend((key, a, b, *waited_on(task, key, waiter, key_of_task, misc, t1)))

    def on_blocked(task: Any, t0: float) -> None:
        misc_append(("blocked_hint", key_of_task(task), t0, suspension_site(task)))

    def on_error(task: Any, exc: BaseException) -> None:
        keys.forget(task)
        report("step", f"stopped recording a task ({type(exc).__name__}: {exc}).")

    hook = StepHook(
        keys,
        rec.raw_steps,
        awaiting,
        threshold,
        _report_callback_error,
        on_blocked,
        rec.raw_ends,
        on_error,
        task_type,
        GATHERING,
        rec.t0,
        rec.raw_misc,
    )
    rec.stop_describing_results = partial(setattr, hook, "describe_results", False)
    if speedups is not None:  # the C twin, which calls create_task above for what it does not do
        create_task = speedups.TaskCreator(
            slow=create_task,
            task_type=task_type,
            keys=keys,
            raw_tasks=raw_tasks,
            classify=classify,
            housekeeping=housekeeping,
            current_tasks=asyncio.tasks._current_tasks,
            convert=rec.convert,
            limit=TASK_VALUES_LIMIT,
            base=base,
        )
    patcher.set(base_events.BaseEventLoop, "create_task", create_task)
    patcher.set(events.Handle, "_run", as_handle_run(hook))
    return hook


def ran_eagerly(coro: Any) -> bool:
    """Whether a new task's coroutine already ran (an eager task factory, 3.12+): it finished, or it
    started and is suspended."""
    return getattr(coro, "cr_frame", True) is None or bool(getattr(coro, "cr_suspended", False))


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


def current_who() -> int | str:
    """The current asyncio task's key (see who_of) if any, else the thread ident."""
    try:
        loop = events._get_running_loop()
        if loop is not None:
            return who_of(asyncio.tasks._current_tasks.get(loop))
    except Exception:
        pass
    return threading.get_ident()


__all__ = [
    "install",
    "awaiting",
    "key_of",
    "who_of",
    "current_who",
    "suspension_site",
    "TaskKeys",
    "PyTaskKeys",
]
