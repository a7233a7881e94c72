"""Static views of a trace: a text summary and an SVG timeline (shown where the extension is absent)."""

from __future__ import annotations

from html import escape
from typing import Any

from ..schema import (
    LANE_PROCESS,
    LANE_TASK,
    LANE_THREAD,
    OUT_CANCELLED,
    OUT_DESTROYED,
    OUT_ERROR,
    OUT_NEVER_AWAITED,
    OUT_OK,
    SPAN_BLOCKED,
    SPAN_LOCK_HOLD,
    SPAN_LOCK_WAIT,
    SPAN_RUN,
    SPAN_SUSPENDED,
)

MAX_LANES = 40
WIDTH = 900
LABEL_W = 180
ROW_H = 14
COLORS = {
    SPAN_RUN: "#3b82f6",
    SPAN_SUSPENDED: "#d1d5db",
    SPAN_LOCK_WAIT: "#ef4444",
    SPAN_LOCK_HOLD: "#f59e0b",
    SPAN_BLOCKED: "#7f1d1d",
}
DRAW_ORDER = (SPAN_SUSPENDED, SPAN_RUN, SPAN_LOCK_HOLD, SPAN_LOCK_WAIT, SPAN_BLOCKED)
# How the summary counts task ends (read/fates.py words them the same way).
FATE_WORDS = (
    (OUT_OK, "returned"),
    (OUT_ERROR, "raised"),
    (OUT_CANCELLED, "cancelled"),
    (OUT_DESTROYED, "destroyed while pending"),
    (OUT_NEVER_AWAITED, "never awaited"),
)


def _s(trace: dict[str, Any], i: int) -> str:
    strings = trace["strings"]
    return strings[i] if 0 <= i < len(strings) else ""


def summary_text(trace: dict[str, Any]) -> str:
    meta = trace["meta"]
    lanes = trace["lanes"]
    groups = [_s(trace, g) for g in lanes["group"]]
    kinds = lanes["kind"]
    tasks = sum(1 for k, g in zip(kinds, groups, strict=True) if k == LANE_TASK and g not in ("main", "never awaited"))
    threads = sum(1 for k, g in zip(kinds, groups, strict=True) if k == LANE_THREAD and g == "threads")
    procs = sum(1 for k, g in zip(kinds, groups, strict=True) if k == LANE_PROCESS and g == "processes")
    blocked = [
        (e - s, _s(trace, lab))
        for k, s, e, lab in zip(
            trace["spans"]["kind"], trace["spans"]["start"], trace["spans"]["end"], trace["spans"]["label"], strict=True
        )
        if k == SPAN_BLOCKED
    ]
    duration = (meta.get("duration_us") or 0) / 1e6
    label = f" {meta['label']!r}" if meta.get("label") else ""
    lines = [
        f"Threadline trace{label}: {duration:.3f} s — {tasks} task(s), {threads} thread(s), {procs} process(es), "
        f"{len(trace['locks']['name'])} lock(s), {len(trace['acquires']['lock'])} acquisition(s)",
        f"cores: {meta['effective_cpus']:g} effective of {meta['host_cpus']} ({meta['effective_cpus_reason']})",
    ]
    fates = [
        o for lane, o in zip(trace["ends"]["lane"], trace["ends"]["outcome"], strict=True) if kinds[lane] == LANE_TASK
    ]
    if fates:
        counted = [f"{fates.count(code)} {word}" for code, word in FATE_WORDS if code in fates]
        lines.append("task ends: " + ", ".join(counted))
    if blocked:
        worst = max(blocked)
        lines.append(f"event loop blocked {len(blocked)}× (longest {worst[0] / 1000:.0f} ms at {worst[1]})")
    if meta.get("dropped"):
        lines.append(f"incomplete: {meta['dropped']} event(s) dropped (buffer capacity {meta['capacity']})")
    return "\n".join(lines)


def svg_timeline(trace: dict[str, Any]) -> str:
    meta = trace["meta"]
    lanes = trace["lanes"]
    n = len(lanes["kind"])
    duration = max(1, int(meta.get("duration_us") or 0), max(trace["spans"]["end"], default=1))
    shown = list(range(min(n, MAX_LANES)))
    row_of = {lane: r for r, lane in enumerate(shown)}
    plot_w = WIDTH - LABEL_W - 10
    # Per lane and kind, the set of pixel columns covered: merges thousands of tiny steps cheaply.
    cover: dict[tuple[int, int], set[int]] = {}
    spans = trace["spans"]
    for lane, kind, start, end in zip(spans["lane"], spans["kind"], spans["start"], spans["end"], strict=True):
        if lane not in row_of:
            continue
        x0 = int(start * plot_w / duration)
        x1 = max(x0, int(end * plot_w / duration))
        cover.setdefault((lane, kind), set()).update(range(x0, x1 + 1))
    height = 30 + ROW_H * len(shown) + (16 if n > len(shown) else 0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        'font-family="sans-serif" font-size="10">',
        f'<text x="4" y="12">{escape(summary_text(trace).splitlines()[0])}</text>',
    ]
    for lane in shown:
        y = 22 + row_of[lane] * ROW_H
        name = _s(trace, lanes["name"][lane])[:28]
        parts.append(f'<text x="4" y="{y + 10}">{escape(name)}</text>')
        for kind in DRAW_ORDER:
            cols = sorted(cover.get((lane, kind), ()))
            run_start = None
            prev = None
            for c in cols + [None]:  # type: ignore[list-item]
                if run_start is None:
                    run_start = prev = c
                    continue
                if c is not None and c == prev + 1:  # type: ignore[operator]
                    prev = c
                    continue
                h = ROW_H - 4 if kind != SPAN_SUSPENDED else 4
                dy = 2 if kind != SPAN_SUSPENDED else (ROW_H - 4) // 2
                parts.append(
                    f'<rect x="{LABEL_W + run_start}" y="{y + dy}" width="{prev - run_start + 1}" '  # type: ignore[operator]
                    f'height="{h}" fill="{COLORS[kind]}"/>'
                )
                run_start = prev = c
    if n > len(shown):
        parts.append(f'<text x="4" y="{height - 4}">… and {n - len(shown)} more lane(s)</text>')
    parts.append("</svg>")
    return "".join(parts)
