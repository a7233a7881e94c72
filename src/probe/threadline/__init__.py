"""Threadline's kernel-side probe: see and grade what asyncio tasks, threads, locks, processes and
cores do, from inside a standard IPython kernel (``%load_ext threadline``).

    with threadline.trace() as t:        # or: async with threadline.trace() as t:
        ...
    t.assert_max_concurrent(3, "download*")

Importing this package changes nothing; patches exist only while a trace runs.
"""

from __future__ import annotations

from typing import Any

from .ipython import load, unload
from .read.analysis import Block, LockStats, Trace
from .record.cpus import effective_cpus, effective_cpus_reason
from .session import NestedTraceError, TraceNotFinishedError, last_trace, trace

__all__ = [
    "trace",
    "last_trace",
    "effective_cpus",
    "effective_cpus_reason",
    "Trace",
    "LockStats",
    "Block",
    "NestedTraceError",
    "TraceNotFinishedError",
    "load_ipython_extension",
    "unload_ipython_extension",
]


def load_ipython_extension(ipython: Any) -> None:
    """Register %%timeline and the threadline.meter comm target (nothing runs until used)."""
    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    unload(ipython)
