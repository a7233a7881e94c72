"""Export to the Chrome Trace Event format (opens in Perfetto and chrome://tracing)."""

from __future__ import annotations

import json
from typing import Any

from .recorder import LANE_PROCESS, SPAN_BLOCKED, SPAN_LOCK_HOLD, SPAN_LOCK_WAIT, SPAN_RUN, SPAN_SUSPENDED

_SPAN_NAMES = {SPAN_RUN: "run", SPAN_SUSPENDED: "await", SPAN_LOCK_WAIT: "lock wait", SPAN_LOCK_HOLD: "lock held", SPAN_BLOCKED: "BLOCKED loop"}


def chrome_events(trace: dict[str, Any]) -> list[dict[str, Any]]:
    strings = trace["strings"]

    def s(i: int) -> str:
        return strings[i] if 0 <= i < len(strings) else ""

    pid = trace["meta"]["pid"]
    lanes = trace["lanes"]
    events: list[dict[str, Any]] = [{"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": f"kernel {pid}"}}]
    where: list[tuple[int, int]] = []
    for i, kind in enumerate(lanes["kind"]):
        if kind == LANE_PROCESS and lanes["os_id"][i] > 0:
            p, t = lanes["os_id"][i], 1
            events.append({"ph": "M", "name": "process_name", "pid": p, "tid": 0, "args": {"name": s(lanes["name"][i])}})
        else:
            p, t = pid, i + 1
        where.append((p, t))
        events.append({"ph": "M", "name": "thread_name", "pid": p, "tid": t, "args": {"name": f"{s(lanes['group'][i])}: {s(lanes['name'][i])}"}})
        events.append({"ph": "M", "name": "thread_sort_index", "pid": p, "tid": t, "args": {"sort_index": i}})
    locks = trace["locks"]
    spans = trace["spans"]
    for lane, kind, start, end, label, lock in zip(spans["lane"], spans["kind"], spans["start"], spans["end"], spans["label"], spans["lock"]):
        p, t = where[lane]
        name = _SPAN_NAMES.get(kind, "span")
        if kind in (SPAN_LOCK_WAIT, SPAN_LOCK_HOLD) and lock >= 0:
            name = f"{name}: {s(locks['name'][lock])}"
        elif label >= 0:
            name = f"{name}: {s(label)}"
        events.append({"ph": "X", "name": name, "cat": name.split(":")[0], "pid": p, "tid": t, "ts": start, "dur": max(0, end - start)})
    ends = trace["ends"]
    for lane, t_end, outcome, detail in zip(ends["lane"], ends["t"], ends["outcome"], ends["detail"]):
        p, t = where[lane]
        events.append({"ph": "i", "s": "t", "name": ["end", "error", "cancelled"][outcome], "pid": p, "tid": t, "ts": t_end, "args": {"detail": s(detail)}})
    cpu = trace["cpu"]
    for t_us, core, util in zip(cpu["t"], cpu["core"], cpu["util"]):
        events.append({"ph": "C", "name": f"cpu{core}", "pid": pid, "ts": t_us, "args": {"util": util}})
    return events


def write_chrome_trace(trace: dict[str, Any], path: str) -> str:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"traceEvents": chrome_events(trace), "displayTimeUnit": "ms", "otherData": {"threadline": trace["meta"]}}, fh)
    return path
