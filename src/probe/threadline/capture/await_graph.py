"""Who awaits whom, task to task, beyond what the step hook sees.

The step hook records a task suspended on another task directly (its ``_fut_waiter`` is that task:
the target's key goes with the step) and on a gather (its children still pending, until the task
resumes), see step_hook.py. A TaskGroup's ``async with`` ending hides the tasks behind a future of
its own, and is patched for the length of the trace: ``__aexit__`` waits for every child still
running. Its wrapper is a plain function that records, then returns the original coroutine, so
tracebacks and what is awaited are unchanged. Each edge lasts until that child ends. A child created
while the parent already waits there (by another child) is awaited from its creation.

Python 3.14 tracks the same relation itself (``asyncio.capture_call_graph``); these records only
need gather's ``_children`` and TaskGroup's ``_parent_task`` and ``_tasks``, which it keeps.

Records go to ``Recorder.raw_misc``: ``("await", awaiter key, (target keys), t, until_target_ends)``.
"""

from __future__ import annotations

import functools
import inspect
from asyncio import taskgroups
from time import perf_counter
from typing import TYPE_CHECKING, Any

from .asyncio_hooks import key_of
from .step_hook import awaited_keys

if TYPE_CHECKING:
    from ..record.recorder import Recorder
    from .patching import Patcher


def install(rec: Recorder, patcher: Patcher) -> None:
    misc_append = rec.raw_misc.append
    original_aexit = taskgroups.TaskGroup.__aexit__
    original_create_task = taskgroups.TaskGroup.create_task

    def awaited(group: Any, children: Any) -> None:
        """The group's parent waits (in ``async with``'s exit) for these children to end."""
        parent = key_of(group._parent_task)
        if parent is not None:
            targets = awaited_keys(key_of, children)
            if targets:
                misc_append(("await", parent, targets, perf_counter(), True))

    @functools.wraps(original_aexit)
    def __aexit__(self: Any, et: Any, exc: Any, tb: Any) -> Any:  # noqa: N807 - the method it replaces
        try:
            awaited(self, self._tasks)
        except Exception:
            pass
        return original_aexit(self, et, exc, tb)

    @functools.wraps(original_create_task)
    def create_task(self: Any, coro: Any, **kwargs: Any) -> Any:
        task = original_create_task(self, coro, **kwargs)
        try:
            if self._exiting:
                awaited(self, (task,))
        except Exception:
            pass
        return task

    if hasattr(inspect, "markcoroutinefunction"):  # 3.12+: still a coroutine function to inspect
        inspect.markcoroutinefunction(__aexit__)
    patcher.set(taskgroups.TaskGroup, "__aexit__", __aexit__)
    patcher.set(taskgroups.TaskGroup, "create_task", create_task)


__all__ = ["install"]
