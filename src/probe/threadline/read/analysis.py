"""Questions a grader asks of a finished trace, and assertions that explain themselves to learners."""

from __future__ import annotations

import bisect
import fnmatch
import json
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..schema import LANE_PROCESS, LANE_TASK, LANE_THREAD, SPAN_BLOCKED, SPAN_RUN
from .export import write_chrome_trace
from .fates import FateQueries
from .render import summary_text
from .upgrade import upgrade_trace

_LOCK_KINDS = ("Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition")
_NOT_COUNTED_GROUPS = ("main", "helpers", "never awaited")


@dataclass(frozen=True)
class LockStats:
    name: str
    kind: str
    acquisitions: int
    total_wait_s: float
    max_wait_s: float
    total_hold_s: float
    max_holders: int
    exclusive: bool


@dataclass(frozen=True)
class Block:
    duration_s: float
    location: str


class TraceQueries(FateQueries):
    """Mixin: every query reads ``self._trace_data()`` (a whole schema-v2 trace plus aliases); task
    fates and the await graph are in fates.py."""

    def _trace_data(self) -> TraceData:  # pragma: no cover - overridden
        raise NotImplementedError

    # -- data access ---------------------------------------------------------------------------
    @property
    def data(self) -> dict[str, Any]:
        """The whole trace as a schema-v2 dict (what is saved under the trace MIME type)."""
        return self._trace_data().as_lists()

    def to_json(self) -> str:
        return json.dumps(self.data, separators=(",", ":"))

    def to_chrome_trace(self, path: str) -> str:
        """Write Chrome Trace Event JSON (open it in https://ui.perfetto.dev or chrome://tracing)."""
        return write_chrome_trace(self.data, path)

    def summary(self) -> str:
        return summary_text(self.data)

    def lanes(self, pattern: str = "*") -> list[str]:
        data = self._trace_data()
        return [data.lane_name(i) for i in data.matching(pattern)]

    def lock_names(self) -> list[str]:
        data = self._trace_data()
        return [data.string(i) for i in data.trace["locks"]["name"]]

    # -- concurrency ---------------------------------------------------------------------------
    def max_concurrent(self, pattern: str = "*") -> int:
        """How many tasks/threads matching `pattern` (fnmatch on name or coroutine name) were alive at
        the same moment, not counting time spent waiting to acquire a lock or semaphore."""
        data = self._trace_data()
        events: list[tuple[int, int]] = []
        for lane in data.matching(pattern):
            for start, end in data.active_intervals(lane):
                if end > start:
                    events.append((start, 1))
                    events.append((end, -1))
        events.sort()
        best = now = 0
        for _, delta in events:
            now += delta
            best = max(best, now)
        return best

    def assert_max_concurrent(self, n: int, pattern: str = "*") -> None:
        got = self.max_concurrent(pattern)
        if got > n:
            raise AssertionError(
                f"Expected at most {n} {_what(pattern)} running at the same time, but {got} ran at once. "
                f"Hint: limit concurrency, e.g. with asyncio.Semaphore({n}) / threading.Semaphore({n}) "
                f"around the work, or a pool with {n} workers."
            )

    def assert_min_concurrent(self, n: int, pattern: str = "*") -> None:
        got = self.max_concurrent(pattern)
        if got < n:
            found = self._trace_data().matching(pattern)
            extra = "" if found else " No task or thread matched that name at all — check the pattern."
            raise AssertionError(
                f"Expected at least {n} {_what(pattern)} running at the same time, but at most {got} did.{extra} "
                "Hint: start them all before waiting for any (asyncio.gather / create_task, or start() every "
                "thread before join()), and make sure nothing serialises them (a lock held too long, an "
                "await inside a loop, time.sleep in a coroutine)."
            )

    def ran_concurrently(self, a: str, b: str) -> bool:
        """Whether some task/thread matching `a` and a different one matching `b` overlapped in time."""
        data = self._trace_data()
        left = [(lane, data.active_intervals(lane)) for lane in data.matching(a)]
        right = [(lane, data.active_intervals(lane)) for lane in data.matching(b)]
        for la, ia in left:
            for lb, ib in right:
                if la != lb and _overlap(ia, ib):
                    return True
        return False

    def assert_ran_concurrently(self, a: str, b: str) -> None:
        if not self.ran_concurrently(a, b):
            data = self._trace_data()
            missing = [p for p in (a, b) if not data.matching(p)]
            if missing:
                raise AssertionError(
                    f"Expected {a!r} and {b!r} to run concurrently, but nothing named {missing[0]!r} ran "
                    f"while tracing (seen: {', '.join(self.lanes()[:12]) or 'nothing'})."
                )
            raise AssertionError(
                f"Expected {a!r} and {b!r} to run at the same time, but one finished before the other started. "
                "Hint: start both before awaiting/joining either (asyncio.gather, create_task, or Thread.start() "
                "for both, then join())."
            )

    # -- locks ---------------------------------------------------------------------------------
    def lock_stats(self, name: str) -> LockStats:
        """Statistics of the lock(s) called `name` (a variable/attribute name, or a pattern)."""
        data = self._trace_data()
        indexes = data.locks_named(name)
        if not indexes:
            known = ", ".join(repr(n) for n in self.lock_names()) or "none"
            raise AssertionError(
                f"No lock called {name!r} was used while tracing (locks seen: {known}). "
                "Hint: use the lock inside the traced cell (with lock: …), and keep it in a variable, a list or "
                "an attribute of your object (a lock kept only inside a function made before the trace is not seen)."
            )
        acq = data.trace["acquires"]
        end_of_trace = data.duration_us
        total_wait = max_wait = total_hold = 0
        count = 0
        max_holders = 0
        chosen = set(indexes)
        holds: dict[int, list[tuple[int, int]]] = {i: [] for i in indexes}
        for lock, req, got, rel in zip(acq["lock"], acq["requested"], acq["acquired"], acq["released"], strict=True):
            if lock not in chosen:
                continue
            count += 1
            wait = max(0, got - req)
            total_wait += wait
            max_wait = max(max_wait, wait)
            end = rel if rel >= 0 else end_of_trace
            total_hold += max(0, end - got)
            if end > got:
                holds[lock].append((got, end))
        for spans in holds.values():
            events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
            now = 0
            for _, delta in events:
                now += delta
                max_holders = max(max_holders, now)
        kinds = sorted({data.string(data.trace["locks"]["kind"][i]) for i in indexes})
        return LockStats(
            name=name,
            kind=", ".join(kinds),
            acquisitions=count,
            total_wait_s=total_wait / 1e6,
            max_wait_s=max_wait / 1e6,
            total_hold_s=total_hold / 1e6,
            max_holders=max_holders,
            exclusive=max_holders <= 1,
        )

    def assert_lock_exclusive(self, name: str) -> None:
        stats = self.lock_stats(name)
        if not stats.exclusive:
            raise AssertionError(
                f"Expected {name!r} to be held by one at a time, but {stats.max_holders} held it at once "
                f"({stats.kind}). Hint: a Semaphore(n>1) lets n in together; use a Lock (or Semaphore(1)) to "
                "protect shared state."
            )

    def assert_lock_used(self, name: str, min_acquisitions: int = 1) -> None:
        stats = self.lock_stats(name)
        if stats.acquisitions < min_acquisitions:
            raise AssertionError(
                f"Expected {name!r} to be acquired at least {min_acquisitions} time(s), but it was acquired "
                f"{stats.acquisitions} time(s). Hint: wrap every access to the shared state in `with {name}:` "
                f"(or `async with {name}:`)."
            )

    # -- event loop ----------------------------------------------------------------------------
    def blocked_loop(self) -> list[Block]:
        data = self._trace_data()
        spans = data.trace["spans"]
        out = []
        for kind, start, end, label in zip(spans["kind"], spans["start"], spans["end"], spans["label"], strict=True):
            if kind == SPAN_BLOCKED:
                out.append(
                    (start, Block(duration_s=(end - start) / 1e6, location=data.string(label) or "unknown location"))
                )
        return [b for _, b in sorted(out, key=lambda item: item[0])]

    def assert_loop_not_blocked(self) -> None:
        blocks = self.blocked_loop()
        if blocks:
            worst = max(blocks, key=lambda b: b.duration_s)
            threshold_ms = self._trace_data().trace["meta"]["block_threshold_us"] / 1000
            raise AssertionError(
                f"The event loop was blocked {len(blocks)} time(s) for longer than {threshold_ms:.0f} ms; "
                f"the longest was {worst.duration_s * 1000:.0f} ms at {worst.location}. While a coroutine runs "
                "without awaiting, no other task can run. Hint: use `await asyncio.sleep(...)` instead of "
                "time.sleep, and move blocking or CPU-heavy calls to `await asyncio.to_thread(...)` or "
                "`loop.run_in_executor(...)`."
            )

    # -- cores, processes, threads -----------------------------------------------------------------
    def cores_busy(self, min_util: float = 50.0) -> int:
        """The most cores the traced program kept busy at one sampling moment: cores at least
        `min_util` % busy, counting no more than the program's own threads/processes that were busy
        then. On a machine shared with other programs a busy worker gets less than a whole core, so
        a lane counts as busy from `min_util` x the share of the machine the others left free."""
        data = self._trace_data()
        cpu = data.trace["cpu"]
        samples = data.trace["samples"]
        cores_at: dict[int, list[float]] = {}
        for t, util in zip(cpu["t"], cpu["util"], strict=True):
            cores_at.setdefault(t, []).append(util)
        lanes_at: dict[int, list[float]] = {}
        for t, value in zip(samples["t"], samples["cpu"], strict=True):
            lanes_at.setdefault(t, []).append(value)
        best = 0
        for t, utils in cores_at.items():
            busy_cores = sum(1 for u in utils if u >= min_util)
            ours = lanes_at.get(t, [])
            capacity = 100.0 * len(utils)
            others = max(0.0, sum(utils) - sum(ours))
            share = max(0.1, (capacity - others) / capacity) if capacity else 1.0
            busy_lanes = sum(1 for value in ours if value >= min_util * share)
            best = max(best, min(busy_cores, busy_lanes))
        return best

    def assert_cores_busy(self, n: int, min_util: float = 50.0) -> None:
        got = self.cores_busy(min_util)
        if got < n:
            meta = self._trace_data().trace["meta"]
            raise AssertionError(
                f"Expected at least {n} cores busy (≥ {min_util:.0f}%) at once, but at most {got} were. "
                f"This machine lets you use {meta['effective_cpus']:g} core(s) ({meta['effective_cpus_reason']}). "
                "Hint: threads cannot run Python code on several cores at once (the GIL); use processes "
                "(multiprocessing.Pool or ProcessPoolExecutor) for CPU-bound work, sized with "
                "threadline.effective_cpus(), and give each enough work to be sampled (≥ 0.2 s)."
            )

    def processes_used(self) -> int:
        data = self._trace_data()
        lanes = data.trace["lanes"]
        return sum(
            1
            for i, kind in enumerate(lanes["kind"])
            if kind == LANE_PROCESS and data.string(lanes["group"][i]) == "processes"
        )

    def assert_processes_used(self, n: int) -> None:
        got = self.processes_used()
        if got < n:
            raise AssertionError(
                f"Expected at least {n} worker process(es), but {got} were started while tracing. Hint: create "
                "the Pool/ProcessPoolExecutor inside the traced cell (a pool created earlier was started before "
                "tracing began), with an explicit size such as threadline.effective_cpus()."
            )

    def threads_used(self) -> int:
        data = self._trace_data()
        lanes = data.trace["lanes"]
        return sum(
            1
            for i, kind in enumerate(lanes["kind"])
            if kind == LANE_THREAD and data.string(lanes["group"][i]) == "threads"
        )

    def assert_threads_used(self, n: int) -> None:
        got = self.threads_used()
        if got < n:
            raise AssertionError(
                f"Expected at least {n} thread(s) besides the main one, but {got} ran while tracing. Hint: start "
                "threading.Thread objects (or a ThreadPoolExecutor) inside the traced cell."
            )


def _what(pattern: str) -> str:
    return "tasks/threads" if pattern == "*" else f"tasks/threads matching {pattern!r}"


def _overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    for s1, e1 in a:
        for s2, e2 in b:
            if min(e1, e2) > max(s1, s2):
                return True
    return False


class TraceData:
    """A whole trace with indexes for the queries."""

    def __init__(self, trace: dict[str, Any], aliases: dict[int, list[str]] | None = None) -> None:
        self.trace = trace
        self.aliases = aliases or {}
        meta = trace["meta"]
        self.duration_us: int = int(meta.get("duration_us") or self._last_time())
        self._end_of: dict[int, int] | None = None  # made on first use: a dict per lane is large
        self._runs: dict[int, list[tuple[int, int]]] | None = None
        self._waits: dict[int, list[tuple[int, int]]] | None = None

    def as_lists(self) -> dict[str, Any]:
        """The trace with plain lists for columns (a finished trace may keep them as compact arrays
        until its dict is asked for: JSON and the schema want lists)."""
        for table in self.trace.values():
            if isinstance(table, dict):
                for col, values in table.items():
                    if isinstance(values, array):
                        table[col] = values.tolist()
        return self.trace

    def _last_time(self) -> int:
        spans = self.trace["spans"]
        return max(spans["end"], default=0)

    def string(self, index: int) -> str:
        return self.trace["strings"][index] if 0 <= index < len(self.trace["strings"]) else ""

    def lane_name(self, lane: int) -> str:
        return self.string(self.trace["lanes"]["name"][lane])

    def matching(self, pattern: str) -> list[int]:
        lanes = self.trace["lanes"]
        out = []
        for i, kind in enumerate(lanes["kind"]):
            if kind not in (LANE_TASK, LANE_THREAD):
                continue
            if self.string(lanes["group"][i]) in _NOT_COUNTED_GROUPS:
                continue
            names = [self.lane_name(i), *self.aliases.get(i, [])]
            if any(fnmatch.fnmatchcase(n, pattern) for n in names):
                out.append(i)
        return out

    def locks_named(self, name: str) -> list[int]:
        names = [self.string(i) for i in self.trace["locks"]["name"]]
        exact = [i for i, n in enumerate(names) if n == name]
        if exact:
            return exact
        pattern = [i for i, n in enumerate(names) if fnmatch.fnmatchcase(n, name)]
        if pattern:
            return pattern
        return [i for i, n in enumerate(names) if n.endswith("." + name) or n.split("[")[0] == name]

    def _index_spans(self) -> None:
        runs: dict[int, list[tuple[int, int]]] = {}
        spans = self.trace["spans"]
        for lane, kind, start, end in zip(spans["lane"], spans["kind"], spans["start"], spans["end"], strict=True):
            if kind == SPAN_RUN:
                runs.setdefault(lane, []).append((start, end))
        for value in runs.values():
            value.sort()
        waits: dict[int, list[tuple[int, int]]] = {}
        lock_kinds = self.trace["locks"]["kind"]
        is_lock = [self.string(k).split(".")[-1] in _LOCK_KINDS for k in lock_kinds]
        acq = self.trace["acquires"]
        for lock, lane, req, got in zip(acq["lock"], acq["lane"], acq["requested"], acq["acquired"], strict=True):
            if got > req and 0 <= lock < len(is_lock) and is_lock[lock]:
                waits.setdefault(lane, []).append((req, got))
        self._runs = runs
        self._waits = waits

    def active_intervals(self, lane: int) -> list[tuple[int, int]]:
        """When the lane was alive (a task from its first step), minus lock waits."""
        if self._runs is None:
            self._index_spans()
        assert self._runs is not None and self._waits is not None
        lanes = self.trace["lanes"]
        kind = lanes["kind"][lane]
        runs = self._runs.get(lane, [])
        if kind == LANE_TASK:
            if not runs:
                return []
            start = runs[0][0]
        else:
            start = lanes["start"][lane]
        if self._end_of is None:
            ends = self.trace["ends"]
            self._end_of = dict(zip(ends["lane"], ends["t"], strict=True))
        end = self._end_of.get(lane, self.duration_us)
        waits = []
        starts = [s for s, _ in runs]
        for req, got in sorted(self._waits.get(lane, [])):
            if kind == LANE_TASK and starts:
                # The step that asked for the lock ran only to reach the acquire: count its whole
                # wait from the start of that step, so the queue at a semaphore never looks concurrent.
                i = bisect.bisect_right(starts, req) - 1
                if i >= 0 and runs[i][0] <= req <= runs[i][1]:
                    req = runs[i][0]
            waits.append((req, got))
        return _subtract((start, end), waits)


def _subtract(interval: tuple[int, int], holes: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    start, end = interval
    out = []
    cursor = start
    for hs, he in sorted(holes):
        if he <= cursor or hs >= end:
            continue
        if hs > cursor:
            out.append((cursor, hs))
        cursor = max(cursor, he)
    if cursor < end:
        out.append((cursor, end))
    return out


class Trace(TraceQueries):
    """A finished trace (e.g. loaded from a saved notebook output; an older schema is upgraded)."""

    def __init__(self, trace: dict[str, Any], aliases: dict[int, list[str]] | None = None) -> None:
        self._data = TraceData(upgrade_trace(trace), aliases)

    def _trace_data(self) -> TraceData:
        return self._data

    @classmethod
    def from_json(cls, text: str) -> Trace:
        return cls(json.loads(text))

    def __repr__(self) -> str:
        return self.summary()
