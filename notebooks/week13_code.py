"""The code under test in week 13, and broken variants ("mutants") the graders use to check your tests.

A good test passes against the real code and fails against each mutant. In a notebook the graders swap
a mutant in directly; a test file run by pytest in a subprocess gets one through the environment:
``WEEK13_MUTANT=retry_constant_delay`` replaces ``retry`` when this module is imported.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

Sleep = Callable[[float], Awaitable[Any]]


async def retry(
    op: Callable[[], Awaitable[Any]], attempts: int = 3, base_delay: float = 0.1, sleep: Sleep = asyncio.sleep
) -> Any:
    """Await ``op()`` up to ``attempts`` times. After a ``ConnectionError`` sleep ``base_delay * 2**n``
    (n = 0, 1, …) and try again; the last ``ConnectionError`` propagates, other errors at once."""
    for n in range(attempts):
        try:
            return await op()
        except ConnectionError:
            if n == attempts - 1:
                raise
            await sleep(base_delay * 2**n)
    raise ValueError("attempts must be at least 1")


async def fetch_with_deadline(fetch: Callable[[], Awaitable[Any]], timeout: float) -> Any:
    """Return ``await fetch()``; if it takes longer than ``timeout`` seconds, cancel it and raise ``TimeoutError``."""
    async with asyncio.timeout(timeout):
        return await fetch()


class Connection:
    """Stands for a network connection: all a test needs to know is whether it was closed."""

    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


async def serve(queue: asyncio.Queue, conn: Connection, handled: list[Any]) -> None:
    """Handle items from ``queue`` until cancelled; then close ``conn`` and let the cancellation propagate."""
    try:
        while True:
            item = await queue.get()
            handled.append(item)
            queue.task_done()
    finally:
        conn.close()


# -- mutants: each one breaks one promise of a docstring above ------------------------------------


async def _retry_constant_delay(op, attempts=3, base_delay=0.1, sleep=asyncio.sleep):
    for n in range(attempts):
        try:
            return await op()
        except ConnectionError:
            if n == attempts - 1:
                raise
            await sleep(base_delay)


async def _retry_one_extra(op, attempts=3, base_delay=0.1, sleep=asyncio.sleep):
    for n in range(attempts + 1):
        try:
            return await op()
        except ConnectionError:
            if n == attempts:
                raise
            await sleep(base_delay * 2**n)


async def _retry_swallows(op, attempts=3, base_delay=0.1, sleep=asyncio.sleep):
    for n in range(attempts):
        try:
            return await op()
        except ConnectionError:
            if n < attempts - 1:
                await sleep(base_delay * 2**n)
    return None


async def _retry_everything(op, attempts=3, base_delay=0.1, sleep=asyncio.sleep):
    for n in range(attempts):
        try:
            return await op()
        except Exception:
            if n == attempts - 1:
                raise
            await sleep(base_delay * 2**n)


async def _deadline_late(fetch, timeout):
    async with asyncio.timeout(timeout * 10):
        return await fetch()


async def _deadline_returns_none(fetch, timeout):
    try:
        async with asyncio.timeout(timeout):
            return await fetch()
    except TimeoutError:
        return None


async def _deadline_leaks(fetch, timeout):
    task = asyncio.ensure_future(fetch())
    done, _ = await asyncio.wait([task], timeout=timeout)
    if not done:
        raise TimeoutError
    return task.result()


async def _serve_swallows(queue, conn, handled):
    try:
        while True:
            item = await queue.get()
            handled.append(item)
            queue.task_done()
    except asyncio.CancelledError:
        conn.close()


async def _serve_leaks(queue, conn, handled):
    while True:
        item = await queue.get()
        handled.append(item)
        queue.task_done()


MUTANTS: dict[str, dict[str, Callable[..., Any]]] = {
    "retry_constant_delay": {"retry": _retry_constant_delay},
    "retry_one_extra": {"retry": _retry_one_extra},
    "retry_swallows": {"retry": _retry_swallows},
    "retry_everything": {"retry": _retry_everything},
    "deadline_late": {"fetch_with_deadline": _deadline_late},
    "deadline_returns_none": {"fetch_with_deadline": _deadline_returns_none},
    "deadline_leaks": {"fetch_with_deadline": _deadline_leaks},
    "serve_swallows": {"serve": _serve_swallows},
    "serve_leaks": {"serve": _serve_leaks},
}


def mutants_of(name: str) -> dict[str, Callable[..., Any]]:
    """The broken variants of the function called ``name``, by mutant name."""
    return {mutant: parts[name] for mutant, parts in MUTANTS.items() if name in parts}


_chosen = os.environ.get("WEEK13_MUTANT", "")
if _chosen:
    globals().update(MUTANTS[_chosen])
