"""Task functions for the distributed task queue project (11), run in worker processes.

They live in a module so that pools started with ``spawn`` or ``forkserver`` can import them by name.
Every task returns ``(result, pid)``: the pid shows which worker process did the work.
"""

from __future__ import annotations

import os

from processor_workers import is_prime

#: The kinds of task a queue can run, with what the argument means.
KINDS = {
    "primes": "how many primes are below n",
    "collatz": "the start below n with the longest Collatz chain, and that chain's length",
    "fib": "the n-th Fibonacci number modulo 1_000_000_007",
    "fail": "always raises ValueError (to test error handling)",
}


def _longest_collatz(n: int) -> tuple[int, int]:
    best, best_len = 1, 1
    for start in range(1, n):
        k, length = start, 1
        while k != 1:
            k = k // 2 if k % 2 == 0 else 3 * k + 1
            length += 1
        if length > best_len:
            best, best_len = start, length
    return best, best_len


def compute(kind: str, n: int) -> object:
    """The result of task (kind, n), computed in this process."""
    if kind == "primes":
        return sum(1 for k in range(n) if is_prime(k))
    if kind == "collatz":
        return _longest_collatz(n)
    if kind == "fib":
        a, b = 0, 1
        for _ in range(n):
            a, b = b, (a + b) % 1_000_000_007
        return a
    if kind == "fail":
        raise ValueError(f"task ('fail', {n}) failed, as it always does")
    raise ValueError(f"unknown task kind {kind!r}: choose one of {', '.join(KINDS)}")


def run_task(kind: str, n: int) -> tuple[object, int]:
    """Run one task in a worker: (result, pid of this worker)."""
    return compute(kind, n), os.getpid()
