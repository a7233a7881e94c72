"""The background thread of a trace: samples cores, threads, processes and the loop's stack, and
turns raw events into columns, sending the new rows as a chunk at most 100 ms apart."""

from __future__ import annotations

import _thread
import os
import sys
import threading
import time
from collections.abc import Callable
from time import perf_counter
from typing import TYPE_CHECKING, Any

import psutil

from ..frames import PROBE_DIR
from ..schema import OUT_OK
from . import process_hooks

if TYPE_CHECKING:
    from ..record.recorder import Recorder

STACK_INTERVAL_S = 0.05  # two ticks per flush; a 100 ms blocking step gets one or two stack samples
FLUSH_INTERVAL_S = 0.099  # due on every second tick
DISCOVER_INTERVAL_S = 2.0
# Without a live listener, raw events are converted in batches once this many values wait (about
# 50k events, a few MB), and at the end: often enough to keep the raw buffers small whatever the
# trace's length, rarely enough that converting does not compete with the traced code for the GIL.
RAW_LIMIT = 250_000
_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def read_thread_stat(tid: int) -> tuple[int, float] | None:
    """(core last run on, CPU seconds) of one of our threads, from /proc/self/task/<tid>/stat."""
    try:
        with open(f"/proc/self/task/{tid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2 :].split()
    try:
        return int(fields[36]), (int(fields[11]) + int(fields[12])) / _CLK_TCK
    except (IndexError, ValueError):
        return None


class Sampler(threading.Thread):
    def __init__(
        self,
        rec: Recorder,
        *,
        sink: Callable[[dict[str, Any]], None] | None,
        watch_idents: list[int],
        main_native: dict[int, int],
        on_error: Callable[[BaseException], None],
    ) -> None:
        super().__init__(name="threadline-sampler", daemon=True)
        self.rec = rec
        self.sink = sink
        self.watch_idents = watch_idents
        # A raw lock held until stop(): acquire(timeout) is the tick, one C call per wakeup (an
        # Event's wait runs a Condition in Python, several times the CPU at 25 wakeups a second).
        self.running = _thread.allocate_lock()
        self.running.acquire()
        self.on_error = on_error
        self.me = psutil.Process()
        self.procs: dict[int, tuple[psutil.Process, float, float]] = {}  # pid -> (proc, last t, last cpu s)
        self.threads: dict[int, tuple[float, float]] = {}  # native id -> (last t, last cpu s)
        self.main_native = main_native  # native id -> lane of threads sampled from the start
        self.known_pids: set[int] = set()
        self.candidates: set[int] = set()
        psutil.cpu_percent(percpu=True)  # the first psutil sample is meaningless: discard it
        self.last_cpu_t = perf_counter()

    def run(self) -> None:
        next_flush = perf_counter() + FLUSH_INTERVAL_S
        next_discover = perf_counter() + 0.5
        try:
            while not self.running.acquire(True, STACK_INTERVAL_S):  # returns at once when stopped
                now = perf_counter()
                self.sample_stacks(now)
                if now >= next_discover:
                    next_discover = now + DISCOVER_INTERVAL_S
                    self.discover_processes()
                if now >= next_flush:
                    next_flush = now + FLUSH_INTERVAL_S
                    self.rec.convert_misc()  # new threads and processes are sampled from this tick on
                    self.sample(now)
                    self.flush()
        except BaseException as exc:  # report once, never kill the kernel
            self.on_error(exc)

    def sample_stacks(self, now: float) -> None:
        frames = sys._current_frames()
        samples = self.rec.stack_samples
        if len(samples) > 200_000:
            del samples[:100_000]
        try:
            for ident in self.watch_idents:
                frame = frames.get(ident)
                while frame is not None and frame.f_code.co_filename.startswith(PROBE_DIR):
                    frame = frame.f_back
                if frame is not None:
                    samples.append((now, ident, frame.f_code, frame.f_lineno))  # formatted only when used
        finally:
            # The dict holds this thread's own frame, whose locals hold the dict: a cycle that would
            # keep every sampled frame's locals (the program's objects) alive until the next GC.
            frames.clear()
            frame = None

    def discover_processes(self) -> None:
        pids = _descendant_pids()
        if pids is None:
            try:
                pids = [child.pid for child in self.me.children(recursive=True)]
            except psutil.Error:
                return
        for pid in pids:
            if pid in self.known_pids or pid in self.rec.pid_lane:
                continue
            # Processes started through multiprocessing are recorded (with their name) by the
            # start() hook; anything else is registered once it was seen twice.
            if pid not in self.candidates:
                self.candidates.add(pid)
                continue
            self.known_pids.add(pid)
            try:
                child = psutil.Process(pid)
                cmd = " ".join(child.cmdline())
                name = child.name()
                created = child.create_time()
            except psutil.Error:
                continue
            group = "helpers" if ("forkserver" in cmd or "resource_tracker" in cmd) else "processes"
            if "forkserver" in cmd:
                name = "forkserver"
            elif "resource_tracker" in cmd:
                name = "resource_tracker"
            t = self.rec.t0 + (created - self.rec.t0_unix_us / 1e6)
            self.rec.raw_misc.append(("process_start", pid, name, max(self.rec.t0, t), None, None, group))

    def sample(self, now: float) -> None:
        rec = self.rec
        t_us = rec.us(now)
        per_core = psutil.cpu_percent(percpu=True)
        rec.add_cpu(t_us, per_core)
        # Threads: ours plus the tracing thread.
        lanes = dict(self.main_native)
        lanes.update(rec.live_thread_lanes)
        for native_id, lane in lanes.items():
            stat = read_thread_stat(native_id)
            if stat is None:
                continue
            core, cpu_s = stat
            last = self.threads.get(native_id)
            self.threads[native_id] = (now, cpu_s)
            if last is not None and now > last[0]:
                rec.add_sample(lane, t_us, core, min(100.0, max(0.0, (cpu_s - last[1]) / (now - last[0]) * 100)))
        # Processes the trace knows about.
        for pid, lane in list(rec.pid_lane.items()):
            if pid in rec.ended_pids:
                self.procs.pop(pid, None)
                continue
            entry = self.procs.get(pid)
            try:
                proc = entry[0] if entry else psutil.Process(pid)
                with proc.oneshot():
                    status = proc.status()
                    times = proc.cpu_times()
                    core = proc.cpu_num()
                cpu_s = times.user + times.system
                process_hooks.last_cpu[pid] = cpu_s
                if status == psutil.STATUS_ZOMBIE:
                    raise psutil.NoSuchProcess(pid)
            except psutil.Error:
                self.procs.pop(pid, None)
                rec.raw_misc.append(("process_end", pid, now, OUT_OK, None, process_hooks.last_cpu.get(pid, 0.0)))
                continue
            self.procs[pid] = (proc, now, cpu_s)
            if entry is not None and now > entry[1]:
                rec.add_sample(lane, t_us, core, max(0.0, (cpu_s - entry[2]) / (now - entry[1]) * 100))

    def flush(self, final: bool = False) -> None:
        rec = self.rec
        if self.sink is None and not final:
            waiting = len(rec.raw_steps) + len(rec.raw_tasks) + len(rec.raw_ends) + len(rec.raw_gone)
            if waiting + len(rec.raw_acq) + sum(len(log) for _, log in rec.fast_logs) < RAW_LIMIT:
                rec.convert_misc()
                return
            rec.convert()
            return
        rec.convert(final=final)
        if self.sink is not None and (final or rec.seq == 0 or rec.has_new_rows()):
            self.sink(rec.chunk(final=final))

    def stop(self) -> None:
        if self.running.locked():
            self.running.release()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=5)
        try:
            self.sample(perf_counter())
        except Exception:
            pass


def _child_pids(pid: int | str) -> list[int] | None:
    """Direct children of a process from /proc/<pid>/task/*/children (None where the kernel has no
    such file): a few small reads, where psutil's children() reads the stat of every process."""
    out: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as fh:
                out.extend(int(x) for x in fh.read().split())
        except FileNotFoundError:
            if tid == str(pid) or pid == "self":
                return None
        except (OSError, ValueError):
            continue
    return out


def _descendant_pids() -> list[int] | None:
    """Our descendants' pids, or None when /proc cannot tell (then psutil is asked)."""
    direct = _child_pids("self")
    if direct is None:
        return None
    seen: list[int] = []
    todo = list(direct)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.append(pid)
        todo.extend(_child_pids(pid) or ())
    return seen


def wall_us() -> int:
    return int(time.time() * 1e6)
