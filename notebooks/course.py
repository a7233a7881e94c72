"""Small helpers shared by the course notebooks (importable because notebooks run in this folder)."""

import multiprocessing
import os

import threadline

#: Start methods a learner can try; the course runs under each of them.
START_METHODS = ("fork", "forkserver", "spawn")


def start_method() -> str:
    """The start method the course's pools use: THREADLINE_START_METHOD if set, else forkserver.

    forkserver is Python 3.14's default on Linux and, like spawn, needs workers that can be
    imported by name, which is why the course's worker functions live in .py modules.
    """
    method = os.environ.get("THREADLINE_START_METHOD", "forkserver")
    if method not in START_METHODS:
        raise ValueError(f"THREADLINE_START_METHOD={method!r}: choose one of {', '.join(START_METHODS)}")
    return method


def mp_context() -> multiprocessing.context.BaseContext:
    """A multiprocessing context with the course's explicit start method."""
    return multiprocessing.get_context(start_method())


def pool_size(at_most: int | None = None) -> int:
    """Workers for a pool: the effective core count (quota, affinity, CPU_LIMIT), at least 1."""
    size = threadline.effective_cpus()
    return max(1, min(size, at_most) if at_most else size)
