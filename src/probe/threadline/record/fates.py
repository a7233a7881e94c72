"""Task fates and the await graph, as the converter sees them.

* Why a task was cancelled: the hooks in capture/fates.py note each cancellation they cause
  (``("cancel", key, t, reason, by, strong)``); the last strong note before the task's end is its
  ``reason`` and ``by``. A weak note (``cancel()``: the task had cancel requests nobody else
  explains) only applies when there is no other.
* Coroutines never awaited (``("never_awaited", ...)``): a lane of their own in the group
  "never awaited", starting and ending where the coroutine was destroyed.
* Await edges, written once they end (the tables are append-only): a task suspended on another task
  (the step's record) or on a gather (``("await", ...)``) awaits until it resumes, that is until the
  suspended span that starts after the edge ends; a TaskGroup's parent awaits each child until the
  child ends. Edges still open when the trace stops get the end -1 (``finish``).

Called by ``Recorder.convert`` under its lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..frames import location_of_frame
from ..schema import LANE_TASK, OUT_CANCELLED, OUT_NEVER_AWAITED, SPAN_SUSPENDED
from .tasks import lane_name

if TYPE_CHECKING:
    from .recorder import Recorder

NEVER_AWAITED_GROUP = "never awaited"
CANCEL_CALLED = "cancel()"  # the reason of a weak note


class Fates:
    """The converter's state for reasons and edges (keys are task keys, lanes are lanes)."""

    KINDS = frozenset({"cancel", "await", "never_awaited"})

    def __init__(self) -> None:
        self.items: list[tuple[Any, ...]] = []  # raw records taken from raw_misc, not yet converted
        self.reasons: dict[int, tuple[str, int, bool]] = {}  # task key -> (reason, by lane, strong)
        self.until_resumed: dict[int, list[tuple[int, int]]] = {}  # awaiter lane -> [(target lane, t)]
        self.until_ended: dict[int, list[tuple[int, int]]] = {}  # target lane -> [(awaiter lane, start)]
        self.scanned = 0  # span rows looked at for resumptions

    def take(self, item: tuple[Any, ...]) -> None:
        self.items.append(item)

    def awaited_task(self, lane: int, target_key: int, t_us: int, rec: Recorder) -> None:
        """A step ended with the task suspended on another traced task."""
        target = rec.task_lane.get(target_key)
        if target is not None:
            self.until_resumed.setdefault(lane, []).append((target, t_us))

    def convert(self, rec: Recorder) -> None:
        """The records taken so far (after the steps, before the ends of this batch)."""
        items, self.items = self.items, []
        for item in items:
            kind = item[0]
            if kind == "cancel":
                _, key, t, reason, by, strong = item
                if strong or key not in self.reasons:
                    by_lane = rec.task_lane.get(by, -1) if by is not None else -1
                    self.reasons[key] = (reason, by_lane, strong)
            elif kind == "await":
                _, awaiter, targets, t, until_target_ends = item
                lane = rec.task_lane.get(awaiter)
                if lane is None:
                    continue
                start = rec.us(t)
                for key in targets:
                    target = rec.task_lane.get(key)
                    if target is None:
                        continue
                    if until_target_ends:
                        self.until_ended.setdefault(target, []).append((lane, start))
                    else:
                        self.until_resumed.setdefault(lane, []).append((target, start))
            else:
                _never_awaited(rec, item)
        self._resumed(rec)

    def _resumed(self, rec: Recorder) -> None:
        """Close the edges whose awaiter resumed: the suspended spans added since the last look."""
        spans = rec.tables["spans"]
        total = len(spans["lane"])
        first, self.scanned = self.scanned, total
        waiting = self.until_resumed
        if not waiting or first >= total:
            return
        lanes, kinds, starts, ends = (spans[c][first:total] for c in ("lane", "kind", "start", "end"))
        for lane, kind, start, end in zip(lanes, kinds, starts, ends, strict=True):
            if kind != SPAN_SUSPENDED or lane not in waiting:
                continue
            still = []
            for target, t in waiting[lane]:
                if t <= start:  # the suspension this edge began in: ended now
                    _edge(rec, lane, target, start, end)
                else:
                    still.append((target, t))
            if still:
                waiting[lane] = still
            else:
                del waiting[lane]

    def ended(self, rec: Recorder, key: int, lane: int, t_us: int, outcome: int) -> tuple[int, int]:
        """A task's end: its (reason, by) string index and lane; the edges that waited for it end."""
        for awaiter, start in self.until_ended.pop(lane, ()):
            _edge(rec, awaiter, lane, start, max(start, t_us))
        note = self.reasons.pop(key, None)
        if note is None or outcome != OUT_CANCELLED:
            return -1, -1
        return rec.string(note[0]), note[1]

    def finish(self, rec: Recorder) -> None:
        """At the end of the trace: the edges still open, with end -1."""
        for awaiter, edges in self.until_resumed.items():
            for target, t in edges:
                _edge(rec, awaiter, target, t, -1)
        for target, edges in self.until_ended.items():
            for awaiter, start in edges:
                _edge(rec, awaiter, target, start, -1)
        self.until_resumed.clear()
        self.until_ended.clear()


def cancel_requested(task: Any) -> bool:
    """Whether a cancelled task was asked to cancel (``Task.cancel``), rather than only having had
    what it awaited cancelled under it."""
    try:
        return bool(task.cancelling())
    except Exception:  # a foreign task type
        return False


def _edge(rec: Recorder, lane: int, target: int, start: int, end: int) -> None:
    rec._row("awaits", lane, target, start, end)


def _never_awaited(rec: Recorder, item: tuple[Any, ...]) -> None:
    _, coro_name, qualname, code, lineno, t = item
    at = rec.us(t)
    name, aliases = lane_name("", str(coro_name), str(qualname))
    site = location_of_frame(code, lineno) if code is not None else None
    lane = rec.add_lane(LANE_TASK, name, NEVER_AWAITED_GROUP, site=site, start_us=at)
    if aliases:
        rec.lane_aliases[lane] = aliases
    rec._row("ends", lane, at, OUT_NEVER_AWAITED, -1, -1, -1, -1)
