"""The run spans of a batch of raw steps, column by column (``Recorder._convert_steps``).

Every step is a run span; most need nothing else, so the columns are made at C speed when the
hot paths are built (``_speedups.step_columns``; ``py_step_columns`` is its twin, tests run both).
A step is looked at one by one only when its lane has a suspension pending or gets one in this
batch, or when it held the loop for at least the blocking threshold.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import compress, repeat
from operator import is_not, sub
from struct import pack
from typing import Any

from ..capture.compiled import speedups

STEP_FIELDS = 5  # task key, start us, end us, label or waiter class or None, code or awaited key


def py_step_columns(
    steps: list[Any],
    task_lane: dict[Any, int],
    lane_last_end: dict[int, int],
    pending: dict[int, Any],
    threshold_us: int,
) -> tuple[bytes, bytes, bytes, list[int], list[int]]:
    """(lanes, starts, ends) of the steps of known tasks as native int64 bytes; the indices (into
    the raw steps) of the steps to look at; those of the steps at least ``threshold_us`` long.
    Each lane's last end goes to ``lane_last_end``. A step of a task no longer known is dropped."""
    keys = steps[0::STEP_FIELDS]
    starts = steps[1::STEP_FIELDS]
    ends = steps[2::STEP_FIELDS]
    waiters = steps[3::STEP_FIELDS]
    index: range | list[int] = range(len(keys))
    try:
        lanes = list(map(task_lane.__getitem__, keys))
    except KeyError:  # should not happen
        index = [i for i, key in enumerate(keys) if key in task_lane]
        lanes = [task_lane[keys[i]] for i in index]
        starts, ends, waiters = ([column[i] for i in index] for column in (starts, ends, waiters))
    lane_last_end.update(zip(lanes, ends, strict=True))
    waiting = set(pending).union(compress(lanes, map(is_not, waiters, repeat(None))))
    look = [index[k] for k in compress(range(len(lanes)), map(waiting.__contains__, lanes))] if waiting else []
    lengths = list(map(sub, ends, starts))
    long = (
        [index[k] for k, length in enumerate(lengths) if length >= threshold_us]
        if lengths and max(lengths) >= threshold_us
        else []
    )
    n = len(lanes)
    return pack(f"{n}q", *lanes), pack(f"{n}q", *starts), pack(f"{n}q", *ends), look, long


step_columns: Callable[
    [list[Any], dict[Any, int], dict[int, int], dict[int, Any], int], tuple[bytes, bytes, bytes, list[int], list[int]]
] = speedups.step_columns if speedups is not None else py_step_columns

__all__ = ["STEP_FIELDS", "step_columns", "py_step_columns"]
