"""Workloads and runner for `npm run bench -- probe` (bench/probe.ts runs this under .venv).

Each workload runs uninstrumented, under Threadline and under VizTracer (log_async=True), interleaved,
several repetitions; only the workload itself is timed (the tracer's start/stop and Threadline's
finishing of the trace are reported separately). Prints one JSON object on the last line.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import statistics
import sys
import threading
import time
from typing import Any, Callable

import threadline

TASKS = 20_000
AWAITS = 6
LOCK_ITERS = 100_000
LOCK_THREADS = 4


async def _empty_awaits() -> None:
    for _ in range(AWAITS):
        await asyncio.sleep(0)


async def worst_case() -> None:
    await asyncio.gather(*[_empty_awaits() for _ in range(TASKS)])


async def realistic() -> None:
    """Producers put jobs on a bounded queue; consumers process them (hashing, JSON) under a semaphore."""
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=64)
    sem = asyncio.Semaphore(4)
    results: list[str] = []
    lock = asyncio.Lock()
    payload = b"x" * 4096

    async def producer(p: int) -> None:
        for i in range(750):
            await queue.put({"producer": p, "item": i, "tags": ["a", "b", "c"], "size": i * 7})
            if i % 25 == 0:
                await asyncio.sleep(0)

    async def consumer() -> None:
        while True:
            job = await queue.get()
            if job is None:
                queue.task_done()
                return
            async with sem:
                text = json.dumps(job)
                digest = hashlib.sha256(payload + text.encode()).hexdigest()
                for _ in range(20):
                    digest = hashlib.sha256(digest.encode() + payload).hexdigest()
                decoded = json.loads(text)
                await asyncio.sleep(0)
            async with lock:
                results.append(digest[:8] + str(decoded["item"]))
            queue.task_done()

    consumers = [asyncio.create_task(consumer()) for _ in range(8)]
    await asyncio.gather(*[producer(p) for p in range(4)])
    for _ in consumers:
        await queue.put(None)
    await asyncio.gather(*consumers)
    assert len(results) == 3000


def locks(contended: bool) -> None:
    shared = threading.Lock()
    own = [threading.Lock() for _ in range(LOCK_THREADS)]
    counter = [0] * LOCK_THREADS

    def work(i: int) -> None:
        lock = shared if contended else own[i]
        for _ in range(LOCK_ITERS):
            with lock:
                counter[i] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(LOCK_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def run_workload(name: str) -> None:
    if name == "worst":
        asyncio.run(worst_case())
    elif name == "realistic":
        asyncio.run(realistic())
    elif name == "lock_uncontended":
        locks(False)
    elif name == "lock_contended":
        locks(True)
    else:
        raise ValueError(name)


def measure(name: str, mode: str) -> tuple[float, float]:
    """(seconds for the workload, seconds of instrument start/stop overhead outside it)."""
    gc.collect()
    if mode == "plain":
        t0 = time.perf_counter()
        run_workload(name)
        return time.perf_counter() - t0, 0.0
    if mode == "threadline":
        outer = time.perf_counter()
        with threadline.trace(display=False) as t:
            t0 = time.perf_counter()
            run_workload(name)
            elapsed = time.perf_counter() - t0
        total = time.perf_counter() - outer
        assert t.finished and t.data["lanes"]["kind"], "threadline recorded nothing"
        return elapsed, total - elapsed
    if mode == "viztracer":
        from viztracer import VizTracer

        tracer = VizTracer(log_async=True, verbose=0, tracer_entries=5_000_000)
        outer = time.perf_counter()
        tracer.start()
        t0 = time.perf_counter()
        run_workload(name)
        elapsed = time.perf_counter() - t0
        tracer.stop()
        tracer.parse()
        total = time.perf_counter() - outer
        tracer.clear()
        return elapsed, total - elapsed
    raise ValueError(mode)


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    workloads = ["worst", "realistic", "lock_uncontended", "lock_contended"]
    modes = ["plain", "threadline", "viztracer"]
    times: dict[str, dict[str, list[float]]] = {w: {m: [] for m in modes} for w in workloads}
    extra: dict[str, dict[str, list[float]]] = {w: {m: [] for m in modes} for w in workloads}
    for w in workloads:
        measure(w, "plain")  # warm up imports and caches
        for _ in range(reps):
            for m in modes:
                elapsed, outside = measure(w, m)
                times[w][m].append(elapsed)
                extra[w][m].append(outside)
    med = {w: {m: statistics.median(v) for m, v in times[w].items()} for w in workloads}
    fin = {w: {m: statistics.median(v) for m, v in extra[w].items()} for w in workloads}
    ratio = {w: {m: med[w][m] / med[w]["plain"] for m in modes} for w in workloads}
    worst = ratio["worst"]["threadline"]
    viz_worst = ratio["worst"]["viztracer"]
    result = {
        "asyncio_worst_ratio": round(worst, 3),
        "asyncio_real_ratio": round(ratio["realistic"]["threadline"], 3),
        "lock_ratio": round(ratio["lock_uncontended"]["threadline"], 3),
        "lock_contended_ratio": round(ratio["lock_contended"]["threadline"], 3),
        "viztracer_worst_ratio": round(viz_worst, 3),
        "viztracer_real_ratio": round(ratio["realistic"]["viztracer"], 3),
        "viztracer_lock_ratio": round(ratio["lock_uncontended"]["viztracer"], 3),
        "vs_viztracer_overhead": round((worst - 1) / (viz_worst - 1), 3) if viz_worst > 1 else None,
        "medians_s": {w: {m: round(v, 4) for m, v in med[w].items()} for w in workloads},
        "finish_s": {w: {m: round(v, 4) for m, v in fin[w].items()} for w in workloads},
        "reps": reps,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
