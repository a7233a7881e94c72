"""Appending converted values to the trace's int64 columns (``array('q')``).

``array.extend(list)`` parses every item as if it were a function argument; packing the list to
native int64 bytes first (in C when the hot paths are built, else with ``struct``) and copying them
in is several times faster, and conversion appends millions of values in a long trace.
"""

from __future__ import annotations

from array import array
from struct import pack

from ..capture.compiled import speedups


def _pack_struct(values: list[int]) -> bytes:
    return pack(f"{len(values)}q", *values)


_pack = speedups.pack_q if speedups is not None else _pack_struct


def extend_q(column: array, values: list[int]) -> None:
    """``column.extend(values)`` for an ``array('q')`` column and a list of ints."""
    column.frombytes(_pack(values))


__all__ = ["extend_q"]
