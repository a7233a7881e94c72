"""The contract with the extension and the grader, as the probe writes it: trace schema v2 codes and
the names of the MIME type, comm targets and kernel.

``src/protocol/names.ts`` and ``src/protocol/trace.ts`` are the source; this module spells the same
values for Python, and ``test/protocol/contract.test.ts`` fails when the two differ. It imports
nothing, so every other module of the probe may import it.
"""

from __future__ import annotations

from typing import Final

# ---- names.ts ------------------------------------------------------------------------------------
TRACE_MIME: Final = "application/vnd.threadline.trace+json"
TRACE_COMM_TARGET: Final = "threadline.trace"
METER_COMM_TARGET: Final = "threadline.meter"
KERNEL_NAME: Final = "threadline"

# ---- trace.ts ------------------------------------------------------------------------------------
TRACE_SCHEMA_VERSION: Final = 2

LANE_TASK: Final = 0
LANE_THREAD: Final = 1
LANE_PROCESS: Final = 2
LANE_KIND: Final = {"task": LANE_TASK, "thread": LANE_THREAD, "process": LANE_PROCESS}
LANE_KIND_LABELS: Final = {LANE_TASK: "task", LANE_THREAD: "thread", LANE_PROCESS: "process"}

SPAN_RUN: Final = 0
SPAN_SUSPENDED: Final = 1
SPAN_LOCK_WAIT: Final = 2
SPAN_LOCK_HOLD: Final = 3
SPAN_BLOCKED: Final = 4
SPAN_KIND: Final = {
    "run": SPAN_RUN,
    "suspended": SPAN_SUSPENDED,
    "lockWait": SPAN_LOCK_WAIT,
    "lockHold": SPAN_LOCK_HOLD,
    "blocked": SPAN_BLOCKED,
}
SPAN_KIND_LABELS: Final = {
    SPAN_RUN: "running",
    SPAN_SUSPENDED: "suspended",
    SPAN_LOCK_WAIT: "lock wait",
    SPAN_LOCK_HOLD: "lock held",
    SPAN_BLOCKED: "blocked loop",
}

OUT_OK: Final = 0
OUT_ERROR: Final = 1
OUT_CANCELLED: Final = 2
OUT_DESTROYED: Final = 3
OUT_NEVER_AWAITED: Final = 4
OUTCOME: Final = {
    "ok": OUT_OK,
    "error": OUT_ERROR,
    "cancelled": OUT_CANCELLED,
    "destroyed": OUT_DESTROYED,
    "neverAwaited": OUT_NEVER_AWAITED,
}
OUTCOME_LABELS: Final = {
    OUT_OK: "done",
    OUT_ERROR: "error",
    OUT_CANCELLED: "cancelled",
    OUT_DESTROYED: "destroyed while pending",
    OUT_NEVER_AWAITED: "never awaited",
}

TABLE_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "lanes": ("kind", "name", "group", "parent", "created_by", "site", "start", "os_id"),
    "ends": ("lane", "t", "outcome", "detail", "cpu_us", "reason", "by"),
    "spans": ("lane", "kind", "start", "end", "label", "lock"),
    "locks": ("name", "kind", "site"),
    "acquires": ("lock", "lane", "requested", "acquired", "released", "waiters"),
    "cpu": ("t", "core", "util"),
    "samples": ("lane", "t", "core", "cpu"),
    "awaits": ("lane", "target", "start", "end"),
}
