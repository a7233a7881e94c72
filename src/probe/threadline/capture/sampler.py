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
from ..record.step_buffer import STEP_FIELDS
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


def core_times() -> list[tuple[float, float]]:
    """(busy, total) seconds of each core since boot. Differences are taken here, not with
    psutil.cpu_percent(), which keeps its last reading per calling thread: the sampler thread's
    first call found none (every core 0 % at its first tick), and stop() samples from another thread."""
    out = []
    for times in psutil.cpu_times(percpu=True):
        # guest time is counted in user time too
        total = sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
        out.append((total - times.idle - getattr(times, "iowait", 0.0), total))
    return out


def started_ago(pid: int) -> float | None:
    """Seconds since a process started (its start time in /proc/<pid>/stat, clock ticks since boot,
    the clock of CLOCK_BOOTTIME), or None where the system cannot tell."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
        now = time.clock_gettime(time.CLOCK_BOOTTIME)
        return max(0.0, now - int(data[data.rfind(b")") + 2 :].split()[19]) / _CLK_TCK)
    except (OSError, AttributeError, IndexError, ValueError):
        return None


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
        self.core_times = core_times()

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
        cores = core_times()
        per_core = [
            min(100.0, max(0.0, (busy - busy0) / (total - total0) * 100)) if total > total0 else 0.0
            for (busy, total), (busy0, total0) in zip(cores, self.core_times, strict=False)
        ]
        self.core_times = cores
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
                if entry is None:
                    entry = self.first_look(proc, now)
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

    def first_look(self, proc: psutil.Process, now: float) -> tuple[psutil.Process, float, float] | None:
        """The baseline of a process seen for the first time: one started during the trace had used
        no CPU at its start, so this look already gives a sample (without it, a worker's first
        sample came a whole interval later, and a pool that did its work within ~0.2 s was never
        seen on a core). A process older than the trace gives none until the next look."""
        ago = started_ago(proc.pid)
        # the start time is whole clock ticks (rounded down): a worker forked just after the trace
        # began may look a tick older than it
        if ago is None or now - ago < self.rec.t0 - 1 / _CLK_TCK:
            return None
        return (proc, now - ago, 0.0)

    def flush(self, final: bool = False) -> None:
        rec = self.rec
        if self.sink is None and not final:
            waiting = len(rec.raw_steps) * STEP_FIELDS + len(rec.raw_tasks) + len(rec.raw_ends) + len(rec.raw_gone)
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
