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

from array import array
from bisect import bisect_right, insort
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from ..schema import LANE_TASK, OUT_CANCELLED, OUT_NEVER_AWAITED
from .columns import extend_q, indexes_in
from .tasks import lane_name, lanes_of_keys

if TYPE_CHECKING:
    from .recorder import Recorder

NEVER_AWAITED_GROUP = "never awaited"
CANCEL_CALLED = "cancel()"  # the reason of a weak note
_AT = itemgetter(0)  # an awaiting edge's start, (start, targets)


class Fates:
    """The converter's state for reasons and edges (keys are task keys, lanes are lanes)."""

    KINDS = frozenset({"cancel", "await", "never_awaited"})

    def __init__(self) -> None:
        self.items: list[tuple[Any, ...]] = []  # raw records taken from raw_misc, not yet converted
        self.reasons: dict[int, tuple[str, int, bool]] = {}  # task key -> (reason, by lane, strong)
        # awaiter lane -> [(t, [target lanes])]: one entry per wait (a gather's children together)
        self.until_resumed: dict[int, list[tuple[int, list[int]]]] = {}
        self.until_ended: dict[int, list[tuple[int, int]]] = {}  # target lane -> [(awaiter lane, start)]
        # lanes, starts and ends of the suspensions that ended since the last look (steps.py appends
        # to these int64 columns: no tuple a suspension)
        self.suspensions: tuple[array, array, array] = _columns()

    def take(self, item: tuple[Any, ...]) -> None:
        self.items.append(item)

    def awaited_task(self, lane: int, target_key: int, t_us: int, rec: Recorder) -> None:
        """A step ended with the task suspended on another traced task."""
        target = rec.lane_of_key(target_key)
        if target is not None:
            insort(self.until_resumed.setdefault(lane, []), (t_us, [target]), key=_AT)

    def convert(self, rec: Recorder) -> None:
        """The records taken so far (after the steps, before the ends of this batch)."""
        items, self.items = self.items, []
        for item in items:
            kind = item[0]
            if kind == "cancel":
                _, key, t, reason, by, strong = item
                if strong or key not in self.reasons:
                    by_lane = rec.lane_of_key(by) if by is not None else None
                    by_lane = -1 if by_lane is None else by_lane
                    self.reasons[key] = (reason, by_lane, strong)
            elif kind == "await":
                _, awaiter, targets, t, until_target_ends = item
                lane = rec.lane_of_key(awaiter)
                if lane is None:
                    continue
                start = rec.us(t)
                lanes = list(filter((-1).__lt__, lanes_of_keys(targets, rec.key_lanes)))
                if not until_target_ends:
                    insort(self.until_resumed.setdefault(lane, []), (start, lanes), key=_AT)
                    continue
                for target in lanes:
                    self.until_ended.setdefault(target, []).append((lane, start))
            else:
                _never_awaited(rec, item)
        self._resumed(rec)

    def _resumed(self, rec: Recorder) -> None:
        """Close the edges whose awaiter resumed: the suspensions that ended since the last look."""
        (lanes, starts, ends), self.suspensions = self.suspensions, _columns()
        waiting = self.until_resumed
        closed: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
        # only the suspensions of tasks with edges waiting (a gather's awaiter, not its thousand children)
        for i in indexes_in(lanes, waiting) if waiting else ():
            lane, start, end = lanes[i], starts[i], ends[i]
            edges = waiting.get(lane)
            if edges is None:  # all closed by an earlier suspension of the batch
                continue
            # the waits that began by the start of this suspension end with it (each list is in time
            # order: a task awaiting thousands of gathers in one batch is not sorted again for each)
            cut = bisect_right(edges, start, key=_AT)
            for _, targets in edges[:cut]:
                n = len(targets)
                closed[0].extend([lane] * n)
                closed[1].extend(targets)
                closed[2].extend([start] * n)
                closed[3].extend([end] * n)
            del edges[:cut]
            if not edges:
                del waiting[lane]
        if closed[0]:
            _edges(rec, *closed)

    def ended(self, rec: Recorder, key: int, lane: int, t_us: int, outcome: int) -> tuple[int, int]:
        """A task's end: its (reason, by) string index and lane; the edges that waited for it end."""
        waited = self.until_ended.pop(lane, None)
        if waited:
            _edges(
                rec,
                [a for a, _ in waited],
                [lane] * len(waited),
                [s for _, s in waited],
                [max(s, t_us) for _, s in waited],
            )
        note = self.reasons.pop(key, None)
        if note is None or outcome != OUT_CANCELLED:
            return -1, -1
        return rec.string(note[0]), note[1]

    def ended_columns(
        self, rec: Recorder, keys: list[int], lanes: list[int], times: list[int], outcomes: list[int], asked: list[bool]
    ) -> tuple[list[int], list[int]] | None:
        """``ended`` for a batch of task ends (``asked``: the task had cancel requests): the reason and
        by columns, or None when no end has either (the usual case, told without a loop)."""
        if not self.until_ended and not self.reasons and True not in asked:
            return None
        reasons, bys = [], []
        for key, lane, t, outcome, cancel_called in zip(keys, lanes, times, outcomes, asked, strict=True):
            if cancel_called:
                self.cancel_called(key)
            reason, by = self.ended(rec, key, lane, t, outcome)
            reasons.append(reason)
            bys.append(by)
        return reasons, bys

    def cancel_called(self, key: int) -> None:
        """A weak note: the task was asked to cancel, and no hook said why (yet)."""
        self.reasons.setdefault(key, (CANCEL_CALLED, -1, False))

    def finish(self, rec: Recorder) -> None:
        """At the end of the trace: the edges still open, with end -1."""
        for awaiter, waits in self.until_resumed.items():
            for start, targets in waits:
                n = len(targets)
                _edges(rec, [awaiter] * n, targets, [start] * n, [-1] * n)
        for target, edges in self.until_ended.items():
            _edges(rec, [a for a, _ in edges], [target] * len(edges), [s for _, s in edges], [-1] * len(edges))
        self.until_resumed.clear()
        self.until_ended.clear()


def _columns() -> tuple[array, array, array]:
    return array("q"), array("q"), array("q")


def _edges(rec: Recorder, lanes: list[int], targets: list[int], starts: list[int], ends: list[int]) -> None:
    """Rows of the awaits table, a column at a time (a gather of thousands ends at once)."""
    awaits = rec.tables["awaits"]
    for column, values in (("lane", lanes), ("target", targets), ("start", starts), ("end", ends)):
        extend_q(awaits[column], values)


def _never_awaited(rec: Recorder, item: tuple[Any, ...]) -> None:
    _, coro_name, qualname, code, lineno, t = item
    at = rec.us(t)
    name, aliases = lane_name("", str(coro_name), str(qualname))
    lane = rec.add_lane(LANE_TASK, name, NEVER_AWAITED_GROUP, site=rec.site_index(code, lineno), start_us=at)
    if aliases:
        rec.lane_aliases[lane] = aliases
    rec.row("ends", lane, at, OUT_NEVER_AWAITED, -1, -1, -1, -1)
