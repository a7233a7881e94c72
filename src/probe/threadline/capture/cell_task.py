"""The task that runs the traced cell or block: the ``cell`` lane.

In a notebook, code awaited directly in a cell runs in a task ipykernel created before tracing began
(``asyncio.ensure_future(run_cell_async(...))``, or ``shell_main`` for a cell without ``await``). It
is neither created nor filtered by the ``create_task`` hook, so it is followed explicitly from the
moment the trace starts: the step that was running then, every later step (``Handle._run`` sees it
as a traced task), and the step that is still running when the trace stops.

The steps at both edges run partly outside the patches, so their ends are found differently:
* the first step ends when the loop runs its next callback: a marker handle put at the front of the
  loop's ready queue records that moment (no cost on the hot path);
* the last step started in the patched ``Handle._run``, which keeps its start in the step hook's
  ``cell_t0``; if it did not, the whole trace was one step.

A step counts as blocking only once the cell runs asynchronous code (it suspended at least once):
a plain synchronous cell (a threads or processes exercise) keeps the loop by design, and flagging it
would tell the learner about a problem they do not have.
"""

from __future__ import annotations

from asyncio import events, tasks
from time import perf_counter
from typing import TYPE_CHECKING, Any

from ..frames import caller_site
from ..schema import SPAN_RUN
from .asyncio_hooks import awaiting, key_of, suspension_site
from .step_hook import waited_on

if TYPE_CHECKING:
    from ..record.recorder import Recorder


class CellTask:
    def __init__(self, rec: Recorder, task: Any, key: int, loop: Any, t_start: float, hook: Any) -> None:
        self.rec = rec
        self.hook = hook  # the step hook: the start of the cell task's running step
        self.task = task  # alive while it runs the trace; records name it by its key
        self.key = key
        self.t_start = t_start
        self.first_open = True  # the step that was running when tracing started has not ended yet
        self.active = True
        try:
            loop._ready.appendleft(events.Handle(self._first_step_ended, (), loop, None))
        except Exception:  # a loop without a ready deque (uvloop): the first step stays open
            pass

    def _first_step_ended(self) -> None:
        if not self.active or not self.first_open:
            return
        self.first_open = False
        t1 = perf_counter()
        task, key, rec = self.task, self.key, self.rec
        try:
            if task.done():  # the cell finished without ever suspending: nothing was kept waiting
                rec.raw_misc.append(("span", key, SPAN_RUN, self.t_start, t1, None, -1))
                return
            waiter = task._fut_waiter
            label = None if waiter is None else awaiting.get(key)
            if t1 - self.t_start >= rec.block_threshold_s:
                rec.raw_misc.append(("blocked_hint", key, self.t_start, suspension_site(task)))
            if waiter is None or label is not None:
                what, code = label, None
            else:
                what, code = waited_on(task, key, waiter, key_of, rec.raw_misc, t1)
            rec.raw_steps.extend((key, rec.us(self.t_start), rec.us(t1), what, code))
        except Exception:  # never break the learner's loop
            pass

    def finish(self, t_end: float) -> None:
        """At stop: record the step the trace is stopped from, if it is one of this task's."""
        if not self.active:
            return
        self.active = False
        loop = events._get_running_loop()
        if loop is None or tasks._current_tasks.get(loop) is not self.task:
            return
        start = self.hook.cell_t0 if self.hook.cell_t0 >= 0 else None
        rec, key = self.rec, self.key
        if start is None:
            if not self.first_open:
                return
            # One step from start to stop: a synchronous cell, or a block that never awaited.
            rec.raw_misc.append(("span", key, SPAN_RUN, self.t_start, t_end, None, -1))
            return
        if t_end - start >= rec.block_threshold_s:
            site, _ = caller_site(3)
            rec.raw_misc.append(("blocked_hint", key, start, site))
        rec.raw_steps.extend((key, rec.us(start), rec.us(t_end), None, None))


__all__ = ["CellTask"]
