"""Workloads and runner for `npm run bench -- probe` (bench/probe.ts runs this under .venv).

Each workload runs uninstrumented, under Threadline and under VizTracer (log_async=True), interleaved,
several repetitions; only the workload itself is timed (the tracer's start/stop and Threadline's
finishing of the trace are reported separately). Prints one JSON object on the last line.

Every measurement runs in a fresh interpreter (after one untimed warm-up run of the workload): a
tracer may leave state behind after it stops (VizTracer's thread hooks made later untraced runs of
the thread-heavy workloads up to 7x slower), which must not count against the next mode.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

import threadline
import threadline.capture.compiled

WORKLOADS = (
    "worst",
    "realistic",
    "cpu_heavy",
    "lock_uncontended",
    "lock_contended",
    "short_loops",
    "short_tasks",
    "subprocesses",
)
TASKS = 20_000
AWAITS = 6
LOCK_ITERS = 100_000
LOCK_THREADS = 4


async def _empty_awaits() -> None:
    for _ in range(AWAITS):
        await asyncio.sleep(0)


async def worst_case() -> None:
    await asyncio.gather(*[_empty_awaits() for _ in range(TASKS)])


async def producer_consumer(fetch_latency: float, hash_rounds: int) -> None:
    """Producers fetch jobs (simulated network latency) onto a bounded queue; consumers process them
    (JSON, hashing) under a semaphore and record results under a lock."""
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=64)
    sem = asyncio.Semaphore(4)
    results: list[str] = []
    lock = asyncio.Lock()
    payload = b"x" * 4096

    async def producer(p: int) -> None:
        for i in range(750):
            if fetch_latency:
                await asyncio.sleep(fetch_latency)
            elif i % 25 == 0:
                await asyncio.sleep(0)
            await queue.put({"producer": p, "item": i, "tags": ["a", "b", "c"], "size": i * 7})

    async def consumer() -> None:
        while True:
            job = await queue.get()
            if job is None:
                queue.task_done()
                return
            async with sem:
                text = json.dumps(job)
                digest = hashlib.sha256(payload + text.encode()).hexdigest()
                for _ in range(hash_rounds):
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


async def realistic() -> None:
    """I/O-bound producers (1 ms per fetch), light CPU work per job: what asyncio is for."""
    await producer_consumer(fetch_latency=0.001, hash_rounds=5)


async def cpu_heavy() -> None:
    """The same pipeline with no I/O and 20 hash rounds per job: all overhead shows."""
    await producer_consumer(fetch_latency=0.0, hash_rounds=20)


# What CPython's own asyncio tests do, and the other workloads do not: many short-lived loops, each
# with its default executor, subprocess transports, thousands of short tasks.
# 300 loops (≈ 0.7 s untraced) and 300 children (100 batches of 3, ≈ 0.3 s): with 100 loops
# (0.25 s) and 90 children (0.09 s), scheduling stalls of ~20 ms on the shared 2-core machine moved a
# 5-run median by ±0.1 (short_loops 1.10–1.22, subprocesses 0.89–1.20 for the same code), against
# targets 0.1 away; each loop and child costs the same however many there are
SHORT_LOOPS = 300
SHORT_TASKS = 20_000
SUBPROCESSES = 300


def _square(i: int) -> int:
    return i * i


async def _one_short_loop() -> None:
    loop = asyncio.get_running_loop()

    async def step(i: int) -> int:
        await asyncio.sleep(0)
        return await loop.run_in_executor(None, _square, i)

    await asyncio.gather(*(step(i) for i in range(20)))


def short_loops() -> None:
    """A loop per test: asyncio.run, a thread-pool executor, a few tasks, closed again."""
    for _ in range(SHORT_LOOPS):
        asyncio.run(_one_short_loop())


async def _short(i: int) -> int:
    await asyncio.sleep(0)
    return i


async def short_tasks() -> None:
    """Thousands of tasks that live for one or two steps (gather of 1,000 at a time)."""
    for start in range(0, SHORT_TASKS, 1_000):
        await asyncio.gather(*(_short(i) for i in range(start, start + 1_000)))


async def _child() -> bytes:
    proc = await asyncio.create_subprocess_exec(
        "/bin/echo", "hi", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    out, _ = await proc.communicate()
    return out


async def subprocesses() -> None:
    """Subprocess transports: children started, piped and waited for through the loop."""
    for _ in range(SUBPROCESSES // 3):
        await asyncio.gather(_child(), _child(), _child())


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
    elif name == "cpu_heavy":
        asyncio.run(cpu_heavy())
    elif name == "lock_uncontended":
        locks(False)
    elif name == "lock_contended":
        locks(True)
    elif name == "short_loops":
        short_loops()
    elif name == "short_tasks":
        asyncio.run(short_tasks())
    elif name == "subprocesses":
        asyncio.run(subprocesses())
    else:
        raise ValueError(name)


class Clock:
    """Wall and CPU time of the process (all threads, including the tracers' own) for one region."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def since(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def measure(name: str, mode: str) -> tuple[float, float, float]:
    """(wall s, CPU s) of the workload alone, and wall s spent outside it (start, stop, finishing)."""
    gc.collect()
    if mode == "plain":
        c = Clock()
        run_workload(name)
        return (*c.since(), 0.0)
    if mode == "threadline":
        outer = Clock()
        with threadline.trace(display=False) as t:
            c = Clock()
            run_workload(name)
            wall, cpu = c.since()
        total = outer.since()[0]
        assert t.finished and t.data["lanes"]["kind"], "threadline recorded nothing"
        return wall, cpu, total - wall
    if mode == "viztracer":
        from viztracer import VizTracer

        tracer = VizTracer(log_async=True, verbose=0, tracer_entries=5_000_000)
        outer = Clock()
        tracer.start()
        c = Clock()
        run_workload(name)
        wall, cpu = c.since()
        tracer.stop()
        tracer.parse()
        total = outer.since()[0]
        tracer.clear()
        return wall, cpu, total - wall
    raise ValueError(mode)


def measure_fresh(name: str, mode: str) -> tuple[float, float, float]:
    """measure() in a new interpreter with the same environment (THREADLINE_PURE_PYTHON included)."""
    out = subprocess.run(
        [sys.executable, __file__, "--one", name, mode], check=True, capture_output=True, text=True
    ).stdout
    wall, cpu, outside = json.loads(out.strip().splitlines()[-1])
    return wall, cpu, outside


def count_one(name: str, mode: str, scale: float) -> None:
    """For bench/probe_instructions.ts, under valgrind: the workload at `scale` of its size, once to
    warm up, then once more uninstrumented, traced by Threadline or traced by VizTracer. Threadline's
    sampler does not start: under valgrind's slowdown its ticks would come fifty times as often per
    unit of work; the trace is converted when it stops instead, and that counts the same."""
    global TASKS, SHORT_LOOPS, SHORT_TASKS, SUBPROCESSES
    TASKS, SHORT_LOOPS = round(TASKS * scale), round(SHORT_LOOPS * scale)
    SHORT_TASKS, SUBPROCESSES = round(SHORT_TASKS * scale / 1000) * 1000, round(SUBPROCESSES * scale / 3) * 3
    run_workload(name)
    if mode == "plain":
        run_workload(name)
    elif mode == "threadline":
        from threadline.capture.sampler import Sampler

        Sampler.start = Sampler.stop = lambda self: None  # type: ignore[method-assign]
        with threadline.trace(display=False) as t:
            run_workload(name)
        assert t.finished, f"the trace did not finish ({t.failed}): its count would leave out its conversion"
    elif mode == "viztracer":
        from viztracer import VizTracer

        tracer = VizTracer(log_async=True, verbose=0, tracer_entries=5_000_000)
        tracer.start()
        run_workload(name)
        tracer.stop()
        tracer.parse()
    else:
        raise ValueError(mode)


def main() -> None:
    if sys.argv[1:2] == ["--count"]:
        count_one(sys.argv[2], sys.argv[3], float(sys.argv[4]))
        return
    if sys.argv[1:2] == ["--one"]:
        name, mode = sys.argv[2], sys.argv[3]
        measure(name, "plain")  # warm up imports and caches
        print(json.dumps(measure(name, mode)))
        return
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    modes = sys.argv[2].split(",") if len(sys.argv) > 2 else ["plain", "threadline", "viztracer"]
    workloads = sys.argv[3].split(",") if len(sys.argv) > 3 else list(WORKLOADS)
    walls: dict[str, dict[str, list[float]]] = {w: {m: [] for m in modes} for w in workloads}
    cpus: dict[str, dict[str, list[float]]] = {w: {m: [] for m in modes} for w in workloads}
    extra: dict[str, dict[str, list[float]]] = {w: {m: [] for m in modes} for w in workloads}
    for w in workloads:
        for rep in range(reps):
            # rotate the order so no mode always runs first (or right after another one)
            for m in modes[rep % len(modes) :] + modes[: rep % len(modes)]:
                wall, cpu, outside = measure_fresh(w, m)
                walls[w][m].append(wall)
                cpus[w][m].append(cpu)
                extra[w][m].append(outside)
            print(
                f"{w} rep {rep + 1}/{reps}: " + ", ".join(f"{m} {walls[w][m][-1]:.3f}s" for m in modes),
                file=sys.stderr,
                flush=True,
            )
    # Ratios of elapsed time (what the learner waits for); process CPU time (every thread, the
    # tracers' own included) is reported beside it: for the I/O-bound program it also charges
    # the sampler's fixed cost per second against the little CPU the program itself uses.
    med_wall = {w: {m: statistics.median(v) for m, v in walls[w].items()} for w in workloads}
    med_cpu = {w: {m: statistics.median(v) for m, v in cpus[w].items()} for w in workloads}
    fin = {w: {m: statistics.median(v) for m, v in extra[w].items()} for w in workloads}
    result = {
        "implementation": "c" if threadline.capture.compiled.speedups is not None else "pure-python",
        "wall_ratios": {w: {m: round(v / med_wall[w]["plain"], 3) for m, v in med_wall[w].items()} for w in workloads},
        "cpu_ratios": {w: {m: round(v / med_cpu[w]["plain"], 3) for m, v in med_cpu[w].items()} for w in workloads},
        "wall_medians_s": {w: {m: round(v, 4) for m, v in med_wall[w].items()} for w in workloads},
        "cpu_medians_s": {w: {m: round(v, 4) for m, v in med_cpu[w].items()} for w in workloads},
        "finish_s": {w: {m: round(v, 4) for m, v in fin[w].items()} for w in workloads},
        "reps": reps,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
