"""Column helpers of the converter: appending converted values to the trace's int64 columns
(``array('q')``), and looking a column of keys up in a cache.

``array.extend(list)`` parses every item as if it were a function argument; packing the list to
native int64 bytes first (in C when the hot paths are built, else with ``struct``) and copying them
in is several times faster, and conversion appends millions of values in a long trace.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Callable, Iterator
from itertools import compress, repeat
from operator import is_
from struct import pack
from typing import Any

from ..capture.compiled import speedups


def _pack_struct(values: list[int]) -> bytes:
    return pack(f"{len(values)}q", *values)


_pack = speedups.pack_q if speedups is not None else _pack_struct


def extend_q(column: array, values: list[int]) -> None:
    """``column.extend(values)`` for an ``array('q')`` column and a list of ints."""
    column.frombytes(_pack(values))


def py_indexes_in(values: array, keys: dict[Any, Any] | set[Any]) -> list[int]:
    """The indexes of the column's values that are keys of the container (twin of
    ``_speedups.indexes_in``, which scans the int64 column without an int object a value)."""
    return list(compress(range(len(values)), map(keys.__contains__, values)))


indexes_in: Callable[[array, Any], list[int]] = speedups.indexes_in if speedups is not None else py_indexes_in


def positions(values: list[Any], value: Any) -> list[int]:
    """The indexes where ``value`` is in ``values``, found by ``list.index`` (a scan at C speed: the
    value is rare in a long column, such as the tasks of a batch that a thread made)."""
    found: list[int] = []
    at = -1
    try:
        while True:
            at = values.index(value, at + 1)
            found.append(at)
    except ValueError:
        return found


def consume(iterator: Iterator[Any]) -> None:
    """Runs an iterator (a map) to its end at C speed, keeping nothing."""
    deque(iterator, maxlen=0)


def cached_entries(cache: dict[Any, Any], columns: tuple[list[Any], ...], make: Callable[[Any], None]) -> list[Any]:
    """The cache's entry for each row of the key columns, at C speed; a key the cache misses is
    made once (``make(key)`` puts it in), however many rows share it."""
    n = len(columns[0])
    if n and all(column.count(column[0]) == n for column in columns):
        # one key for the whole batch (a gather's or a TaskGroup's children, made at one line):
        # counting is a compare a row, a lookup a hash and a tuple
        key = tuple(column[0] for column in columns)
        if key not in cache:
            make(key)
        return [cache[key]] * n
    entries = list(map(cache.get, zip(*columns, strict=True)))
    # (zip's key tuples are looked up, not kept: zip reuses one, and no GC pass is woken)
    if not any(map(is_, entries, repeat(None))):
        return entries
    for key in dict.fromkeys(compress(zip(*columns, strict=True), map(is_, entries, repeat(None)))):
        make(key)
    return list(map(cache.get, zip(*columns, strict=True)))


__all__ = ["cached_entries", "consume", "extend_q", "indexes_in", "positions", "py_indexes_in"]
