"""A batch of raw steps into spans: every step a run span, column by column (step_columns.py);
a suspension from a step that left its task waiting to the task's next step; a blocked span for
a step that held the loop too long, placed by the stack samples taken meanwhile."""

from __future__ import annotations

from array import array
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from ..capture.compiled import speedups
from ..frames import location_of_frame
from ..schema import SPAN_BLOCKED, SPAN_RUN, SPAN_SUSPENDED
from .step_buffer import ROW_FIELDS
from .step_columns import step_columns
from .tasks import describe_label

if TYPE_CHECKING:
    from .recorder import Recorder


def convert_steps(rec: Recorder, rows: bytes, extras: list[Any]) -> None:
    """Steps become run spans column by column (step_columns.py); only steps that await
    something, or end a suspension, or held the loop too long, are looked at one by one."""
    if not rows:
        return
    threshold_us = int(rec.block_threshold_s * 1e6)
    key_lanes = rec.key_lanes
    last_end = rec.lane_last_end
    if len(last_end) < len(rec.lane_names):
        last_end.extend(array("q", [-1]) * (len(rec.lane_names) - len(last_end)))
    lanes, starts, ends, look, long = step_columns(rows, key_lanes, last_end, rec.pending_suspend, threshold_us)
    q = memoryview(rows).cast("q")
    rec.event_columns("spans", len(lanes) // 8, lane=lanes, kind=SPAN_RUN, start=starts, end=ends, label=-1, lock=-1)
    # Suspensions: from the end of a step that left the task waiting to the start of its next step.
    lanes_s, starts_s, ends_s, labels_s, awaited = suspensions(
        rows, look, key_lanes, rec.pending_suspend, extras, rec.label_cache, rec.string_index, partial(describe, rec)
    )
    for lane, key, end in zip(*[iter(awaited)] * 3, strict=True):
        rec.fates.awaited_task(lane, key, end, rec)
    if lanes_s:
        rec.event_columns(
            "spans",
            len(lanes_s) // 8,
            lane=lanes_s,
            kind=SPAN_SUSPENDED,
            start=starts_s,
            end=ends_s,
            label=labels_s,
            lock=-1,
        )
        for column, values in zip(rec.fates.suspensions, (lanes_s, starts_s, ends_s), strict=True):
            column.frombytes(values)
    # Steps that held the loop too long.
    for i in long:
        key, start, end = q[i * ROW_FIELDS : i * ROW_FIELDS + 3].tolist()
        location = (
            _blocked_location(rec, rec.t0 + start / 1e6, rec.t0 + end / 1e6)
            or rec.blocked_hint.pop((key, start), None)
            or "unknown location"
        )
        rec.event_row("spans", key_lanes[-key - 1], SPAN_BLOCKED, start, end, rec.string(location), -1)


def describe(rec: Recorder, waiter: Any, code: Any) -> int:
    """The label of what a step's task waits on, for py_suspensions and the C twin's cache misses."""
    return describe_label(rec, waiter if waiter.__class__ is str else (waiter, code))


def py_suspensions(
    rows: bytes,
    look: list[int],
    key_lanes: array,
    pending: dict[int, tuple[int, int]],
    extras: list[Any],
    label_cache: dict[Any, tuple[Any, int]],
    strings: dict[str, int],
    describe: Callable[[Any, Any], int],
) -> tuple[bytes, bytes, bytes, bytes, list[int]]:
    """(lanes, starts, ends, labels) of the suspensions that the steps at ``look`` (indices of
    rows) end, as int64 columns, and [lane, task key, end, ...] of those that begin awaiting a
    traced task. For each
    step the suspension its lane had pending ends at its start; a step that awaits something (aux
    >= 0) leaves its lane suspended from its end, on the waiter's label: a text's string index, or
    the cached label of its code (by id; without one, of its future's class), else ``describe``'s."""
    q = memoryview(rows).cast("q")
    ended: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
    add_lane, add_start, add_end, add_label = (column.append for column in ended)
    awaited: list[int] = []
    for i in look:
        key, start, end, aux = q[i * ROW_FIELDS : (i + 1) * ROW_FIELDS].tolist()
        lane = key_lanes[-key - 1]
        susp = pending.pop(lane, None)
        if susp is not None:
            add_lane(lane)
            add_start(susp[0])
            add_end(start)
            add_label(susp[1])
        if aux >= 0:
            waiter, code = extras[2 * aux], extras[2 * aux + 1]
            if waiter.__class__ is str:
                label = strings.get(waiter)
            else:
                cached = label_cache.get(id(code) if code is not None else waiter)
                label = cached[1] if cached is not None else None
            pending[lane] = (end, label if label is not None else describe(waiter, code))
            if code.__class__ is int:  # suspended on a traced task: its key
                awaited += (lane, code, end)
    lanes, starts, ends, labels = (array("q", column).tobytes() for column in ended)
    return lanes, starts, ends, labels, awaited


suspensions: Callable[..., tuple[bytes, bytes, bytes, bytes, list[int]]] = (
    speedups.suspensions if speedups is not None else py_suspensions
)


def _blocked_location(rec: Recorder, a: float, b: float) -> str | None:
    """The most frequent stack sample taken while a long step ran (where time.sleep was)."""
    seen: dict[str, int] = {}
    for t, _ident, code, lineno in rec.stack_samples:
        if a <= t <= b:
            location = location_of_frame(code, lineno)
            seen[location] = seen.get(location, 0) + 1
    if not seen:
        return None
    return max(seen.items(), key=lambda kv: kv[1])[0]
