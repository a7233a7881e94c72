"""The trace buffer: raw events appended by the hooks, converted to schema-v2 columns in batches.

Hooks run on the learner's hot paths, so they only append flat values to plain lists (no tuples:
allocating millions of small tuples wakes the cyclic GC and doubles the cost). A single converter
(the sampler thread, or the tracing thread at the end) turns those into append-only columnar tables
under ``self.lock`` and remembers what it already sent, so a chunk holds only new rows.

Nothing here holds the learner's objects: tasks are keys (see capture/asyncio_hooks.py), what a task
waits on a label or a class, and the only reference to a task is weak (``task_refs``).
"""

from __future__ import annotations

import os
import platform
import threading
import time
import uuid
from array import array
from collections.abc import Callable
from functools import partial
from itertools import count, filterfalse
from operator import itemgetter
from time import perf_counter
from typing import Any

from ..frames import location_of_frame
from ..schema import (
    LANE_TASK,
    LANE_THREAD,
    TABLE_COLUMNS,
    TRACE_SCHEMA_VERSION,
)
from .acquires import ACQ_FIELDS, convert_acquires, convert_fast
from .columns import cached_entries, extend_q
from .cpus import effective_cpus_exact, effective_cpus_reason
from .fates import Fates
from .lives import THREAD_END_FIELDS, THREAD_START_FIELDS, convert_thread_ends, convert_thread_starts, who_lanes
from .misc import convert_misc_record
from .raw_buffers import raw_buffer, take_rows
from .step_buffer import StepBuffer
from .steps import convert_steps
from .tasks import (
    DETAILS_LIMIT,
    END_FIELDS,
    GONE_FIELDS,
    TASK_FIELDS,
    bind_lanes,
    close_tasks,
    end_tasks,
    forget_tasks,
    resolve_task_creators,
    resolve_task_rows,
)

_FLOAT_COLUMNS = {("cpu", "util"), ("samples", "cpu")}


# How often a conversion looks for tasks that finished unseen (close_tasks: it visits every live
# task, so doing it on every batch of a program with 20k live tasks cost more than the batch).
CLOSE_TASKS_INTERVAL_S = 0.5


def _new_tables() -> dict[str, dict[str, array]]:
    return {
        table: {col: array("d" if (table, col) in _FLOAT_COLUMNS else "q") for col in cols}
        for table, cols in TABLE_COLUMNS.items()
    }


class Recorder:
    """Raw event buffers plus the columnar trace they become."""

    def __init__(self, *, capacity: int, block_threshold_s: float, label: str | None) -> None:
        self.trace_id = uuid.uuid4().hex
        self.t0 = perf_counter()
        self.t0_unix_us = int(time.time() * 1e6)
        self.capacity = capacity
        self.block_threshold_s = block_threshold_s
        self.label = label
        self.duration_us: int | None = None
        self.dropped = 0
        self.events = 0
        self.lock = threading.RLock()
        self.strings: list[str] = []
        self.details_room = DETAILS_LIMIT  # distinct outcome details the table may still take (tasks.py)
        # called once the room is gone: the asyncio hooks then stop describing results
        self.stop_describing_results: Callable[[], None] = lambda: None
        self.string_index: dict[str, int] = {}
        self.tables = _new_tables()
        # each table's column appends, in column order: a row is one call per value (the arrays are
        # only ever appended to, never replaced)
        self.appends = {
            table: tuple(cols[col].append for col in TABLE_COLUMNS[table]) for table, cols in self.tables.items()
        }
        self._sent_rows = dict.fromkeys(TABLE_COLUMNS, 0)
        self._sent_strings = 0
        self.seq = 0
        # Raw, hot: flat lists, see *_FIELDS (raw_buffers.py: out of the cyclic GC).
        self.raw_steps: Any = StepBuffer()  # step_buffer.py
        self.raw_tasks: list[Any] = raw_buffer()
        self.raw_ends: list[Any] = raw_buffer()
        self.raw_gone: list[Any] = raw_buffer()
        self.raw_acq: list[Any] = raw_buffer()
        # Uncontended threading-lock acquisitions, one log per lock: (lock index, [thread ident,
        # acquired ns, released ns, ...]); only the lock's holder appends (see capture/locks/thread_locks.py).
        self.fast_logs: list[tuple[int, list[int]]] = []
        self.t0_ns = round(self.t0 * 1e9)
        # Raw, rare: tuples ("kind", ...) for threads, processes, locks, spans from hooks.
        self.raw_misc: list[tuple[Any, ...]] = []
        # Threads' starts and ends, flat (see THREAD_*_FIELDS in lives.py): hundreds a second in a
        # program that makes a loop per test, whose tuples made the GC's young passes come twice as often.
        self.raw_thread_starts: list[Any] = raw_buffer()
        self.raw_thread_ends: list[Any] = raw_buffer()
        self.lock_ids = count()
        self.lock_registry_lock = threading.Lock()
        # The weak references to the traced tasks alive (set by capture/asyncio_hooks.py).
        self.task_refs: Callable[[], list[Any]] = list
        # the weak references of tasks named by (keys, idents), None for those gone (TaskKeys.refs_of)
        self.task_refs_of: Callable[[list[int], list[int]], list[Any]] = lambda keys, idents: [None] * len(keys)
        # Resolution state (owned by the converter). A traced task's key k (-1, -2, … as tasks are
        # tracked, never reused) -> its lane at key_lanes[-k - 1] (-1: none), and whether that lane
        # has no end yet at key_open[-k - 1]: arrays, 9 bytes a task, no dict entry to make or drop.
        self.key_lanes = array("q")
        self.key_open = bytearray()
        # Records' "who" that is no traced task (an untraced task's name) -> its lane.
        self.untraced_lanes: dict[int | str, int] = {}
        self.unbound_creators: list[tuple[int, int]] = []  # (lane, task key): see lives.created_lanes
        # each lane's last step end (µs, -1: none yet), by lane: what a task that finished unseen
        # ended at (tasks.close_tasks); kept as long as the lanes by convert_steps
        self.lane_last_end = array("q")
        self.pending_suspend: dict[int, tuple[int, int]] = {}
        self.thread_lanes: dict[int, list[tuple[int, int]]] = {}
        self.live_thread_lanes: dict[int, int] = {}  # native id -> lane, for sampling
        self.pid_lane: dict[int, int] = {}
        self.ended_pids: set[int] = set()
        self.lane_names: list[str] = []
        self.lane_groups: list[str] = []
        self.label_cache: dict[Any, tuple[Any, int]] = {}  # id(code) or a future's class -> (code, label)
        # (task name or "", coroutine name, qualname) -> (lane name, its string index, aliases)
        self.lane_name_cache: dict[tuple[str, str, str], tuple[str, int, list[str]]] = {}
        # (id(code), line) -> (code, site string index): a task creation site, the code kept alive
        self.site_cache: dict[tuple[int, int], tuple[Any, int]] = {}
        self.blocked_hint: dict[tuple[Any, int], str] = {}  # (task key, step start us) -> site
        self.lane_aliases: dict[int, list[str]] = {}
        self.fates = Fates()  # cancel reasons, never-awaited coroutines, await edges
        self.tasks_closed_at = 0.0  # perf_counter() of the last close_tasks
        self.stack_samples: list[tuple[float, int, Any, int]] = []  # (t, thread ident, code, line)
        self.thread_name_of: Callable[[int], str | None] = lambda ident: None

    # ---- helpers -------------------------------------------------------------------------
    def us(self, t: float) -> int:
        return int((t - self.t0) * 1e6)

    def now_us(self) -> int:
        return int((perf_counter() - self.t0) * 1e6)

    def string(self, text: str | None) -> int:
        if text is None:
            return -1
        index = self.string_index.get(text)
        if index is None:
            index = len(self.strings)
            self.strings.append(text)
            self.string_index[text] = index
        return index

    def strings_of(self, texts: list[str]) -> list[int]:
        """``string`` of each text (none None), the new ones added together: a batch of threads
        or tasks brings a name each."""
        index = self.string_index
        new = list(filterfalse(index.__contains__, dict.fromkeys(texts)))
        if new:
            index.update(zip(new, range(len(self.strings), len(self.strings) + len(new)), strict=True))
            self.strings.extend(new)
        return list(map(index.__getitem__, texts))

    def site_index(self, code: Any, line: int) -> int:
        """The string index of "file.py:12 in f" for a code and line (-1 without a code)."""
        return self.sites_of([code], [line])[0]

    def sites_of(self, codes: list[Any], lines: list[int]) -> list[int]:
        """``site_index`` of each code and line, cached by the code's id (the code is kept, so its id
        stays its own while it is a key): each site missing is worked out once."""
        code_ids = list(map(id, codes))
        make = partial(self._site_entry, codes, code_ids)
        return list(map(itemgetter(1), cached_entries(self.site_cache, (code_ids, lines), make)))

    def _site_entry(self, codes: list[Any], code_ids: list[int], key: tuple[int, int]) -> None:
        code = codes[code_ids.index(key[0])]
        self.site_cache[key] = (code, -1 if code is None else self.string(location_of_frame(code, key[1])))

    def known_string(self, text: str) -> int:
        """The index of a string already in the table, else -1 (adds nothing)."""
        return self.string_index.get(text, -1)

    def row(self, table: str, *values: float) -> int:
        """Append a row (one value per column, in TABLE_COLUMNS' order); its index."""
        for append, value in zip(self.appends[table], values, strict=True):
            append(value)  # type: ignore[arg-type]
        return len(self.tables[table][TABLE_COLUMNS[table][0]]) - 1

    def event_row(self, table: str, *values: float) -> None:
        """A row that counts towards the capacity (spans, acquisitions, samples)."""
        if self.events >= self.capacity:
            self.dropped += 1
            return
        self.events += 1
        self.row(table, *values)

    def event_columns(self, table: str, n: int, **columns: bytes | list[int] | int) -> None:
        """``n`` rows that count towards the capacity, a column at a time (``add_rows``)."""
        take = min(n, max(0, self.capacity - self.events))
        self.events += take
        self.dropped += n - take
        self.add_rows(table, take, **columns)

    def add_rows(self, table: str, n: int, **columns: bytes | list[int] | int) -> None:
        """The first ``n`` rows of the columns given (all of the table's): each column int64 bytes, a
        list of ints, or one int for every row."""
        if columns.keys() != set(TABLE_COLUMNS[table]):
            raise ValueError(f"{table} rows need the columns {TABLE_COLUMNS[table]}")
        if not n:
            return
        cols = self.tables[table]
        for name, values in columns.items():
            if isinstance(values, int):
                cols[name].extend(array("q", [values]) * n)
            elif isinstance(values, bytes):
                cols[name].frombytes(values[: n * 8])
            else:
                extend_q(cols[name], values if len(values) == n else values[:n])

    def add_lane(
        self,
        kind: int,
        name: str,
        group: str,
        *,
        parent: int = -1,
        created_by: int = -1,
        site: int = -1,
        start_us: int = 0,
        os_id: int = -1,
    ) -> int:
        """A new lane's index; ``site`` is a string index (``string``, ``site_index``), -1 for none."""
        kind_, name_, group_, parent_, created_by_, site_, start_, os_id_ = self.appends["lanes"]
        with self.lock:
            lane = len(self.lane_names)
            self.lane_names.append(name)
            self.lane_groups.append(group)
            kind_(kind)
            name_(self.string(name))
            group_(self.string(group))
            parent_(parent)
            created_by_(created_by)
            site_(site)
            start_(start_us)
            os_id_(os_id)
            return lane

    def add_lanes(
        self,
        kind: int,
        names: list[str],
        groups: list[str] | str,
        *,
        created_by: list[int],
        sites: list[int] | bytes,
        starts: list[int],
        os_ids: list[int] | int,
        name_indexes: list[int] | bytes | None = None,
    ) -> int:
        """Lanes made in a batch (tasks, threads), a column at a time; the first one's index.
        ``groups``: one group name a lane, or one for all; ``name_indexes``: the names' string
        indexes, when already known (int columns: lists, or int64 bytes, see ``add_rows``)."""
        n = len(names)
        with self.lock:
            first = len(self.lane_names)
            self.lane_names.extend(names)
            if isinstance(groups, str):
                self.lane_groups.extend([groups] * n)
                group_indexes: list[int] | int = self.string(groups)
            else:
                self.lane_groups.extend(groups)
                group_indexes = self.strings_of(groups)
            self.add_rows(
                "lanes",
                n,
                kind=kind,
                name=name_indexes if name_indexes is not None else self.strings_of(names),
                group=group_indexes,
                parent=-1,
                created_by=created_by,
                site=sites,
                start=starts,
                os_id=os_ids,
            )
            return first

    def add_span(
        self, lane: int, kind: int, start_us: int, end_us: int, label: str | None = None, lock: int = -1
    ) -> None:
        with self.lock:
            self.event_row("spans", lane, kind, start_us, max(start_us, end_us), self.string(label), lock)

    def add_cpu(self, t_us: int, per_core: list[float]) -> None:
        with self.lock:
            for core, util in enumerate(per_core):
                self.event_row("cpu", t_us, core, float(util))

    def add_sample(self, lane: int, t_us: int, core: int, cpu: float) -> None:
        with self.lock:
            self.event_row("samples", lane, t_us, core, float(cpu))

    def register_thread_lanes(self, idents: list[int], starts_us: list[int], first_lane: int) -> None:
        """Threads' lanes, first_lane and on, in the history of their idents (see who_lanes)."""
        add = self.thread_lanes.setdefault
        for ident, entry in zip(
            idents, zip(starts_us, range(first_lane, first_lane + len(idents)), strict=True), strict=True
        ):
            add(ident, []).append(entry)

    def lane_of_ident(self, ident: int, t_us: int) -> int:
        lane = who_lanes([ident], [t_us], self.thread_lanes, self.key_lanes)[0]
        if lane >= 0:
            return lane
        # A thread that existed before tracing (or was not started through threading.Thread).
        name = self.thread_name_of(ident) or f"thread {ident}"
        lane = self.add_lane(LANE_THREAD, name, "threads", start_us=0)
        self.register_thread_lanes([ident], [-(2**62)], lane)
        return lane

    # ---- conversion ----------------------------------------------------------------------
    def convert(self, final: bool = False) -> None:
        """Move raw events into the tables (called by one thread at a time; ``final`` at the end)."""
        with self.lock:
            # Consumers before producers: an acquisition or step is always appended after the
            # record that creates its lane, so taking these first never sees an unknown lane. A
            # task's end and destruction come after all its other records: taken first, used last.
            gone = take_rows(self.raw_gone, GONE_FIELDS)
            ends = take_rows(self.raw_ends, END_FIELDS)
            acq = take_rows(self.raw_acq, ACQ_FIELDS)
            fast = []
            for lock, log in list(self.fast_logs):
                n = len(log) // 3 * 3  # a holder may be half-way through appending its three
                if n:
                    fast.append((lock, log[:n]))
                    del log[:n]
            rows, extras = self.raw_steps.take()
            thread_ends = take_rows(self.raw_thread_ends, THREAD_END_FIELDS)
            thread_starts = take_rows(self.raw_thread_starts, THREAD_START_FIELDS)
            misc = take_rows(self.raw_misc, 1)
            tasks = take_rows(self.raw_tasks, TASK_FIELDS)

            # Task lanes before the rest: a thread or span in misc may name a task of this batch as
            # its creator; a task made by a thread of this batch gets its creator after misc.
            made_by_threads = resolve_task_rows(self, tasks)
            self.bind_creators()
            self._convert_rare(thread_starts, misc, thread_ends)
            resolve_task_creators(self, made_by_threads)
            convert_steps(self, rows, extras)
            convert_acquires(self, acq)
            convert_fast(self, fast)
            self.fates.convert(self)
            end_tasks(self, ends)
            now = perf_counter()
            if final or now - self.tasks_closed_at >= CLOSE_TASKS_INTERVAL_S:
                self.tasks_closed_at = now
                close_tasks(self)
            forget_tasks(self, gone)

    def convert_misc(self) -> None:
        """Only the rare events (threads, processes, locks): cheap, so the sampler can see new lanes
        without converting the hot buffers. Safe to run early: it only creates lanes and rows (a
        creator whose task lane is not made yet is bound by the next convert, see lives.created_lanes)."""
        with self.lock:
            thread_ends = take_rows(self.raw_thread_ends, THREAD_END_FIELDS)
            thread_starts = take_rows(self.raw_thread_starts, THREAD_START_FIELDS)
            self._convert_rare(thread_starts, take_rows(self.raw_misc, 1), thread_ends)

    def _convert_rare(self, thread_starts: list[Any], misc: list[tuple[Any, ...]], thread_ends: list[Any]) -> None:
        """Threads' starts first (a record in misc may name a thread as its maker), their ends last
        (taken before the starts: an end is appended after its start)."""
        convert_thread_starts(self, thread_starts)
        for item in misc:
            convert_misc_record(self, item)
        convert_thread_ends(self, thread_ends)

    def bind_creators(self) -> None:
        """lives.created_lanes' creators whose task lanes were made since (called under self.lock)."""
        if not self.unbound_creators:
            return
        created_by = self.tables["lanes"]["created_by"]
        still = []
        for made, key in self.unbound_creators:
            lane = self.lane_of_key(key)
            if lane is None:
                still.append((made, key))
            else:
                created_by[made] = lane
        self.unbound_creators = still

    def who_lane(self, who: int | str, t_us: int) -> int:
        """The lane of a record's 'who': a thread ident (positive), a traced task's key (negative),
        or the name of a task that is not traced (one lane per name)."""
        if isinstance(who, int) and who >= 0:
            return self.lane_of_ident(who, t_us)
        lane = self.lane_of_key(who) if isinstance(who, int) else None
        if lane is None:
            lane = self.untraced_lanes.get(who)
        if lane is None:
            name = who if isinstance(who, str) else "task"
            lane = self.add_lane(LANE_TASK, name, "asyncio", start_us=t_us)
            self.untraced_lanes[who] = lane
        return lane

    def lane_of_key(self, key: int) -> int | None:
        """The lane of a traced task's key (None before its creation is converted)."""
        i = -key - 1
        lane = self.key_lanes[i] if 0 <= i < len(self.key_lanes) else -1
        return lane if lane >= 0 else None

    def bind_task_lanes(self, keys: list[int], first_lane: int, *, open_: bool = True) -> None:
        """Traced tasks' lanes, found by key: the i-th key's is first_lane + i. ``open_``: their ends
        are the converter's to write (end_tasks), not another owner's (the cell's task)."""
        missing = -min(keys) - len(self.key_lanes)
        if missing > 0:
            self.key_lanes.extend(array("q", [-1]) * missing)
            self.key_open.extend(bytes(missing))
        bind_lanes(keys, first_lane, self.key_lanes, self.key_open, open_)

    # ---- output --------------------------------------------------------------------------
    def meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "t0_unix_us": self.t0_unix_us,
            "pid": os.getpid(),
            "python": platform.python_version(),
            "host_cpus": os.cpu_count() or 1,
            "effective_cpus": effective_cpus_exact(),
            "effective_cpus_reason": effective_cpus_reason(),
            "block_threshold_us": int(self.block_threshold_s * 1e6),
            "dropped": self.dropped,
            "capacity": self.capacity,
        }
        if self.duration_us is not None:
            meta["duration_us"] = self.duration_us
        if self.label:
            meta["label"] = self.label
        return meta

    def has_new_rows(self) -> bool:
        """Whether a chunk would carry anything (the live path skips empty ones)."""
        with self.lock:
            return len(self.strings) > self._sent_strings or any(
                len(cols[TABLE_COLUMNS[table][0]]) > self._sent_rows[table] for table, cols in self.tables.items()
            )

    def chunk(self, final: bool) -> dict[str, Any]:
        """The rows added since the previous chunk, as a TraceChunk."""
        with self.lock:
            out: dict[str, Any] = {
                "version": TRACE_SCHEMA_VERSION,
                "trace_id": self.trace_id,
                "seq": self.seq,
                "final": final,
                "strings": self.strings[self._sent_strings :],
            }
            if self.seq == 0 or final:
                out["meta"] = self.meta()
            self._sent_strings = len(self.strings)
            for table, cols in self.tables.items():
                sent = self._sent_rows[table]
                out[table] = {col: values[sent:].tolist() for col, values in cols.items()}
                self._sent_rows[table] = len(cols[TABLE_COLUMNS[table][0]])
            self.seq += 1
            return out

    def whole(self, *, compact: bool = False) -> dict[str, Any]:
        """Everything recorded, as a Trace; ``compact`` keeps the columns as arrays (8 bytes a value
        instead of a list's 36: what a finished trace keeps until someone asks for its dict)."""
        with self.lock:
            return {
                "version": TRACE_SCHEMA_VERSION,
                "meta": self.meta(),
                "strings": list(self.strings),
                **{
                    table: {col: values if compact else values.tolist() for col, values in cols.items()}
                    for table, cols in self.tables.items()
                },
            }
