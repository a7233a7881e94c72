"""Processes under fork, forkserver and spawn; CPU samples; effective core count."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import pytest
from conftest import rows, s, validate
from workers import burn, nap, square

import threadline
from threadline.capture.sampler import Sampler
from threadline.record.recorder import Recorder

LANE_PROCESS = 2
# a hung kernel or worker must fail the test, not stall the suite
pytestmark = pytest.mark.timeout(300)


def process_lanes(trace):
    lanes = trace["lanes"]
    return [i for i, k in enumerate(lanes["kind"]) if k == LANE_PROCESS and s(trace, lanes["group"][i]) == "processes"]


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_process_pool_and_executor_are_recorded(method):
    ctx = mp.get_context(method)
    with threadline.trace(display=False) as t:
        p = ctx.Process(target=nap, args=(0.3,), name="napper")
        p.start()
        with ctx.Pool(2) as pool:
            assert pool.map(square, range(6)) == [x * x for x in range(6)]
            assert pool.apply(square, (7,)) == 49
        with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as ex:
            assert list(ex.map(square, range(4))) == [0, 1, 4, 9]
            assert ex.submit(square, 5).result() == 25
        p.join()
    trace = t.data
    validate(trace)
    lanes = process_lanes(trace)
    names = [s(trace, trace["lanes"]["name"][i]) for i in lanes]
    assert f"napper ({method})" in names
    assert t.processes_used() >= 5  # the Process, 2 pool workers, 2 executor workers
    pids = {trace["lanes"]["os_id"][i] for i in lanes}
    assert p.pid in pids and all(pid > 0 for pid in pids)
    ends = {r["lane"]: r for r in rows(trace, "ends")}
    (napper,) = [i for i in lanes if s(trace, trace["lanes"]["name"][i]).startswith("napper")]
    assert ends[napper]["outcome"] == 0
    assert ends[napper]["t"] - trace["lanes"]["start"][napper] >= 250_000
    # tasks run in workers: one span per task with the function's name, on the worker's lane
    task_spans = [r for r in rows(trace, "spans") if r["lane"] in lanes and r["label"] >= 0]
    labels = [s(trace, r["label"]) for r in task_spans]
    assert labels.count("square") >= 6 + 1 + 1  # map items, apply, submit (executor.map may chunk)
    assert all(r["end"] >= r["start"] for r in task_spans)
    t.assert_processes_used(5)
    with pytest.raises(AssertionError, match="worker process"):
        t.assert_processes_used(50)


def test_cpu_samples_and_cores_busy():
    with threadline.trace(display=False) as t, mp.get_context("fork").Pool(2) as pool:
        pool.map(burn, [6_000_000] * 4)  # long enough (> 0.5 s) to be sampled several times
    trace = t.data
    cpu = rows(trace, "cpu")
    assert cpu, "per-core samples were taken"
    cores = {r["core"] for r in cpu}
    assert cores == set(range(os.cpu_count() or 1))
    assert any(r["util"] > 0 for r in cpu)
    assert 0 <= t.cores_busy(10) <= (os.cpu_count() or 1)
    assert t.cores_busy(10) >= 1, "the pool kept at least one core busy"


def _burn_then_wait(ready, stop):
    while time.process_time() < 0.1:
        pass
    ready.set()
    stop.wait(120)


def _first_look_samples(started_during_trace: bool) -> list[float]:
    """The CPU samples of a busy child after the sampler looked at it once (the child has burnt 0.1 s
    of CPU and waits, so nothing depends on timing)."""
    ctx = mp.get_context("fork")
    ready, stop = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_burn_then_wait, args=(ready, stop))
    if not started_during_trace:
        child.start()
        assert ready.wait(120)
    rec = Recorder(capacity=1000, block_threshold_s=0.1, label=None)
    sampler = Sampler(rec, sink=None, watch_idents=[], main_native={}, on_error=lambda exc: None)
    try:
        if started_during_trace:
            child.start()
            assert ready.wait(120)
        rec.raw_misc.append(("process_start", child.pid, "burner", time.perf_counter(), None, None, "processes"))
        rec.convert_misc()
        sampler.sample(time.perf_counter())
        lane = rec.pid_lane[child.pid]
        samples = rec.tables["samples"]
        return [cpu for at, cpu in zip(samples["lane"], samples["cpu"], strict=True) if at == lane]
    finally:
        stop.set()
        child.join()


def test_a_process_started_during_the_trace_is_sampled_at_the_first_look():
    # A fork pool whose work took less than two sampling intervals (~0.2 s) was never seen on a core:
    # the first look only took a baseline. Started during the trace, it used no CPU before its start.
    samples = _first_look_samples(started_during_trace=True)
    assert len(samples) == 1 and samples[0] > 0, samples


def test_a_process_older_than_the_trace_gets_no_invented_baseline():
    # its CPU before the trace is not the trace's: its first sample comes from the second look
    assert _first_look_samples(started_during_trace=False) == []


def test_the_first_tick_measures_the_cores_since_the_trace_began():
    # psutil.cpu_percent() keeps its last reading per calling thread: the sampler thread's first call
    # found none and gave every core 0 %, so a pool that ran within the first ~0.1 s kept no core busy.
    # In a fresh interpreter, so that no earlier thread with the same ident left a reading behind.
    script = """
import threading, time
from threadline.capture.sampler import Sampler
from threadline.record.recorder import Recorder
rec = Recorder(capacity=1000, block_threshold_s=0.1, label=None)
sampler = Sampler(rec, sink=None, watch_idents=[], main_native={}, on_error=print)
start = time.process_time()
while time.process_time() - start < 0.2:  # this process keeps a core busy
    pass
tick = threading.Thread(target=sampler.sample, args=(time.perf_counter(),))
tick.start()
tick.join()
print(max(rec.tables["cpu"]["util"]))
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert float(run.stdout) > 0, run.stdout + run.stderr


def test_effective_cpus(monkeypatch):
    host = os.cpu_count() or 1
    base = threadline.effective_cpus()
    assert 1 <= base <= host
    monkeypatch.setenv("CPU_LIMIT", "1")
    assert threadline.effective_cpus() == 1
    assert "CPU_LIMIT=1" in threadline.effective_cpus_reason()
    monkeypatch.setenv("CPU_LIMIT", "0.5")
    assert threadline.effective_cpus() == 1  # never below one
    monkeypatch.setenv("CPU_LIMIT", "1000")
    assert threadline.effective_cpus() == base
    monkeypatch.setenv("CPU_LIMIT", "nonsense")
    assert threadline.effective_cpus() == base


def test_cgroup_v2_quota_is_read(tmp_path, monkeypatch):
    from threadline.record import cpus

    (tmp_path / "cpu.max").write_text("150000 100000\n")
    (tmp_path / "cpu.stat").write_text("usage_usec 10\nthrottled_usec 4242\n")
    monkeypatch.setattr(cpus, "_cgroup_v2_dir", lambda: tmp_path)
    monkeypatch.delenv("CPU_LIMIT", raising=False)
    assert cpus.effective_cpus_exact() == min(1.5, cpus.effective_cpus_exact())
    if (os.cpu_count() or 1) >= 2 and len(os.sched_getaffinity(0)) >= 2:
        assert cpus.effective_cpus() == 1
        assert "cgroup cpu.max 150000/100000" in cpus.effective_cpus_reason()
    assert cpus.throttled_us() == 4242
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cpus.effective_cpus() == min(os.cpu_count() or 1, len(os.sched_getaffinity(0)))


def test_stdlib_helper_threads_are_not_counted_as_the_learners():
    with threadline.trace(display=False) as t, mp.get_context("fork").Pool(2) as pool:
        pool.map(square, range(4))
    assert t.threads_used() == 0
    groups = {s(t.data, g) for g in t.data["lanes"]["group"]}
    assert "helpers" in groups


def test_asyncios_child_watcher_threads_are_helpers():
    async def child() -> None:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
        await proc.wait()

    with threadline.trace(display=False) as t:
        asyncio.run(child())
    lanes = t.data["lanes"]
    waiters = [
        s(t.data, group)
        for name, group in zip(lanes["name"], lanes["group"], strict=True)
        if s(t.data, name).startswith("asyncio-waitpid")
    ]
    if sys.version_info < (3, 12):
        assert waiters, "3.11's child watcher waits for each child in a thread of its own"
    assert set(waiters) <= {"helpers"} and t.threads_used() == 0


def _synthetic(cpu_rows, sample_rows):
    """A minimal finished trace with given cpu (t, core, util) and samples (lane, t, cpu) rows."""

    def empty(*cols):
        return {c: [] for c in cols}

    trace = {
        "version": 2,
        "meta": {
            "t0_unix_us": 0,
            "pid": 1,
            "python": "3.11",
            "host_cpus": 2,
            "effective_cpus": 2,
            "effective_cpus_reason": "",
            "block_threshold_us": 100000,
            "dropped": 0,
            "capacity": 10,
            "duration_us": 1000,
        },
        "strings": ["w", "processes"],
        "lanes": {
            "kind": [2, 2],
            "name": [0, 0],
            "group": [1, 1],
            "parent": [-1, -1],
            "created_by": [-1, -1],
            "site": [-1, -1],
            "start": [0, 0],
            "os_id": [10, 11],
        },
        "ends": empty("lane", "t", "outcome", "detail", "cpu_us", "reason", "by"),
        "spans": empty("lane", "kind", "start", "end", "label", "lock"),
        "locks": empty("name", "kind", "site"),
        "acquires": empty("lock", "lane", "requested", "acquired", "released", "waiters"),
        "cpu": {"t": [r[0] for r in cpu_rows], "core": [r[1] for r in cpu_rows], "util": [r[2] for r in cpu_rows]},
        "samples": {
            "lane": [r[0] for r in sample_rows],
            "t": [r[1] for r in sample_rows],
            "core": [0] * len(sample_rows),
            "cpu": [r[2] for r in sample_rows],
        },
        "awaits": empty("lane", "target", "start", "end"),
    }
    validate(trace)
    return threadline.Trace(trace)


def test_cores_busy_counts_our_busy_workers_even_on_a_shared_machine():
    idle_parallel = _synthetic([(1, 0, 98.0), (1, 1, 97.0)], [(0, 1, 96.0), (1, 1, 95.0)])
    assert idle_parallel.cores_busy(50) == 2
    idle_serial = _synthetic([(1, 0, 99.0), (1, 1, 3.0)], [(0, 1, 98.0), (1, 1, 0.5)])
    assert idle_serial.cores_busy(20) == 1
    # both cores saturated, mostly by other programs: our two workers get ~15% each
    shared_parallel = _synthetic([(1, 0, 100.0), (1, 1, 100.0)], [(0, 1, 15.0), (1, 1, 14.0)])
    assert shared_parallel.cores_busy(20) == 2
    # saturated machine, one worker busy and one idle: still one core
    shared_serial = _synthetic([(1, 0, 100.0), (1, 1, 100.0)], [(0, 1, 30.0), (1, 1, 0.0)])
    assert shared_serial.cores_busy(20) == 1
    with pytest.raises(AssertionError, match="at least 2 cores busy"):
        shared_serial.assert_cores_busy(2, min_util=20)
