"""Threads' and processes' raw records into rows: a lane when one starts; when it ends, its end
and its life as one run span.

Threads come by the hundred a second in a program that makes an event loop per test (each starts
its default executor's workers): their records are flat values (capture/thread_hooks.py), and a
batch of them is converted a column at a time (``Recorder.created_lanes``, ``end_lives``).
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from itertools import compress, repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from ..capture.compiled import speedups
from ..schema import LANE_PROCESS, LANE_THREAD, OUT_ERROR, OUT_OK, SPAN_RUN
from .columns import consume
from .tasks import py_lanes_of_keys

if TYPE_CHECKING:
    from .recorder import Recorder

# Recorder.raw_thread_starts, flat: ident, native id, name, t (µs since the trace's start), creator,
# code, line, group; the site is the code and line the thread was started from (None and 0 when
# unknown), worked out here
THREAD_START_FIELDS = 8
# Recorder.raw_thread_ends, flat: ident, native id, t (µs since the trace's start), CPU µs, error
# text or None
THREAD_END_FIELDS = 5


def convert_thread_starts(rec: Recorder, values: list[Any]) -> None:
    idents, native_ids, names, starts, creators, codes, lines, groups = _columns(values, THREAD_START_FIELDS)
    if not idents:
        return
    first = created_lanes(
        rec,
        LANE_THREAD,
        names,
        groups,
        creators,
        starts=starts,
        sites=rec.sites_of(codes, lines),
        os_ids=native_ids,
        thread_idents=idents,
    )
    rec.live_thread_lanes.update(zip(native_ids, range(first, first + len(idents)), strict=True))


def convert_thread_ends(rec: Recorder, values: list[Any]) -> None:
    idents, native_ids, ends, cpu_us, errors = _columns(values, THREAD_END_FIELDS)
    if not idents:
        return
    consume(map(rec.live_thread_lanes.pop, native_ids, repeat(None)))
    lanes = who_lanes(idents, ends, rec.thread_lanes, rec.key_lanes)
    if min(lanes) < 0:
        for i in compress(range(len(lanes)), map((0).__gt__, lanes)):  # a thread from before the trace
            lanes[i] = rec.lane_of_ident(idents[i], ends[i])
    if errors.count(None) == len(errors):  # the usual case: every thread returned
        end_lives(rec, lanes, ends, OUT_OK, -1, cpu_us)
        return
    outcomes = [OUT_ERROR if error else OUT_OK for error in errors]
    end_lives(rec, lanes, ends, outcomes, [-1 if error is None else rec.string(error) for error in errors], cpu_us)


def convert_process_start(rec: Recorder, item: tuple[Any, ...]) -> None:
    _, pid, name, t, creator, site, group = item
    if pid not in rec.pid_lane:
        rec.pid_lane[pid] = created_lanes(
            rec, LANE_PROCESS, [name], [group], [creator], starts=[rec.us(t)], sites=[rec.string(site)], os_ids=[pid]
        )


def convert_process_end(rec: Recorder, item: tuple[Any, ...]) -> None:
    _, pid, t, outcome, detail, cpu_s = item
    lane = rec.pid_lane.get(pid)
    if lane is not None and pid not in rec.ended_pids:
        rec.ended_pids.add(pid)
        end_lives(rec, [lane], [rec.us(t)], [outcome], [rec.string(detail)], [int(cpu_s * 1e6)])


def created_lanes(
    rec: Recorder,
    kind: int,
    names: list[str],
    groups: list[str],
    creators: list[int | str | None],
    *,
    starts: list[int],
    sites: list[int],
    os_ids: list[int],
    thread_idents: list[int] | None = None,
) -> int:
    """Lanes of threads or processes, each made by its creator (a thread ident, a traced task's
    key, an untraced task's name, or None); the first one's index. ``thread_idents``: the
    threads', registered before any creator is looked up (a thread of the batch may start
    another). A traced task whose lane is not made yet (convert_misc runs before tasks are
    converted) is bound by the next convert, before any chunk holds the row: until then -1
    (looked up now, it got a made-up "task" lane)."""
    with rec.lock:
        own = set(thread_idents or ())
        found = who_lanes(creators, starts, rec.thread_lanes, rec.key_lanes)
        for i in compress(range(len(found)), map((0).__gt__, found)) if min(found) < 0 else ():
            creator = creators[i]
            if creator is not None and not (isinstance(creator, int) and (creator < 0 or creator in own)):
                rec.who_lane(creator, starts[i])  # a lane of its own first: the batch's are in a row
        first = len(rec.lane_names)
        if thread_idents is not None:
            rec.register_thread_lanes(thread_idents, starts, first)
        made_by = who_lanes(creators, starts, rec.thread_lanes, rec.key_lanes)
        for i in compress(range(len(made_by)), map((0).__gt__, made_by)) if min(made_by) < 0 else ():
            creator = creators[i]
            if isinstance(creator, int) and creator < 0:  # a task's whose lane is not made yet
                rec.unbound_creators.append((first + i, creator))
            elif creator is not None:
                made_by[i] = rec.who_lane(creator, starts[i])
        return rec.add_lanes(kind, names, groups, created_by=made_by, sites=sites, starts=starts, os_ids=os_ids)


def end_lives(
    rec: Recorder,
    lanes: list[int],
    ends_us: list[int],
    outcomes: list[int] | int,
    details: list[int] | int,
    cpu_us: list[int],
) -> None:
    """The end rows (``details``: string indexes; an outcome or a detail for every row, or one for
    all) and the one run span of threads' or processes' lanes."""
    n = len(lanes)
    rec.add_rows("ends", n, lane=lanes, t=ends_us, outcome=outcomes, detail=details, cpu_us=cpu_us, reason=-1, by=-1)
    lane_starts = list(map(rec.tables["lanes"]["start"].__getitem__, lanes))
    rec.event_columns(
        "spans",
        n,
        lane=lanes,
        kind=SPAN_RUN,
        start=lane_starts,
        end=list(map(max, lane_starts, ends_us)),
        label=-1,
        lock=-1,
    )


def py_who_lanes(
    whos: list[Any], times: list[int], histories: dict[int, list[tuple[int, int]]], key_lanes: array
) -> list[int]:
    """The lane of each record's 'who' at its time, where one is known (twin of
    ``_speedups.who_lanes``): a thread ident's from its history of (start, lane), in the order of
    the starts (idents are reused): the last lane started by then, else its first; a traced task
    key's once bound. -1 for anything else (None, an untraced task's name, an ident without a
    history, a key not bound yet): Recorder.who_lane's to make."""
    lanes = py_lanes_of_keys(whos, key_lanes)
    for i, who in enumerate(whos):
        history = histories.get(who) if who.__class__ is int and who >= 0 else None
        if history:
            lanes[i] = history[max(0, bisect_right(history, times[i], key=itemgetter(0)) - 1)][1]
    return lanes


who_lanes = speedups.who_lanes if speedups is not None else py_who_lanes


def _columns(values: list[Any], fields: int) -> list[list[Any]]:
    """A flat buffer's columns: each field's values, one per record."""
    return [values[i::fields] for i in range(fields)]
