"""The rare raw records (``Recorder.raw_misc``: threads, processes, locks, spans from hooks, fates'
notes) into rows, one record at a time: there are few, unlike steps and tasks.

Called by ``Recorder.convert`` and ``Recorder.convert_misc`` under the recorder's lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..schema import LANE_PROCESS, LANE_THREAD, OUT_ERROR, OUT_OK, SPAN_RUN
from .fates import Fates

if TYPE_CHECKING:
    from .recorder import Recorder


def convert_misc_record(rec: Recorder, item: tuple[Any, ...]) -> None:
    """One rare record into rows (and lanes): a thread, process or lock, a cancellation or await
    note (fates.py), a hint for a blocking step, a span from a hook."""
    kind = item[0]
    if kind == "thread_start":
        _, ident, native_id, name, t, creator, site, group = item
        start = rec.us(t)
        lane = rec.created_lane(LANE_THREAD, name, group, creator, site=site, start_us=start, os_id=native_id)
        rec.register_thread_lane(ident, start, lane)
        rec.live_thread_lanes[native_id] = lane
    elif kind == "thread_end":
        _, ident, native_id, t, cpu_s, error = item
        end = rec.us(t)
        lane = rec.lane_of_ident(ident, end)
        rec.live_thread_lanes.pop(native_id, None)
        rec.row("ends", lane, end, OUT_ERROR if error else OUT_OK, rec.string(error), int(cpu_s * 1e6), -1, -1)
        # A thread's life is one run span on its lane.
        start = rec.tables["lanes"]["start"][lane]
        rec.event_row("spans", lane, SPAN_RUN, start, max(start, end), -1, -1)
    elif kind == "lock":
        _, index, name, lock_kind, site = item
        while len(rec.tables["locks"]["name"]) < index:  # a registration still in flight
            rec.row("locks", rec.string(f"lock {len(rec.tables['locks']['name'])}"), rec.string("unknown"), -1)
        if len(rec.tables["locks"]["name"]) == index:
            rec.row("locks", rec.string(name), rec.string(lock_kind), rec.string(site))
    elif kind == "process_start":
        _, pid, name, t, creator, site, group = item
        if pid in rec.pid_lane:
            return
        lane = rec.created_lane(LANE_PROCESS, name, group, creator, site=site, start_us=rec.us(t), os_id=pid)
        rec.pid_lane[pid] = lane
    elif kind == "process_end":
        _, pid, t, outcome, detail, cpu_s = item
        lane = rec.pid_lane.get(pid)
        if lane is not None and pid not in rec.ended_pids:
            rec.ended_pids.add(pid)
            end = rec.us(t)
            rec.row("ends", lane, end, outcome, rec.string(detail), int(cpu_s * 1e6), -1, -1)
            start = rec.tables["lanes"]["start"][lane]
            rec.event_row("spans", lane, SPAN_RUN, start, max(start, end), -1, -1)
    elif kind == "process_task":
        _, pid, t_start_unix, t_end_unix, label = item
        lane = rec.pid_lane.get(pid)
        if lane is None:
            lane = rec.add_lane(LANE_PROCESS, f"process {pid}", "processes", os_id=pid)
            rec.pid_lane[pid] = lane
        start = int(t_start_unix * 1e6) - rec.t0_unix_us
        end = int(t_end_unix * 1e6) - rec.t0_unix_us
        rec.event_row("spans", lane, SPAN_RUN, start, max(start, end), rec.string(label), -1)
    elif kind in Fates.KINDS:
        rec.fates.take(item)
    elif kind == "blocked_hint":
        rec.blocked_hint[(item[1], rec.us(item[2]))] = item[3]
    elif kind == "span":
        _, who, span_kind, t_start, t_end, label, lock = item
        start = rec.us(t_start)
        rec.event_row("spans", rec.who_lane(who, start), span_kind, start, rec.us(t_end), rec.string(label), lock)
