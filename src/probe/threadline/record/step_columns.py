"""The run spans of a batch of steps (``StepBuffer.take``'s rows), column by column
(``Recorder._convert_steps``).

Every step is a run span; most need nothing else, so the columns are made at C speed when the
hot paths are built (``_speedups.step_columns``; ``py_step_columns`` is its twin, tests run both).
A step is looked at one by one only when its lane has a suspension pending or gets one in this
batch, or when it held the loop for at least the blocking threshold.

A task's lane is found at ``key_lanes[-key - 1]``: keys are -1, -2, … in the order tasks are
tracked, so an array is the lookup (-1 for a key without a lane).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Any

from ..capture.compiled import speedups
from .step_buffer import ROW_FIELDS


def py_step_columns(
    rows: bytes,
    key_lanes: array,
    lane_last_end: dict[int, int],
    pending: dict[int, Any],
    threshold_us: int,
) -> tuple[bytes, bytes, bytes, list[int], list[int]]:
    """(lanes, starts, ends) of the steps of known tasks as native int64 bytes; the indices (of
    rows) of the steps to look at; those of the steps at least ``threshold_us`` long. Each lane's
    last end goes to ``lane_last_end``. A step of a task no longer known is dropped."""
    q = memoryview(rows).cast("q")
    known = len(key_lanes)
    kept = [i for i, key in enumerate(q[0::ROW_FIELDS]) if 0 <= -key - 1 < known and key_lanes[-key - 1] >= 0]
    lanes = [key_lanes[-q[i * ROW_FIELDS] - 1] for i in kept]
    starts = [q[i * ROW_FIELDS + 1] for i in kept]
    ends = [q[i * ROW_FIELDS + 2] for i in kept]
    lane_last_end.update(zip(lanes, ends, strict=True))
    waiting = set(pending).union(lane for lane, i in zip(lanes, kept, strict=True) if q[i * ROW_FIELDS + 3] >= 0)
    look = [i for lane, i in zip(lanes, kept, strict=True) if lane in waiting] if waiting else []
    long = [i for i, start, end in zip(kept, starts, ends, strict=True) if end - start >= threshold_us]
    return array("q", lanes).tobytes(), array("q", starts).tobytes(), array("q", ends).tobytes(), look, long


step_columns: Callable[
    [bytes, array, dict[int, int], dict[int, Any], int], tuple[bytes, bytes, bytes, list[int], list[int]]
] = speedups.step_columns if speedups is not None else py_step_columns

__all__ = ["step_columns", "py_step_columns"]
