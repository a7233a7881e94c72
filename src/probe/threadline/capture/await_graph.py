"""Who awaits whom, task to task, beyond what the step hook sees.

The step hook records a task suspended on another task directly (its ``_fut_waiter`` is that task:
the target's key goes with the step, see step_hook.py). Two waits hide the tasks behind something
else, and are patched for the length of the trace:

* ``await gather(...)``: the task waits on a ``_GatheringFuture``. The C task step subscribes to it
  through ``add_done_callback`` (looked up on the object, so a class-level patch of the Python
  subclass sees it): the callback's ``__self__`` is the awaiting task, the gather's children the
  awaited ones. The edge lasts until the awaiter resumes.
* a TaskGroup's ``async with`` ending: ``__aexit__`` waits for every child still running (a future
  of its own stands for them). Its wrapper is a plain function that records, then returns the
  original coroutine, so tracebacks and what is awaited are unchanged. Each edge lasts until that
  child ends. A child created while the parent already waits there (by another child) is awaited
  from its creation.

Python 3.14 tracks the same relation itself (``asyncio.capture_call_graph``); these patches only
need gather's ``_children`` and TaskGroup's ``_parent_task`` and ``_tasks``, which it keeps.

Records go to ``Recorder.raw_misc``: ``("await", awaiter key, (target keys), t, until_target_ends)``.
"""

from __future__ import annotations

import functools
import inspect
from asyncio import taskgroups, tasks
from time import perf_counter
from typing import TYPE_CHECKING, Any

from .asyncio_hooks import serials

if TYPE_CHECKING:
    from ..record.recorder import Recorder
    from .patching import Patcher


def install(rec: Recorder, patcher: Patcher) -> None:
    misc_append = rec.raw_misc.append
    serials_get = serials.get
    gathering = tasks._GatheringFuture
    original_add_done_callback = gathering.add_done_callback
    original_aexit = taskgroups.TaskGroup.__aexit__
    original_create_task = taskgroups.TaskGroup.create_task

    def keys_of(futures: Any) -> tuple[int, ...]:
        keys: dict[int, None] = {}  # in order, once each; one loop (every await on a gather asks)
        for f in futures:
            if not f.done():
                key = serials_get(id(f))
                if key is not None:
                    keys[key] = None
        return tuple(keys)

    def awaited(group: Any, children: Any) -> None:
        """The group's parent waits (in ``async with``'s exit) for these children to end."""
        parent = serials_get(id(group._parent_task))
        if parent is not None:
            targets = keys_of(children)
            if targets:
                misc_append(("await", parent, targets, perf_counter(), True))

    @functools.wraps(original_add_done_callback)
    def add_done_callback(self: Any, fn: Any, **kwargs: Any) -> None:
        try:
            awaiter = serials_get(id(getattr(fn, "__self__", None)))
            if awaiter is not None:
                targets = keys_of(self._children)
                if targets:
                    misc_append(("await", awaiter, targets, perf_counter(), False))
        except Exception:  # never break the learner's await
            pass
        original_add_done_callback(self, fn, **kwargs)

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
    patcher.set(gathering, "add_done_callback", add_done_callback)
    patcher.set(taskgroups.TaskGroup, "__aexit__", __aexit__)
    patcher.set(taskgroups.TaskGroup, "create_task", create_task)


__all__ = ["install"]
