"""Saved traces of an older schema, read as the current one.

A v1 trace (saved before task fates and the await graph) has no ``reason`` and ``by`` in its ends
and no ``awaits`` table: they are added, filled with -1 and empty, as the lab's ``upgradeTrace``
does, so every query reads one shape.
"""

from __future__ import annotations

from typing import Any

from ..schema import TABLE_COLUMNS, TRACE_SCHEMA_VERSION


class TraceVersionError(ValueError):
    """A trace saved by a newer Threadline than this one."""


def upgrade_trace(trace: dict[str, Any]) -> dict[str, Any]:
    """The trace in the current schema (the same dict, completed in place)."""
    version = trace.get("version", TRACE_SCHEMA_VERSION)
    if not isinstance(version, int) or version > TRACE_SCHEMA_VERSION:
        raise TraceVersionError(
            f"This trace uses schema version {version!r}, but this threadline reads versions 1 to "
            f"{TRACE_SCHEMA_VERSION}: upgrade threadline (pip install -U threadline) to read it."
        )
    if version == TRACE_SCHEMA_VERSION:
        return trace
    for table, columns in TABLE_COLUMNS.items():
        cols = trace.setdefault(table, {})
        rows = len(next(iter(cols.values()), []))
        for column in columns:
            if column not in cols:
                cols[column] = [-1] * rows
    trace["version"] = TRACE_SCHEMA_VERSION
    return trace
