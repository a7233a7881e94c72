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
from itertools import compress
from operator import sub
from typing import Any

from ..capture.compiled import speedups
from .step_buffer import ROW_FIELDS


def py_step_columns(
    rows: bytes,
    key_lanes: array,
    lane_last_end: array,
    pending: dict[int, Any],
    threshold_us: int,
) -> tuple[bytes, bytes, bytes, list[int], list[int]]:
    """(lanes, starts, ends) of the steps of known tasks as native int64 bytes; the indices (of
    rows) of the steps to look at; those of the steps at least ``threshold_us`` long. Each lane's
    last end goes to ``lane_last_end`` (by lane: as long as the lanes). A step of a task no longer
    known is dropped."""
    q = memoryview(rows).cast("q")
    keys, starts, ends, aux = (q[field::ROW_FIELDS].tolist() for field in range(ROW_FIELDS))
    known = len(key_lanes)
    lanes = [key_lanes[-key - 1] if 0 < -key <= known else -1 for key in keys]
    index: range | list[int] = range(len(keys))
    if -1 in lanes:  # should not happen
        index = [i for i, lane in enumerate(lanes) if lane >= 0]
        lanes, starts, ends, aux = ([column[i] for i in index] for column in (lanes, starts, ends, aux))
    if lanes and max(lanes) >= len(lane_last_end):
        raise ValueError("step_columns: lane_last_end is shorter than the lanes")
    for lane, end in zip(lanes, ends, strict=True):
        lane_last_end[lane] = end
    waiting = set(pending).union(compress(lanes, map((-1).__lt__, aux)))  # aux >= 0: it awaits
    look = [index[k] for k in compress(range(len(lanes)), map(waiting.__contains__, lanes))] if waiting else []
    lengths = list(map(sub, ends, starts))
    long = (
        [index[k] for k, length in enumerate(lengths) if length >= threshold_us]
        if lengths and max(lengths) >= threshold_us
        else []
    )
    return array("q", lanes).tobytes(), array("q", starts).tobytes(), array("q", ends).tobytes(), look, long


step_columns: Callable[[bytes, array, array, dict[int, Any], int], tuple[bytes, bytes, bytes, list[int], list[int]]] = (
    speedups.step_columns if speedups is not None else py_step_columns
)

__all__ = ["step_columns", "py_step_columns"]
