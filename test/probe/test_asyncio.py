"""asyncio tasks: creation, steps, what suspensions awaited, results, errors, cancellation, blocking."""

from __future__ import annotations

import asyncio
import time

import pytest
from conftest import lanes_named, rows, s, validate

import threadline

LANE_TASK, RUN, SUSPENDED, BLOCKED = 0, 0, 1, 4


def spans_of(trace, lane, kind=None):
    return [r for r in rows(trace, "spans") if r["lane"] == lane and (kind is None or r["kind"] == kind)]


def labels_of(trace, lane):
    return [s(trace, r["label"]) for r in spans_of(trace, lane, SUSPENDED)]


def test_create_task_gather_records_lanes_steps_and_creator():
    async def child(i):
        await asyncio.sleep(0.01)
        return i * 2

    async def main():
        tasks = [asyncio.create_task(child(i), name=f"child-{i}") for i in range(3)]
        return await asyncio.gather(*tasks)

    with threadline.trace(display=False) as t:
        assert asyncio.run(main()) == [0, 2, 4]
    trace = t.data
    validate(trace)
    main_lane = lanes_named(trace, "main")
    assert len(main_lane) == 1
    for i in range(3):
        (lane,) = lanes_named(trace, f"child-{i}")
        assert trace["lanes"]["kind"][lane] == LANE_TASK
        assert trace["lanes"]["created_by"][lane] == main_lane[0]
        assert "test_asyncio.py" in s(trace, trace["lanes"]["site"][lane])
        runs = spans_of(trace, lane, RUN)
        assert len(runs) == 2, "one step before the sleep, one after"
        assert runs[0]["end"] <= runs[1]["start"]
        assert labels_of(trace, lane) == ["sleep"]
        (end,) = [r for r in rows(trace, "ends") if r["lane"] == lane]
        assert end["outcome"] == 0 and s(trace, end["detail"]) == repr(i * 2)
        assert end["t"] >= runs[-1]["end"] - 1
    # the main task awaited gather
    assert "gather" in labels_of(trace, main_lane[0])


def test_each_task_of_a_batch_keeps_its_own_name_and_site_when_runs_of_them_share_both():
    """Tasks made one after another at one line are described once a run: runs of different
    lines, coroutines and names in one batch each get their own."""

    async def ping():
        await asyncio.sleep(0)

    async def pong():
        await asyncio.sleep(0)

    async def main():
        first = [asyncio.create_task(ping()) for _ in range(3)]
        second = [asyncio.create_task(pong()) for _ in range(2)]
        named = [asyncio.create_task(ping(), name=f"mine-{i}") for i in range(2)]
        last = [asyncio.create_task(ping()) for _ in range(2)]
        await asyncio.gather(*first, *second, *named, *last)

    with threadline.trace(display=False) as t:
        asyncio.run(main())
    trace = t.data
    validate(trace)
    lanes = [lane for lane, kind in enumerate(trace["lanes"]["kind"]) if kind == LANE_TASK][1:]  # after main
    names = [s(trace, trace["lanes"]["name"][lane]) for lane in lanes]
    assert names == ["ping"] * 3 + ["pong"] * 2 + ["mine-0", "mine-1"] + ["ping"] * 2
    sites = [s(trace, trace["lanes"]["site"][lane]) for lane in lanes]
    lines = [int(site.rsplit(":", 1)[1].split()[0]) for site in sites]
    assert len(set(lines[:3])) == len(set(lines[3:5])) == len(set(lines[7:])) == 1
    assert lines[0] < lines[3] < lines[5] < lines[7], sites


def test_a_trace_keeps_a_bounded_number_of_distinct_result_details(monkeypatch):
    from threadline.record import recorder

    monkeypatch.setattr(recorder, "DETAILS_LIMIT", 30)

    async def square(i):
        await asyncio.sleep(0)
        return i * i

    async def main():
        await asyncio.gather(*(square(i) for i in range(50)))  # 50 distinct results
        await asyncio.gather(*(square(i) for i in range(50)))  # the same again: all already known

    with threadline.trace(display=False) as t:
        asyncio.run(main())
    trace = t.data
    validate(trace)
    ends = [r for r in rows(trace, "ends") if trace["lanes"]["name"][r["lane"]] == trace["strings"].index("square")]
    details = [s(trace, r["detail"]) if r["detail"] >= 0 else None for r in ends]
    assert len(details) == 100
    kept = {d for d in details if d is not None}
    assert len(kept) == 30, "thirty distinct details, no more"
    assert kept <= {repr(i * i) for i in range(50)}
    assert details[50:].count(None) == details[:50].count(None) == 20, "a detail already known is kept again"


def test_past_the_details_budget_results_are_no_longer_described_and_known_errors_still_are(monkeypatch):
    from threadline.record import recorder

    monkeypatch.setattr(recorder, "DETAILS_LIMIT", 10)

    async def square(i):
        await asyncio.sleep(0)
        return i * i

    async def fail(message):
        await asyncio.sleep(0)
        raise ValueError(message)

    async def main(t):
        await asyncio.gather(fail("boom"), *(square(i) for i in range(20)), return_exceptions=True)
        t.recorder.convert()  # the budget is spent here
        await asyncio.gather(fail("boom"), fail("new"), *(square(i) for i in range(20)), return_exceptions=True)

    with threadline.trace(display=False) as t:
        asyncio.run(main(t))
    trace = t.data
    validate(trace)
    by_lane = {r["lane"]: r for r in rows(trace, "ends")}
    named = {name: [by_lane[lane] for lane in lanes_named(trace, name)] for name in ("square", "fail")}
    first, later = named["square"][:20], named["square"][20:]
    assert sum(r["detail"] >= 0 for r in first) == 9, "the budget: ten details, one of them the error"
    assert [(r["outcome"], r["detail"]) for r in later] == [(0, -1)] * 20, "results are no longer described"
    errors = [s(trace, r["detail"]) if r["detail"] >= 0 else None for r in named["fail"]]
    assert errors == ["ValueError: boom", "ValueError: boom", None], "a known message is kept, a new one is not"


@pytest.mark.skipif(not hasattr(asyncio, "eager_task_factory"), reason="eager tasks arrived in Python 3.12")
def test_eager_tasks_first_step_is_recorded():
    # An eager task runs its first step inside create_task, not through Handle._run: the timeline
    # must still start its lane there, and a task that never suspends must still be drawn and ended.
    async def hit():
        return "cached"

    async def miss():
        await asyncio.sleep(0.02)
        return "fetched"

    async def main():
        asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
        tasks = [asyncio.create_task(miss(), name=f"miss-{i}") for i in range(3)]
        done = asyncio.create_task(hit(), name="hit")
        assert done.done()
        return await asyncio.gather(done, *tasks)

    with threadline.trace(display=False) as t:
        assert asyncio.run(main()) == ["cached"] + ["fetched"] * 3
    trace = t.data
    validate(trace)
    for i in range(3):
        (lane,) = lanes_named(trace, f"miss-{i}")
        runs = spans_of(trace, lane, RUN)
        assert len(runs) == 2, "the eager first step (up to the sleep), then the step after it"
        assert labels_of(trace, lane) == ["sleep"]
    (lane,) = lanes_named(trace, "hit")
    assert len(spans_of(trace, lane, RUN)) == 1
    (end,) = [r for r in rows(trace, "ends") if r["lane"] == lane]
    assert end["outcome"] == 0 and s(trace, end["detail"]) == repr("cached")
    assert t.max_concurrent("miss-*") == 3


def test_errors_cancellation_and_awaiting_another_task():
    async def boom():
        await asyncio.sleep(0)
        raise ValueError("bad input")

    async def forever():
        await asyncio.sleep(10)

    async def waiter(other):
        return await other

    async def main():
        bad = asyncio.create_task(boom(), name="boom")
        slow = asyncio.create_task(forever(), name="forever")
        w = asyncio.create_task(waiter(slow), name="waiter")
        await asyncio.sleep(0.01)
        slow.cancel()
        with pytest.raises(ValueError):
            await bad
        with pytest.raises(asyncio.CancelledError):
            await w

    with threadline.trace(display=False) as t:
        asyncio.run(main())
    trace = t.data
    validate(trace)
    ends = {s(trace, trace["lanes"]["name"][r["lane"]]): r for r in rows(trace, "ends")}
    assert ends["boom"]["outcome"] == 1 and "ValueError: bad input" in s(trace, ends["boom"]["detail"])
    assert ends["forever"]["outcome"] == 2
    assert ends["waiter"]["outcome"] == 2
    (w,) = lanes_named(trace, "waiter")
    assert labels_of(trace, w)[0] == "task forever"


def test_wait_as_completed_taskgroup_timeout_labels():
    async def job(d):
        await asyncio.sleep(d)
        return d

    async def main():
        done, _ = await asyncio.wait(
            [asyncio.create_task(job(0.01), name="w1"), asyncio.create_task(job(0.02), name="w2")]
        )
        got = [await f for f in asyncio.as_completed([job(0.01), job(0.005)])]
        async with asyncio.TaskGroup() as tg:
            tg.create_task(job(0.01), name="tg1")
            tg.create_task(job(0.01), name="tg2")
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.01):
                await asyncio.sleep(1)
        return len(done), sorted(got)

    with threadline.trace(display=False) as t:
        assert asyncio.run(main()) == (2, [0.005, 0.01])
    trace = t.data
    validate(trace)
    for name in ("w1", "w2", "tg1", "tg2"):
        assert lanes_named(trace, name), f"task {name} recorded"
    labels = set(labels_of(trace, lanes_named(trace, "main")[0]))
    assert "asyncio.wait" in labels
    assert "TaskGroup" in labels
    assert "sleep" in labels
    assert t.max_concurrent("tg*") == 2
    assert t.ran_concurrently("tg1", "tg2")


def test_suspension_labels_for_primitives():
    async def main():
        lock = asyncio.Lock()
        event = asyncio.Event()
        queue = asyncio.Queue()

        async def use_lock():
            async with lock:
                await asyncio.sleep(0.01)

        async def wait_event():
            await event.wait()

        async def consume():
            return await queue.get()

        tasks = [
            asyncio.create_task(use_lock(), name="L1"),
            asyncio.create_task(use_lock(), name="L2"),
            asyncio.create_task(wait_event(), name="E"),
            asyncio.create_task(consume(), name="Q"),
        ]
        await asyncio.sleep(0.02)
        event.set()
        await queue.put(1)
        await asyncio.gather(*tasks)

    with threadline.trace(display=False) as t:
        asyncio.run(main())
    trace = t.data
    validate(trace)
    assert labels_of(trace, lanes_named(trace, "L2")[0])[0] == "asyncio.Lock lock"
    assert labels_of(trace, lanes_named(trace, "E")[0]) == ["asyncio.Event event"]
    assert labels_of(trace, lanes_named(trace, "Q")[0]) == ["asyncio.Queue queue get"]


def test_blocking_step_is_flagged_with_location():
    async def bad():
        await asyncio.sleep(0)
        time.sleep(0.25)  # blocks the loop
        await asyncio.sleep(0)

    with threadline.trace(display=False, block_threshold=0.1) as t:
        asyncio.run(bad())
    trace = t.data
    blocks = t.blocked_loop()
    assert len(blocks) == 1
    assert blocks[0].duration_s >= 0.2
    assert "test_asyncio.py" in blocks[0].location and "in bad" in blocks[0].location
    assert [r for r in rows(trace, "spans") if r["kind"] == BLOCKED]
    with pytest.raises(AssertionError, match="event loop was blocked"):
        t.assert_loop_not_blocked()


def test_not_blocked_when_awaiting():
    async def good():
        await asyncio.sleep(0.15)

    with threadline.trace(display=False) as t:
        asyncio.run(good())
    assert t.blocked_loop() == []
    t.assert_loop_not_blocked()


def test_async_with_trace_records_the_enclosing_task():
    async def worker(i):
        await asyncio.sleep(0.01 * i)

    async def main():
        async with threadline.trace(display=False) as t:
            await asyncio.gather(*(worker(i) for i in range(3)))
        return t

    t = asyncio.run(main())
    trace = t.data
    validate(trace)
    assert lanes_named(trace, "cell"), "the task that opened the trace is a lane"
    assert len(t.lanes("worker")) == 3
    assert t.max_concurrent("worker") == 3


def test_semaphore_limits_concurrency():
    async def fetch(sem, i):
        async with sem:
            await asyncio.sleep(0.02)

    async def main():
        sem = asyncio.Semaphore(3)
        await asyncio.gather(*(fetch(sem, i) for i in range(10)))

    with threadline.trace(display=False) as t:
        asyncio.run(main())
    assert t.max_concurrent("fetch") == 3
    t.assert_max_concurrent(3, "fetch")
    with pytest.raises(AssertionError, match="at most 2"):
        t.assert_max_concurrent(2, "fetch")
    stats = t.lock_stats("sem")
    assert stats.acquisitions == 10 and stats.max_holders == 3 and not stats.exclusive
    assert stats.total_wait_s > 0


def test_async_with_trace_sees_blocking_in_the_enclosing_task_from_start_to_stop():
    async def work():
        time.sleep(0.2)  # first step: it began before the trace did
        await asyncio.sleep(0.01)
        time.sleep(0.2)  # last step: the trace stops inside it

    async def main():
        async with threadline.trace(display=False, block_threshold=0.1) as t:
            await work()
        return t

    t = asyncio.run(main())
    trace = t.data
    validate(trace)
    (cell,) = lanes_named(trace, "cell")
    assert s(trace, trace["lanes"]["group"][cell]) == "main"
    runs = spans_of(trace, cell, RUN)
    assert len(runs) == 2 and runs[0]["start"] < 50_000
    assert labels_of(trace, cell) == ["sleep"]
    blocks = t.blocked_loop()
    assert [b.location.split(" in ")[-1] for b in blocks] == ["work", "work"], blocks
    assert all("test_asyncio.py" in b.location and b.duration_s >= 0.15 for b in blocks)


def test_recording_a_step_keeps_no_extra_object_for_the_cyclic_gc():
    """Raw step records are flat: a step that leaves its task waiting on a future adds no tuple the
    garbage collector must track (a million of them made every collection slower)."""
    import gc

    n = 5000

    async def main():
        loop = asyncio.get_running_loop()
        for _ in range(n):
            fut = loop.create_future()
            loop.call_soon(fut.set_result, None)
            await fut

    with threadline.trace(display=False) as t:
        gc.collect()
        before = len(gc.get_objects())
        asyncio.run(main())
        gc.collect()
        grown = len(gc.get_objects()) - before
    # the futures themselves stay referenced by the raw records until conversion: n of them
    assert grown < 1.5 * n, f"{grown} GC-tracked objects for {n} steps"
    assert len(t.lanes("main")) == 1
