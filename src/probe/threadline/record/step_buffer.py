"""The raw steps of asyncio tasks, as the hooks record them and the converter takes them.

A step is recorded as ``extend((task key, start us, end us, waiter, code))``: ``waiter`` is what
the task awaits after the step (a label, a future's class, or ``"task <name>"``) and ``code`` the
innermost coroutine's code or the awaited task's key; both None when it awaits nothing.

``take()`` hands the converter everything so far as rows of four int64 (key, start, end, aux)
and a list of extras: a step with ``aux >= 0`` awaits something, its waiter and code are
``extras[2 * aux]`` and ``extras[2 * aux + 1]``. The C ``_speedups.StepBuffer`` writes the rows as
the step happens (no int objects, no list slots: the cheapest record a step can make);
``PyStepBuffer`` is its twin, keeping a raw list and packing it at ``take()``.
"""

from __future__ import annotations

from array import array
from typing import Any

from ..capture.compiled import speedups
from .raw_buffers import raw_buffer

STEP_FIELDS = 5  # what extend() takes: task key, start us, end us, waiter, code
ROW_FIELDS = 4  # a row of take(): task key, start us, end us, aux


def pack_steps(steps: list[Any]) -> tuple[bytes, list[Any]]:
    """Raw steps (five values each) as take() gives them: int64 rows, and the extras."""
    n = len(steps) // STEP_FIELDS
    waiters, codes = steps[3::STEP_FIELDS], steps[4::STEP_FIELDS]
    aux = [-1] * n
    extras: list[Any] = []
    for i in [i for i in range(n) if waiters[i] is not None or codes[i] is not None]:
        aux[i] = len(extras) // 2
        extras += (waiters[i], codes[i])
    rows = array("q", bytes(8 * ROW_FIELDS * n))
    for field, column in enumerate((steps[0::STEP_FIELDS], steps[1::STEP_FIELDS], steps[2::STEP_FIELDS], aux)):
        rows[field::ROW_FIELDS] = array("q", column)
    return rows.tobytes(), extras


class PyStepBuffer:
    """Python twin of ``_speedups.StepBuffer``."""

    def __init__(self) -> None:
        self._raw: list[Any] = raw_buffer()
        self.extend = self._raw.extend  # one call per step: atomic under the GIL

    def __len__(self) -> int:
        return len(self._raw) // STEP_FIELDS

    def take(self) -> tuple[bytes, list[Any]]:
        raw = self._raw
        n = len(raw) // STEP_FIELDS * STEP_FIELDS  # a hook on another thread may be appending
        steps = raw[:n]
        del raw[:n]
        return pack_steps(steps)


StepBuffer: Any = speedups.StepBuffer if speedups is not None else PyStepBuffer

__all__ = ["STEP_FIELDS", "ROW_FIELDS", "StepBuffer", "PyStepBuffer", "pack_steps"]
