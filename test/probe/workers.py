"""Importable worker functions for the process tests (spawn and forkserver need importable code)."""

from __future__ import annotations

import time


def burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def square(x: int) -> int:
    time.sleep(0.01)
    return x * x
