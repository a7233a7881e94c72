"""Threads' and processes' raw records into rows: a lane when one starts; when it ends, its end
and its life as one run span.

Threads come by the hundred a second in a program that makes an event loop per test (each starts
its default executor's workers): their records are flat values (capture/thread_hooks.py), and
their rows are appended a column at a time, not through ``Recorder.row``'s generic loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..schema import LANE_PROCESS, LANE_THREAD, OUT_ERROR, OUT_OK, SPAN_RUN

if TYPE_CHECKING:
    from .recorder import Recorder

# Recorder.raw_thread_starts, flat: ident, native id, name, t, creator, code, line, group; the site
# is the code and line the thread was started from (None and 0 when unknown), worked out here
THREAD_START_FIELDS = 8
# Recorder.raw_thread_ends, flat: ident, native id, t, CPU seconds, error text or None
THREAD_END_FIELDS = 5


def convert_thread_starts(rec: Recorder, values: list[Any]) -> None:
    it = iter(values)
    for ident, native_id, name, t, creator, code, line, group in zip(*[it] * THREAD_START_FIELDS, strict=True):
        start = rec.us(t)
        site = rec.site_index(code, line)
        lane = rec.created_lane(LANE_THREAD, name, group, creator, site=site, start_us=start, os_id=native_id)
        rec.register_thread_lane(ident, start, lane)
        rec.live_thread_lanes[native_id] = lane


def convert_thread_ends(rec: Recorder, values: list[Any]) -> None:
    it = iter(values)
    for ident, native_id, t, cpu_s, error in zip(*[it] * THREAD_END_FIELDS, strict=True):
        end = rec.us(t)
        lane = rec.lane_of_ident(ident, end)
        rec.live_thread_lanes.pop(native_id, None)
        end_life(rec, lane, end, OUT_ERROR if error else OUT_OK, rec.string(error), int(cpu_s * 1e6))


def convert_process_start(rec: Recorder, item: tuple[Any, ...]) -> None:
    _, pid, name, t, creator, site, group = item
    if pid not in rec.pid_lane:
        start = rec.us(t)
        site_index = rec.string(site)
        rec.pid_lane[pid] = rec.created_lane(
            LANE_PROCESS, name, group, creator, site=site_index, start_us=start, os_id=pid
        )


def convert_process_end(rec: Recorder, item: tuple[Any, ...]) -> None:
    _, pid, t, outcome, detail, cpu_s = item
    lane = rec.pid_lane.get(pid)
    if lane is not None and pid not in rec.ended_pids:
        rec.ended_pids.add(pid)
        end_life(rec, lane, rec.us(t), outcome, rec.string(detail), int(cpu_s * 1e6))


def end_life(rec: Recorder, lane: int, t_us: int, outcome: int, detail: int, cpu_us: int) -> None:
    """The end row (``detail`` a string index) and the one run span of a thread's or process's lane."""
    lane_, t_, outcome_, detail_, cpu_us_, reason_, by_ = rec.appends["ends"]
    lane_(lane)
    t_(t_us)
    outcome_(outcome)
    detail_(detail)
    cpu_us_(cpu_us)
    reason_(-1)
    by_(-1)
    start = rec.tables["lanes"]["start"][lane]
    rec.event_row("spans", lane, SPAN_RUN, start, max(start, t_us), -1, -1)
