"""asyncio tasks as the converter sees them: raw creations become lanes, what a suspension awaited
becomes a readable label, and a finished task its outcome.

Called by ``Recorder.convert`` under its lock; the hooks in ``capture`` only append raw values.
"""

from __future__ import annotations

from array import array
from functools import partial
from itertools import chain, compress, filterfalse, islice, repeat
from operator import is_not, itemgetter, mul, sub
from struct import Struct
from typing import TYPE_CHECKING, Any

from ..capture.compiled import speedups
from ..schema import LANE_TASK, OUT_CANCELLED, OUT_DESTROYED
from .columns import cached_entries, extend_q, positions
from .outcomes import cancel_requested, task_outcome

if TYPE_CHECKING:
    from .recorder import Recorder

# task key, start (µs since the trace's start), creator (task key or thread ident), code, line,
# ident(task) (what TaskKeys finds it by), coro name, qualname
TASK_FIELDS = 8
# task key, end (µs since the trace's start), outcome, detail, task name ("" for a default one),
# whether it was asked to cancel: read when the task's last step ended
END_FIELDS = 6
GONE_FIELDS = 2  # task key, t: the task object was destroyed before its end was recorded

# How many distinct outcome details (a result's repr, an error's message) a trace adds to its
# string table (thousands of tasks each returning its own value would otherwise cost a string each,
# and its conversion). Past them, results are no longer described (the step hook stops making their
# repr: Recorder.stop_describing_results), and an error's or a cancellation's message is kept when
# it is in the table already.
DETAILS_LIMIT = 5_000

_PACK_Q = Struct("q").pack


_QUALNAME_LABELS = {
    "sleep": "sleep",
    "Lock.acquire": "asyncio.Lock",
    "Event.wait": "asyncio.Event",
    "Condition.wait": "asyncio.Condition",
    "Condition.wait_for": "asyncio.Condition",
    "Semaphore.acquire": "asyncio.Semaphore",
    "Queue.get": "asyncio.Queue get",
    "Queue.put": "asyncio.Queue put",
    "Queue.join": "asyncio.Queue join",
    "wait": "asyncio.wait",
    "_wait": "asyncio.wait",
    "wait_for": "asyncio.wait_for",
    "to_thread": "thread (to_thread)",
    "TaskGroup.__aexit__": "TaskGroup",
    "TaskGroup._aexit": "TaskGroup",
    "Timeout.__aexit__": "timeout",
    "StreamReader._wait_for_data": "I/O (stream read)",
    "StreamReader.read": "I/O (stream read)",
    "StreamReader.readline": "I/O (stream read)",
    "StreamReader.readexactly": "I/O (stream read)",
    "StreamWriter.drain": "I/O (stream write)",
    "FlowControlMixin._drain_helper": "I/O (stream write)",
    "open_connection": "I/O (connect)",
    "BaseEventLoop.create_connection": "I/O (connect)",
    "BaseEventLoop.getaddrinfo": "I/O (DNS)",
    "BaseSelectorEventLoop.sock_recv": "I/O (socket)",
    "BaseSelectorEventLoop.sock_sendall": "I/O (socket)",
    "BaseSelectorEventLoop.sock_connect": "I/O (socket)",
    "BaseSelectorEventLoop.sock_accept": "I/O (socket)",
}


def describe_label(rec: Recorder, waiter: Any) -> int:
    """String index of a label for what a task waits on: a label already, or (the class of the
    future it waits on, the code of the innermost coroutine awaiting it)."""
    if isinstance(waiter, str):
        return rec.string(waiter)
    fut_type, code = waiter
    # a code object by id (its hash hashes its constants); the cache keeps it alive, so the id stays its own
    key = id(code) if code is not None else fut_type
    cached = rec.label_cache.get(key)
    if cached is not None:
        return cached[1]
    if code is not None:
        qualname = getattr(code, "co_qualname", code.co_name)
        label = _QUALNAME_LABELS.get(qualname)
        if label is None:
            filename = code.co_filename.replace("\\", "/")
            if "/asyncio/" in filename and (
                "selector_events" in filename or "streams" in filename or "proactor" in filename
            ):
                label = f"I/O ({qualname})"
            else:
                label = f"await {qualname}"
    else:
        name = fut_type.__name__
        label = "gather" if name == "_GatheringFuture" else ("future" if name == "Future" else name)
    index = rec.string(label)
    rec.label_cache[key] = (code, index)
    return index


def resolve_task_rows(rec: Recorder, tasks: list[Any]) -> list[tuple[int, Any, int]]:
    """Turn raw task creations into lanes (called by the converter under rec.lock), column by column:
    one of these per task, so nothing is looked up twice (names and sites are cached). Returns the
    (lane, creator, start) of tasks whose creator is not a traced task (resolve_task_creators)."""
    n = len(tasks) // TASK_FIELDS
    if not n:
        return []
    base = len(rec.lane_names)
    keys = tasks[0::TASK_FIELDS]
    starts = tasks[1::TASK_FIELDS]
    # Lanes first (a creator may be a task of this batch), in creation order.
    rec.bind_task_lanes(keys, base)
    # What names and places a lane: the task's own name (read now, if it lives), its
    # coroutine's names, the code and line that made it.
    coro_names = tasks[6::TASK_FIELDS]
    described = [
        task_names(rec.task_refs_of(keys, tasks[5::TASK_FIELDS]), coro_names),
        coro_names,
        tasks[7::TASK_FIELDS],  # qualified names
        tasks[3::TASK_FIELDS],  # codes
        tasks[4::TASK_FIELDS],  # lines
    ]
    # Tasks made one after another at one line by one coroutine (a gather's or a TaskGroup's
    # children) share these objects: each run of them is described once.
    starts_of_runs = run_starts(*described)
    counts = list(map(sub, [*starts_of_runs[1:], n], starts_of_runs))
    run_names, run_name_indexes, run_sites, run_aliases = _describe_lanes(
        rec, *(list(map(column.__getitem__, starts_of_runs)) for column in described)
    )
    creators = tasks[2::TASK_FIELDS]
    created = lanes_of_keys(creators, rec.key_lanes)  # mostly a task's (-1 for a thread's ident)
    rec.add_lanes(
        LANE_TASK,
        _spread(run_names, counts),
        "asyncio",
        created_by=created,
        sites=_spread_q(run_sites, counts),
        starts=starts,
        os_ids=-1,
        name_indexes=_spread_q(run_name_indexes, counts),
    )
    # the name cache's lists, shared by the lanes of a run: never changed in place (see _rename)
    for start, count, aliases in zip(starts_of_runs, counts, run_aliases, strict=True):
        if aliases:
            rec.lane_aliases.update(dict.fromkeys(range(base + start, base + start + count), aliases))
    return [(base + i, creators[i], starts[i]) for i in positions(created, -1) if creators[i] is not None]


def _describe_lanes(
    rec: Recorder,
    task_names: list[str],
    coro_names: list[Any],
    qualnames: list[Any],
    codes: list[Any],
    lines: list[int],
) -> tuple[list[str], list[int], list[int], list[list[str]]]:
    """Each row's lane name, its string index, its site's string index and the name's aliases, from
    the caches (only what a cache misses is worked out)."""
    named = cached_entries(rec.lane_name_cache, (task_names, coro_names, qualnames), partial(_lane_name_entry, rec))
    return (
        list(map(itemgetter(0), named)),
        list(map(itemgetter(1), named)),
        rec.sites_of(codes, lines),
        list(map(itemgetter(2), named)),
    )


def _spread(values: list[Any], counts: list[int]) -> list[Any]:
    """values[i] counts[i] times, one after another."""
    if len(values) == 1:
        return values * counts[0]
    return list(chain.from_iterable(map(repeat, values, counts)))


def _spread_q(values: list[int], counts: list[int]) -> bytes:
    """``_spread`` as native int64 bytes (what ``Recorder.add_rows`` copies in): a run at a time."""
    return b"".join(map(mul, map(_PACK_Q, values), counts))


def py_run_starts(*columns: list[Any]) -> list[int]:
    """The rows where a run begins, row i being the i-th item of every column (lists of one length;
    twin of ``_speedups.run_starts``): a row continues a run when each of its items is the very
    object of the row before."""
    if not columns or any(len(column) != len(columns[0]) for column in columns):
        raise TypeError("run_starts(*columns): lists of one length")
    rows = list(zip(*columns, strict=True))
    return [i for i, row in enumerate(rows) if i == 0 or any(map(is_not, row, rows[i - 1]))]


run_starts = speedups.run_starts if speedups is not None else py_run_starts


def resolve_task_creators(rec: Recorder, made: list[tuple[int, Any, int]]) -> None:
    """The created_by of tasks made by threads or untraced tasks: their lanes, found or made now."""
    created_col = rec.tables["lanes"]["created_by"]
    for lane, creator, start in made:
        created_col[lane] = rec.who_lane(creator, start)


def _lane_name_entry(rec: Recorder, key: tuple[str, Any, Any]) -> None:
    """A lane name cache entry: (name, its string index, aliases)."""
    task_name, coro_name, qualname = key
    name, aliases = lane_name(task_name, str(coro_name), str(qualname))
    rec.lane_name_cache[key] = (name, rec.string(name), aliases)


def py_task_names(refs: list[Any], coro_names: list[Any]) -> list[str]:
    """The names of the tasks behind weak references (twin of ``_speedups.task_names``): "" for a
    task gone (its reference dead, or None), or with a default name ("Task-12") when its coroutine
    has a name (the lane is named after the coroutine then, see lane_name)."""
    names = []
    for ref, coro_name in zip(refs, coro_names, strict=True):
        task = ref() if ref is not None else None
        name = _name_of(task) if task is not None else ""
        names.append("" if name and coro_name and is_default_name(name) else name)
    return names


task_names = speedups.task_names if speedups is not None else py_task_names


def _name_of(task: Any) -> str:
    try:
        return str(task.get_name())
    except Exception:
        return "task"


def is_default_name(task_name: str) -> bool:
    return task_name.startswith("Task-") and task_name[5:].isdigit()


def lane_name(task_name: str, coro_name: str, qualname: str) -> tuple[str, list[str]]:
    """Readable lane name: the task's own name if the learner set one, else its coroutine's name.
    The other names (task name, coroutine name and qualified name) stay as aliases for matching."""
    if (not task_name or is_default_name(task_name)) and coro_name:
        # a default name ("Task-12") is not kept: it says nothing, and costs memory on every task
        name, others = coro_name, (qualname,)
    else:
        name, others = task_name or "task", (coro_name, qualname)
    return name, [a for a in dict.fromkeys(others) if a and a != name]


def _rename(rec: Recorder, lane: int, name: str) -> None:
    """A task named after its lane was made (not by default): that name, the old one an alias."""
    if is_default_name(name):
        return
    rec.lane_aliases[lane] = [*rec.lane_aliases.get(lane, ()), rec.lane_names[lane]]  # a list of its own
    rec.lane_names[lane] = name
    rec.tables["lanes"]["name"][lane] = rec.string(name)


def _detail_index(rec: Recorder, detail: str | None) -> int:
    if detail is None:
        return -1
    index = rec.known_string(detail)
    if index < 0 and rec.details_room > 0:
        rec.details_room -= 1
        index = rec.string(detail)
        if not rec.details_room:
            rec.stop_describing_results()
    return index


def py_lanes_of_keys(keys: list[Any], key_lanes: array) -> list[int]:
    """The lane of each traced task's key (twin of ``_speedups.lanes_of_keys``): -1 for anything
    else (a thread's ident, None, a key not yet bound)."""
    known = len(key_lanes)
    return [key_lanes[-key - 1] if key.__class__ is int and 0 < -key <= known else -1 for key in keys]


def py_close_lanes(keys: list[int], key_lanes: array, key_open: bytearray) -> list[int]:
    """The lanes of the keys whose lanes are open, closed now (twin of ``_speedups.close_lanes``):
    -1 for a key without an open lane, so a task's end is written once."""
    lanes = []
    known = len(key_open)
    for key in keys:
        i = -key - 1 if key.__class__ is int else -1
        if 0 <= i < known and key_open[i]:
            key_open[i] = 0
            lanes.append(key_lanes[i])
        else:
            lanes.append(-1)
    return lanes


def py_bind_lanes(keys: list[int], first_lane: int, key_lanes: array, key_open: bytearray, open_: bool) -> None:
    """Key i of ``keys`` gets the lane ``first_lane + i``, open or not (twin of
    ``_speedups.bind_lanes``); each key has its place in both arrays already."""
    n = len(keys)
    first = -keys[0] - 1 if n else 0
    room = min(len(key_lanes), len(key_open))
    if n and first >= 0 and first + n <= room and keys == list(range(keys[0], keys[0] - n, -1)):
        # tracked one after another: one slice
        key_lanes[first : first + n] = array("q", range(first_lane, first_lane + n))
        key_open[first : first + n] = bytes([open_]) * n
        return
    for i, key in enumerate(keys):
        if not (key.__class__ is int and 0 < -key <= room):
            raise ValueError(f"bind_lanes: item {i} is no task key with a place in the arrays")
        key_lanes[-key - 1] = first_lane + i
        key_open[-key - 1] = open_


lanes_of_keys = speedups.lanes_of_keys if speedups is not None else py_lanes_of_keys
bind_lanes = speedups.bind_lanes if speedups is not None else py_bind_lanes
close_lanes = speedups.close_lanes if speedups is not None else py_close_lanes


def end_task(
    rec: Recorder, key: int, end: int, outcome: int, detail: str | None, name: str = "", cancel_called: bool = False
) -> None:
    """The ends row of a task's lane, once (its name too, if the task was named after creation)."""
    lane = close_lanes([key], rec.key_lanes, rec.key_open)[0]
    if lane >= 0:
        _write_end(rec, key, lane, end, outcome, detail, name, cancel_called)


def _write_end(
    rec: Recorder, key: int, lane: int, end: int, outcome: int, detail: str | None, name: str, cancel_called: bool
) -> None:
    if cancel_called:
        rec.fates.cancel_called(key)
    if name and name != rec.lane_names[lane]:
        _rename(rec, lane, name)
    rec.pending_suspend.pop(lane, None)
    reason, by = rec.fates.ended(rec, key, lane, end, outcome)
    ends = rec.tables["ends"]  # rec.row without its loop
    ends["lane"].append(lane)
    ends["t"].append(end)
    ends["outcome"].append(outcome)
    ends["detail"].append(_detail_index(rec, detail))
    ends["cpu_us"].append(-1)
    ends["reason"].append(reason)
    ends["by"].append(by)


def end_tasks(rec: Recorder, ends: list[Any]) -> None:
    """The ends rows of tasks whose last step ended (end_task for each, gathered into columns)."""
    if not ends:
        return
    keys = ends[0::END_FIELDS]
    lanes = close_lanes(keys, rec.key_lanes, rec.key_open)
    times = ends[1::END_FIELDS]
    outcomes = ends[2::END_FIELDS]
    texts = ends[3::END_FIELDS]
    names = ends[4::END_FIELDS]
    asked = ends[5::END_FIELDS]
    if -1 in lanes:  # ended before (should not happen): no second row
        keep = [i for i, lane in enumerate(lanes) if lane >= 0]
        columns = (keys, lanes, times, outcomes, texts, names, asked)
        keys, lanes, times, outcomes, texts, names, asked = ([column[i] for i in keep] for column in columns)
    if any(names):  # named after their lanes were made
        lane_names = rec.lane_names
        for lane, name in zip(lanes, names, strict=True):
            if name and name != lane_names[lane]:
                _rename(rec, lane, str(name))
    strings, string_index = rec.strings, rec.string_index
    # new details join the string table while the trace has room for them (past it, only details
    # already in the table are kept), in one pass for the batch
    if rec.details_room > 0:
        unique = dict.fromkeys(texts)
        unique.pop(None, None)
        new = list(islice(filterfalse(string_index.__contains__, unique), rec.details_room))
        rec.details_room -= len(new)
        string_index.update(zip(new, range(len(strings), len(strings) + len(new)), strict=True))
        strings.extend(new)
        if not rec.details_room:
            rec.stop_describing_results()
    # (all None: results no longer described, and no error)
    none = texts.count(None) == len(texts)
    details = [-1] * len(texts) if none else list(map(string_index.get, texts, repeat(-1)))
    cols = rec.tables["ends"]
    extend_q(cols["lane"], lanes)
    extend_q(cols["t"], times)
    extend_q(cols["outcome"], outcomes)
    extend_q(cols["detail"], details)
    cols["cpu_us"].extend(array("q", [-1]) * len(lanes))
    why = rec.fates.ended_columns(rec, keys, lanes, times, outcomes, asked)
    if why:
        extend_q(cols["reason"], why[0])
        extend_q(cols["by"], why[1])
    else:
        cols["reason"].extend(array("q", [-1]) * len(lanes))
        cols["by"].extend(array("q", [-1]) * len(lanes))


def close_tasks(rec: Recorder) -> None:
    """Tasks that finished without a last step the hook saw (a foreign loop, an eager start)."""
    key_open, key_lanes = rec.key_open, rec.key_lanes
    for ref in rec.task_refs():
        task = ref()
        if task is None or not (-ref.key <= len(key_open) and key_open[-ref.key - 1]):
            continue
        try:
            done = task.done()
        except Exception:  # a foreign future type
            done = True
        if done:
            lane = key_lanes[-ref.key - 1]
            outcome, detail = task_outcome(task, describe_result=rec.details_room > 0)
            asked = outcome == OUT_CANCELLED and cancel_requested(task)
            last_end = rec.lane_last_end[lane] if lane < len(rec.lane_last_end) else -1
            end = last_end if last_end >= 0 else rec.now_us()
            end_task(rec, ref.key, end, outcome, detail, cancel_called=asked)


def forget_tasks(rec: Recorder, gone: list[Any]) -> None:
    """Destroyed tasks: a lane still open ends there (the task was dropped while pending: asyncio
    logs "Task was destroyed but it is pending!")."""
    keys = gone[0::GONE_FIELDS]
    lanes = close_lanes(keys, rec.key_lanes, rec.key_open)
    if max(lanes, default=-1) < 0:  # the usual case: every task had ended
        return
    for i in compress(range(len(keys)), map((-1).__lt__, lanes)):
        _write_end(rec, keys[i], lanes[i], rec.us(gone[i * GONE_FIELDS + 1]), OUT_DESTROYED, None, "", False)
