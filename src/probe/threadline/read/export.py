"""Export to the Chrome Trace Event format (opens in Perfetto and chrome://tracing).

The lab exports the same trace in the browser (``toChromeTrace`` in ``src/lab``), where there is no
kernel; this is the export where there is no Node. Both must give the same events, which
``test/protocol/chromeExport.test.ts`` checks on a real trace: change them together.
"""

from __future__ import annotations

import json
from typing import Any

from ..schema import (
    LANE_KIND_LABELS,
    LANE_PROCESS,
    OUT_OK,
    OUTCOME_LABELS,
    SPAN_BLOCKED,
    SPAN_KIND_LABELS,
    SPAN_RUN,
)

_MAX_HOPS = 64  # parent links followed to find a lane's process (a cycle would be a broken trace)


def chrome_trace(trace: dict[str, Any]) -> dict[str, Any]:
    """The trace as a Chrome Trace Event document: processes are Chrome processes, tasks and threads
    are threads of the process they run in; spans are complete events, lane ends instant events
    (with why a task was cancelled and by whom), await edges flow arrows from the awaiting task to
    the awaited one when the wait began, and per-core CPU counters."""
    strings = trace["strings"]
    lanes, spans, ends, locks, cpu, meta = (
        trace["lanes"],
        trace["spans"],
        trace["ends"],
        trace["locks"],
        trace["cpu"],
        trace["meta"],
    )
    kernel_pid = meta["pid"]

    def text(i: int) -> str:
        return strings[i] if 0 <= i < len(strings) else ""

    def pid_of(lane: int) -> int:
        hops = 0
        while lane >= 0 and hops < _MAX_HOPS:
            if lanes["kind"][lane] == LANE_PROCESS:
                return lanes["os_id"][lane] if lanes["os_id"][lane] > 0 else kernel_pid
            lane = lanes["parent"][lane]
            hops += 1
        return kernel_pid

    events: list[dict[str, Any]] = []
    pids: set[int] = set()
    for lane, kind in enumerate(lanes["kind"]):
        pid = pid_of(lane)
        if kind == LANE_PROCESS:
            events.append(
                {
                    "name": "process_name",
                    "ph": "M",
                    "pid": pid,
                    "args": {"name": text(lanes["name"][lane]) or f"process {pid}"},
                }
            )
            pids.add(pid)
        name = f"{LANE_KIND_LABELS.get(kind, 'process')}: {text(lanes['name'][lane])}"
        events.append({"name": "thread_name", "ph": "M", "pid": pid, "tid": lane + 1, "args": {"name": name}})
        events.append(
            {"name": "thread_sort_index", "ph": "M", "pid": pid, "tid": lane + 1, "args": {"sort_index": lane}}
        )
    if kernel_pid not in pids:
        events.append({"name": "process_name", "ph": "M", "pid": kernel_pid, "args": {"name": "kernel"}})
    for lane, kind, start, end, label_ref, lock_ref in zip(
        spans["lane"], spans["kind"], spans["start"], spans["end"], spans["label"], spans["lock"], strict=True
    ):
        label = text(label_ref)
        lock = text(locks["name"][lock_ref]) if 0 <= lock_ref < len(locks["name"]) else ""
        kind_label = SPAN_KIND_LABELS.get(kind)
        if lock:
            name = f"{kind_label} {lock}"
        elif label and kind != SPAN_RUN:
            name = f"{kind_label}: {label}"
        else:
            name = kind_label or f"kind {kind}"
        event: dict[str, Any] = {
            "name": name,
            "cat": kind_label or "span",
            "ph": "X",
            "ts": start,
            "dur": max(0, end - start),
            "pid": pid_of(lane),
            "tid": lane + 1,
        }
        args: dict[str, Any] = {}
        if label:
            args["location" if kind == SPAN_BLOCKED else "awaiting"] = label
        if lock:
            args["lock"] = lock
        if args:
            event["args"] = args
        events.append(event)
    for lane, t, outcome, detail_ref, reason_ref, by in zip(
        ends["lane"], ends["t"], ends["outcome"], ends["detail"], ends["reason"], ends["by"], strict=True
    ):
        event = {
            "name": OUTCOME_LABELS.get(outcome, OUTCOME_LABELS[OUT_OK]),
            "ph": "i",
            "s": "t",
            "ts": t,
            "pid": pid_of(lane),
            "tid": lane + 1,
        }
        end_args = {"detail": text(detail_ref), "reason": text(reason_ref)}
        if by >= 0:
            end_args["by"] = text(lanes["name"][by])
        end_args = {key: value for key, value in end_args.items() if value}
        if end_args:
            event["args"] = end_args
        events.append(event)
    awaits = trace["awaits"]
    for i, (source, target, ts) in enumerate(zip(awaits["lane"], awaits["target"], awaits["start"], strict=True)):
        flow = {"name": "await", "cat": "await", "id": i + 1, "ts": ts}
        events.append({**flow, "ph": "s", "pid": pid_of(source), "tid": source + 1})
        events.append({**flow, "ph": "f", "bp": "e", "pid": pid_of(target), "tid": target + 1})
    for t, core, util in zip(cpu["t"], cpu["core"], cpu["util"], strict=True):
        events.append({"name": f"cpu core {core}", "ph": "C", "ts": t, "pid": kernel_pid, "args": {"util": util}})
    other: dict[str, Any] = {
        "source": "threadline",
        "schema_version": trace["version"],
        "t0_unix_us": meta["t0_unix_us"],
        "python": meta["python"],
        "host_cpus": meta["host_cpus"],
        "effective_cpus": meta["effective_cpus"],
        "dropped": meta["dropped"],
    }
    if meta.get("label"):
        other["label"] = meta["label"]
    return {"traceEvents": events, "displayTimeUnit": "ms", "otherData": other}


def write_chrome_trace(trace: dict[str, Any], path: str) -> str:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(chrome_trace(trace), fh)
    return path
