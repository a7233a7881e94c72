"""Why tasks end: who cancelled them and why, and coroutines that were never awaited.

``Task.cancel`` is C and cannot be patched, but the pure-Python code that calls it for a reason can
be, for the length of the trace: ``TaskGroup._abort`` (a child raised: ``_on_task_done`` says which),
``Timeout._on_timeout`` (``asyncio.timeout``, and ``wait_for`` from 3.12), ``tasks._cancel_and_wait``
(``wait_for``'s timeout on 3.11), ``runners._cancel_all_tasks`` (``asyncio.run`` shutting down) and
``_GatheringFuture.cancel`` (a gather cancelled). Each wrapper notes the tasks about to be cancelled,
then calls the original. A cancelled task also cancels the task or gather it awaits (its
``_fut_waiter``), so a note follows that chain. While a wrapper runs, the cancellations it causes
are its own: a nested gather cancel adds no note of its own.

A coroutine destroyed without ever being awaited makes CPython call
``warnings._warn_unawaited_coroutine(coro)`` from C. It is replaced by the same function (the same
code object) whose ``warn`` is a recording wrapper that calls ``warnings.warn`` one stack level
higher: the warning names the same file and line, in the same registry, as it would untraced.

Records go to ``Recorder.raw_misc`` (rare events): ``("cancel", task key, t, reason, by, strong)``
and ``("never_awaited", coroutine name, qualname, site code, site line, t)``; record/fates.py
converts them.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import threading
import types
import warnings
from asyncio import runners, taskgroups, tasks, timeouts
from time import perf_counter
from typing import TYPE_CHECKING, Any

from ..frames import is_user_file
from .asyncio_hooks import current_who, key_of

if TYPE_CHECKING:
    from ..record.recorder import Recorder
    from .patching import Patcher

TASKGROUP_ABORT = "TaskGroup abort"
TIMEOUT = "timeout"
SHUTDOWN = "shutdown"
GATHER_CANCELLED = "gather cancelled"

_CHAIN_DEPTH = 64  # a cancellation followed through at most this many awaited tasks


class _Cause(threading.local):
    """The reason being applied on this thread (its loop), while a wrapper runs."""

    active: bool = False
    child: Any = None  # the TaskGroup child whose end is being handled (it may abort the group)


def install(rec: Recorder, patcher: Patcher) -> None:
    misc_append = rec.raw_misc.append
    task_type = asyncio.Task
    gathering = tasks._GatheringFuture
    cause = _Cause()

    def who_key() -> int | None:
        """The current task's key (None in a callback or a thread)."""
        who = current_who()
        return who if isinstance(who, int) and who < 0 else None

    def note(task: Any, reason: str, by: int | None, t: float, depth: int = 0) -> None:
        """The task, and what it awaits (a task, a gather's children), are cancelled for `reason`."""
        if task.done():
            return
        key = key_of(task)
        if key is not None:
            misc_append(("cancel", key, t, reason, by, True))
        if depth >= _CHAIN_DEPTH:
            return
        waiter = getattr(task, "_fut_waiter", None)
        if isinstance(waiter, task_type):
            note(waiter, reason, by, t, depth + 1)
        elif isinstance(waiter, gathering):
            for child in waiter._children:
                if isinstance(child, task_type):
                    note(child, reason, by, t, depth + 1)

    def applying(reason: str, by: int | None, targets: Any, original: Any, *args: Any, **kwargs: Any) -> Any:
        """Note `targets` as cancelled for `reason`, then run the original with that cause on."""
        if cause.active:  # part of a cancellation already noted
            return original(*args, **kwargs)
        try:
            t = perf_counter()
            for task in targets():
                note(task, reason, by, t)
        except Exception:  # never break the learner's cancellation
            pass
        cause.active = True
        try:
            return original(*args, **kwargs)
        finally:
            cause.active = False

    original_on_task_done = taskgroups.TaskGroup._on_task_done
    original_abort = taskgroups.TaskGroup._abort
    original_on_timeout = timeouts.Timeout._on_timeout
    original_cancel_and_wait = tasks._cancel_and_wait
    original_cancel_all = runners._cancel_all_tasks
    original_gather_cancel = gathering.cancel

    @functools.wraps(original_on_task_done)
    def _on_task_done(self: Any, task: Any) -> None:
        previous, cause.child = cause.child, task
        try:
            original_on_task_done(self, task)
        finally:
            cause.child = previous

    @functools.wraps(original_abort)
    def _abort(self: Any) -> None:
        # a child's end aborts the group (its exception), else the body of `async with` raised or
        # the parent was cancelled: then the parent is the cause
        culprit = cause.child if cause.child is not None else self._parent_task
        by = key_of(culprit) if culprit is not None else None
        applying(TASKGROUP_ABORT, by, lambda: list(self._tasks), original_abort, self)

    @functools.wraps(original_on_timeout)
    def _on_timeout(self: Any) -> None:
        applying(TIMEOUT, None, lambda: [self._task] if self._task is not None else [], original_on_timeout, self)

    @functools.wraps(original_cancel_and_wait)
    def _cancel_and_wait(fut: Any, *args: Any, **kwargs: Any) -> Any:
        # 3.11's wait_for calls it on a timeout, and while handling its own cancellation (that one
        # is the outer task's, already noted where it came from)
        if isinstance(sys.exc_info()[1], asyncio.CancelledError) or not isinstance(fut, task_type):
            return original_cancel_and_wait(fut, *args, **kwargs)
        return applying(TIMEOUT, None, lambda: [fut], original_cancel_and_wait, fut, *args, **kwargs)

    @functools.wraps(original_cancel_all)
    def _cancel_all_tasks(loop: Any) -> None:
        applying(SHUTDOWN, None, lambda: list(tasks.all_tasks(loop)), original_cancel_all, loop)

    @functools.wraps(original_gather_cancel)
    def gather_cancel(self: Any, msg: Any = None) -> bool:
        def children() -> list[Any]:
            return [] if self.done() else [c for c in self._children if isinstance(c, task_type)]

        return applying(GATHER_CANCELLED, who_key(), children, original_gather_cancel, self, msg)  # type: ignore[no-any-return]

    patcher.set(taskgroups.TaskGroup, "_on_task_done", _on_task_done)
    patcher.set(taskgroups.TaskGroup, "_abort", _abort)
    patcher.set(timeouts.Timeout, "_on_timeout", _on_timeout)
    patcher.set(tasks, "_cancel_and_wait", _cancel_and_wait)
    patcher.set(runners, "_cancel_all_tasks", _cancel_all_tasks)
    patcher.set(gathering, "cancel", gather_cancel)
    _install_never_awaited(misc_append, patcher)


def _install_never_awaited(misc_append: Any, patcher: Patcher) -> None:
    original = getattr(warnings, "_warn_unawaited_coroutine", None)
    code = getattr(original, "__code__", None)
    if code is None or "warn" not in code.co_names:  # another Python's shape: left alone
        return

    def warn(message: Any, category: Any = None, stacklevel: int = 1, source: Any = None) -> None:
        try:
            cr_code = getattr(source, "cr_code", None)
            if cr_code is not None and is_user_file(cr_code.co_filename):
                site = sys._getframe(2)  # what dropped the coroutine: where the warning points
                misc_append(
                    (
                        "never_awaited",
                        getattr(source, "__name__", cr_code.co_name),
                        getattr(source, "__qualname__", cr_code.co_name),
                        site.f_code,
                        site.f_lineno,
                        perf_counter(),
                    )
                )
        except Exception:  # never change what the warning does
            pass
        module_globals["warn"](message, category, stacklevel + 1, source)

    module_globals = original.__globals__  # type: ignore[union-attr]
    namespace = dict(module_globals)
    namespace["warn"] = warn
    replacement = types.FunctionType(code, namespace, original.__name__, original.__defaults__, original.__closure__)  # type: ignore[union-attr]
    functools.update_wrapper(replacement, original)  # type: ignore[arg-type]
    patcher.set(warnings, "_warn_unawaited_coroutine", replacement)


__all__ = ["install", "TASKGROUP_ABORT", "TIMEOUT", "SHUTDOWN", "GATHER_CANCELLED"]
