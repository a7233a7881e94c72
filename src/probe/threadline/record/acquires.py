"""Lock acquisitions as the converter sees them: raw records become rows of the acquires table, and
waits and holds long enough to draw become lockWait / lockHold spans.

Called by ``Recorder.convert`` under its lock; the traced primitives in ``capture.locks`` only
append raw values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..schema import SPAN_LOCK_HOLD, SPAN_LOCK_WAIT
from .lives import who_lanes

if TYPE_CHECKING:
    from .recorder import Recorder

ACQ_FIELDS = 6  # lock index, who (thread ident or task), requested, acquired, released, waiters

# Waits shorter than this get no lockWait span, holds shorter than this no lockHold span (the
# acquires table still has every acquisition; spans are for drawing).
LOCK_WAIT_SPAN_MIN_S = 10e-6
LOCK_HOLD_SPAN_MIN_S = 100e-6


def convert_acquires(rec: Recorder, acq: list[Any]) -> None:
    """Acquisitions recorded in full (contended, or of a Python-class primitive): rows and spans."""
    if not acq:
        return
    t0 = rec.t0
    for i in range(0, len(acq), ACQ_FIELDS):
        lock, who, req, got, rel, waiters = acq[i : i + ACQ_FIELDS]
        r = int((req - t0) * 1e6)
        g = int((got - t0) * 1e6)
        e = int((rel - t0) * 1e6) if rel is not None else -1
        lane = rec.who_lane(who, r)
        rec.event_row("acquires", lock, lane, r, g, e, waiters)
        if got - req >= LOCK_WAIT_SPAN_MIN_S:
            rec.event_row("spans", lane, SPAN_LOCK_WAIT, r, g, -1, lock)
        if rel is not None and rel - got >= LOCK_HOLD_SPAN_MIN_S:
            rec.event_row("spans", lane, SPAN_LOCK_HOLD, g, e, -1, lock)


def convert_fast(rec: Recorder, fast: list[tuple[int, list[int]]]) -> None:
    """Uncontended acquisitions, per lock (thread ident, acquired ns, released ns), in bulk."""
    t0 = rec.t0_ns
    lane_of: dict[int, int] = {}
    acquires = rec.tables["acquires"]
    min_hold = int(LOCK_HOLD_SPAN_MIN_S * 1e6)
    for lock, log in fast:
        acquired = log[1::3]
        if 0 in acquired:  # released through a wrapper made while it was already held: no hold to record
            log = [v for i in range(0, len(log), 3) if log[i + 1] for v in log[i : i + 3]]
            acquired = log[1::3]
        idents = log[0::3]
        got = [(t - t0) // 1000 for t in acquired]
        rel = [(t - t0) // 1000 for t in log[2::3]]
        for i, ident in enumerate(idents):  # one lookup per thread, not per acquisition
            if ident not in lane_of:
                lane_of[ident] = rec.lane_of_ident(ident, got[i])
        reused = [ident for ident in lane_of if len(rec.thread_lanes.get(ident, ())) > 1]
        if reused:  # a thread ident the OS gave to a later thread too: resolve by time
            lanes = who_lanes(idents, got, rec.thread_lanes, rec.key_lanes)  # each has a history now
        else:
            lanes = list(map(lane_of.__getitem__, idents))
        n = len(lanes)
        take = min(n, max(0, rec.capacity - rec.events))
        acquires["lock"].extend([lock] * take)
        acquires["lane"].extend(lanes[:take])
        acquires["requested"].extend(got[:take])
        acquires["acquired"].extend(got[:take])
        acquires["released"].extend(rel[:take])
        acquires["waiters"].extend([0] * take)
        rec.events += take
        rec.dropped += n - take
        for i in range(take):
            if rel[i] - got[i] >= min_hold:
                rec.event_row("spans", lanes[i], SPAN_LOCK_HOLD, got[i], rel[i], -1, lock)
