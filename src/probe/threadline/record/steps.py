"""A batch of raw steps into spans: every step a run span, column by column (step_columns.py);
a suspension from a step that left its task waiting to the task's next step; a blocked span for
a step that held the loop too long, placed by the stack samples taken meanwhile."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    lanes, starts, ends, look, long = step_columns(
        rows, key_lanes, rec.lane_last_end, rec.pending_suspend, threshold_us
    )
    q = memoryview(rows).cast("q")
    rec.event_columns("spans", len(lanes) // 8, lane=lanes, kind=SPAN_RUN, start=starts, end=ends, label=-1, lock=-1)
    # Suspensions: from the end of a step that left the task waiting to the start of its next
    # step; written a column at a time after the loop.
    pending = rec.pending_suspend
    label_cache = rec.label_cache
    suspended: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
    add_lane, add_start, add_end, add_label = (column.append for column in suspended)
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
                label = rec.string(waiter)
            else:  # what describe_label would find in its cache, without the call
                cached = label_cache.get(id(code) if code is not None else waiter)
                label = cached[1] if cached is not None else describe_label(rec, (waiter, code))
            pending[lane] = (end, label)
            if code.__class__ is int:  # suspended on a traced task: its key
                rec.fates.awaited_task(lane, code, end, rec)
    if suspended[0]:
        lanes_s, starts_s, ends_s, labels_s = suspended
        rec.event_columns(
            "spans",
            len(lanes_s),
            lane=lanes_s,
            kind=SPAN_SUSPENDED,
            start=starts_s,
            end=ends_s,
            label=labels_s,
            lock=-1,
        )
        for column, values in zip(rec.fates.suspensions, (lanes_s, starts_s, ends_s), strict=True):
            column.extend(values)
    # Steps that held the loop too long.
    for i in long:
        key, start, end = q[i * ROW_FIELDS : i * ROW_FIELDS + 3].tolist()
        location = (
            _blocked_location(rec, rec.t0 + start / 1e6, rec.t0 + end / 1e6)
            or rec.blocked_hint.pop((key, start), None)
            or "unknown location"
        )
        rec.event_row("spans", key_lanes[-key - 1], SPAN_BLOCKED, start, end, rec.string(location), -1)


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
