"""The rare raw records (``Recorder.raw_misc``: processes, locks, spans from hooks, fates' notes)
into rows, one record at a time: there are few, unlike steps, tasks and threads.

Called by ``Recorder.convert`` and ``Recorder.convert_misc`` under the recorder's lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..schema import LANE_PROCESS, SPAN_RUN
from .fates import Fates
from .lives import convert_process_end, convert_process_start

if TYPE_CHECKING:
    from .recorder import Recorder


def convert_misc_record(rec: Recorder, item: tuple[Any, ...]) -> None:
    """One rare record into rows (and lanes): a process or lock, a cancellation or await
    note (fates.py), a hint for a blocking step, a span from a hook."""
    kind = item[0]
    if kind == "lock":
        _, index, name, lock_kind, site = item
        while len(rec.tables["locks"]["name"]) < index:  # a registration still in flight
            rec.row("locks", rec.string(f"lock {len(rec.tables['locks']['name'])}"), rec.string("unknown"), -1)
        if len(rec.tables["locks"]["name"]) == index:
            rec.row("locks", rec.string(name), rec.string(lock_kind), rec.string(site))
    elif kind == "process_start":
        convert_process_start(rec, item)
    elif kind == "process_end":
        convert_process_end(rec, item)
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
