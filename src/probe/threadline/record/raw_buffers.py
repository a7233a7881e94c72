"""Raw buffers: the flat lists the hooks append to, taken out of the cyclic GC when the C hot paths
are built (``_speedups.untrack``), and emptied a batch of whole rows at a time (``take_rows``).

A buffer holds up to hundreds of thousands of values, and every pass of the GC over its generation
walked all of them: for a program creating thousands of tasks, that was a fifth of the tracing
cost. A buffer is never part of a reference cycle (it holds ints, strings, classes, codes and weak
references, and goes when its recorder does), so the GC has nothing to find in it.
"""

from __future__ import annotations

from typing import Any

from ..capture.compiled import speedups


def raw_buffer(values: list[Any] | None = None) -> list[Any]:
    """``values`` (a new list by default), out of the cyclic GC where that can be done."""
    values = [] if values is None else values
    return speedups.untrack(values) if speedups is not None else values


def py_take_rows(buffer: list[Any], fields: int) -> list[Any]:
    """The buffer's whole rows of ``fields`` values, taken out of it (twin of ``_speedups.take_rows``,
    which also keeps the buffer's capacity): a row a hook is half-way through appending stays."""
    n = len(buffer) // fields * fields
    rows = buffer[:n]
    del buffer[:n]
    return rows


take_rows = speedups.take_rows if speedups is not None else py_take_rows

__all__ = ["raw_buffer", "take_rows", "py_take_rows"]
