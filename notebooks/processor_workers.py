"""CPU-bound workers for the parallel data processor project (08).

They live in a module, not in the notebook, because a process pool started with ``spawn`` or
``forkserver`` sends each task to its worker *by name*: the worker imports this module and looks the
function up. A function defined in a notebook cell lives in ``__main__``, which the worker cannot import.
"""

from __future__ import annotations

import os

#: Checksums are kept modulo this prime, so they stay small whatever the range.
MODULUS = 2_147_483_647


def is_prime(n: int) -> bool:
    """Trial division: deliberately plain Python, so the work is CPU-bound and holds the GIL."""
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


def scan(lo: int, hi: int) -> tuple[int, int]:
    """Scan the numbers in [lo, hi): return (how many are prime, checksum of the primes).

    The checksum is the sum of (p * p) % MODULUS over the primes p, taken % MODULUS: cheap to combine,
    because the checksum of a whole range is the sum of its chunks' checksums, % MODULUS.
    """
    count = 0
    checksum = 0
    for n in range(lo, hi):
        if is_prime(n):
            count += 1
            checksum = (checksum + n * n) % MODULUS
    return count, checksum


def scan_with_pid(lo: int, hi: int) -> tuple[int, int, int]:
    """Like scan, plus the id of the process that did the work (to see the pool at work)."""
    count, checksum = scan(lo, hi)
    return count, checksum, os.getpid()
