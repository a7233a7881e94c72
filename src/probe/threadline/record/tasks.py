"""asyncio tasks as the converter sees them: raw creations become lanes, what a suspension awaited
becomes a readable label, and a finished task its outcome.

Called by ``Recorder.convert`` under its lock; the hooks in ``capture`` only append raw values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..frames import location_of_frame
from ..schema import LANE_TASK, OUT_CANCELLED, OUT_DESTROYED, OUT_ERROR, OUT_OK

if TYPE_CHECKING:
    from .recorder import Recorder

TASK_FIELDS = 8  # task key, t, creator (task key or thread ident), code, line, weak ref, coro name, qualname
END_FIELDS = 5  # task key, t, outcome, detail, task name: read when the task's last step ended
GONE_FIELDS = 2  # task key, t: the task object was destroyed

# An outcome's detail (a result's repr) is kept while the string table is smaller than this: past
# it, only details already in the table are (thousands of tasks each returning its own value would
# otherwise cost a string each).
DETAIL_STRINGS_LIMIT = 20_000


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
    key = code if code is not None else fut_type
    cached = rec.label_cache.get(key)
    if cached is not None:
        return cached
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
    rec.label_cache[key] = index
    return index


def resolve_task_rows(rec: Recorder, tasks: list[Any]) -> None:
    """Turn raw task creations into lanes (called by the converter under rec.lock)."""
    sites: dict[tuple[Any, int], int] = {}
    group = rec.string("asyncio")
    cols = rec.tables["lanes"]
    kind_col, name_col, group_col, parent_col = cols["kind"], cols["name"], cols["group"], cols["parent"]
    created_col, site_col, start_col, os_col = cols["created_by"], cols["site"], cols["start"], cols["os_id"]
    t0 = rec.t0
    for i in range(0, len(tasks), TASK_FIELDS):
        key, t, creator, code, lineno, ref, coro_name, qualname = tasks[i : i + TASK_FIELDS]
        start = int((t - t0) * 1e6)
        created_by = rec.who_lane(creator, start) if creator is not None else -1
        task = ref()
        name, aliases = lane_name(_name_of(task) if task is not None else "", str(coro_name), str(qualname))
        del task
        site = sites.get((code, lineno))
        if site is None:
            site = sites[(code, lineno)] = rec.string(location_of_frame(code, lineno)) if code is not None else -1
        lane = len(kind_col)
        kind_col.append(LANE_TASK)
        name_col.append(rec.string(name))
        group_col.append(group)
        parent_col.append(-1)
        created_col.append(created_by)
        site_col.append(site)
        start_col.append(start)
        os_col.append(-1)
        rec.lane_names.append(name)
        rec.lane_groups.append("asyncio")
        if aliases:
            rec.lane_aliases[lane] = aliases
        rec.task_lane[key] = lane
        rec.open_tasks[key] = lane


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


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def task_outcome(task: Any) -> tuple[int, str | None]:
    # Read the private fields: calling task.exception() would mark the error as retrieved and
    # silence asyncio's "exception was never retrieved" warning the learner should see.
    try:
        if task.cancelled():
            message = getattr(task, "_cancel_message", None)
            return OUT_CANCELLED, _short(f"cancelled: {message}" if message else "cancelled")
        exc = getattr(task, "_exception", None)
        if exc is not None:
            return OUT_ERROR, _short(f"{type(exc).__name__}: {exc}")
        return OUT_OK, _short(result_text(getattr(task, "_result", None)))
    except Exception:
        return OUT_OK, None


_PLAIN = frozenset({int, float, complex, bool, str, bytes, type(None)})
_CONTAINERS = frozenset({list, tuple, set, frozenset, dict})


def _plain(value: Any, depth: int = 0) -> bool:
    """Whether repr(value) runs no code of the learner's: builtin values, and small builtin
    containers of them."""
    kind = type(value)
    if kind in _PLAIN:
        return True
    if kind not in _CONTAINERS or depth >= 3 or len(value) > 32:
        return False
    items = [x for pair in value.items() for x in pair] if kind is dict else value
    return all(_plain(x, depth + 1) for x in items)


def result_text(value: Any) -> str:
    """A task's result for people, without calling a __repr__ of the learner's (a tracer must not:
    it may count its calls or change state): the repr of plain values, else the type's name."""
    return repr(value) if _plain(value) else f"<{type(value).__qualname__} object>"


def end_task(rec: Recorder, key: int, end: int, outcome: int, detail: str | None, name: str = "") -> None:
    """The ends row of a task's lane, once (its name too, if the task was named after creation)."""
    lane = rec.open_tasks.pop(key, None)
    if lane is None:
        return
    if name and not is_default_name(name) and name != rec.lane_names[lane]:  # named after its lane was made
        rec.lane_aliases.setdefault(lane, []).append(rec.lane_names[lane])
        rec.lane_names[lane] = name
        rec.tables["lanes"]["name"][lane] = rec.string(name)
    rec.pending_suspend.pop(lane, None)
    rec.lane_last_end.pop(lane, None)
    reason, by = rec.fates.ended(rec, key, lane, end, outcome)
    if detail is not None and len(rec.strings) >= DETAIL_STRINGS_LIMIT:
        index = rec.known_string(detail)
    else:
        index = rec.string(detail)
    ends = rec.tables["ends"]  # _row without its loop: one of these per task
    ends["lane"].append(lane)
    ends["t"].append(end)
    ends["outcome"].append(outcome)
    ends["detail"].append(index)
    ends["cpu_us"].append(-1)
    ends["reason"].append(reason)
    ends["by"].append(by)


def end_tasks(rec: Recorder, ends: list[Any]) -> None:
    t0 = rec.t0
    for i in range(0, len(ends), END_FIELDS):
        key, t, outcome, detail, name = ends[i : i + END_FIELDS]
        end_task(rec, key, int((t - t0) * 1e6), outcome, detail, str(name))


def close_tasks(rec: Recorder) -> None:
    """Tasks that finished without a last step the hook saw (a foreign loop, an eager start)."""
    for ref in list(rec.task_refs):
        task = ref()
        if task is None or ref.key not in rec.open_tasks:
            continue
        try:
            done = task.done()
        except Exception:  # a foreign future type
            done = True
        if done:
            lane = rec.open_tasks[ref.key]
            outcome, detail = task_outcome(task)
            end_task(rec, ref.key, rec.lane_last_end.get(lane, rec.now_us()), outcome, detail)


def forget_tasks(rec: Recorder, gone: list[Any]) -> None:
    """Destroyed tasks: a lane still open ends there (the task was dropped while pending: asyncio
    logs "Task was destroyed but it is pending!")."""
    t0 = rec.t0
    open_tasks, task_lane = rec.open_tasks, rec.task_lane
    for i in range(0, len(gone), GONE_FIELDS):
        key = gone[i]
        if key in open_tasks:
            end_task(rec, key, int((gone[i + 1] - t0) * 1e6), OUT_DESTROYED, None)
        task_lane.pop(key, None)
