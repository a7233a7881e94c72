"""Task fates and who awaits whom (trace schema v2): outcomes with reasons, the awaits table, and
the API on top of them."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import warnings

import pytest
from conftest import validate

import threadline
from threadline.read.upgrade import TraceVersionError
from threadline.schema import SPAN_SUSPENDED, TRACE_SCHEMA_VERSION


def test_a_v1_trace_is_read_as_v2():
    with threadline.trace(display=False) as t:
        asyncio.run(asyncio.sleep(0))
    saved = json.loads(t.to_json())
    v1 = {**saved, "version": 1, "ends": {k: v for k, v in saved["ends"].items() if k not in ("reason", "by")}}
    del v1["awaits"]
    upgraded = threadline.Trace(v1).data
    validate(upgraded)
    assert upgraded["version"] == TRACE_SCHEMA_VERSION
    assert upgraded["ends"]["lane"], "the task's end"
    assert upgraded["ends"]["reason"] == upgraded["ends"]["by"] == [-1] * len(upgraded["ends"]["lane"])
    assert upgraded["awaits"] == {"lane": [], "target": [], "start": [], "end": []}


def test_a_trace_from_a_newer_threadline_is_refused_with_what_to_do():
    with pytest.raises(TraceVersionError, match="upgrade threadline"):
        threadline.Trace({"version": TRACE_SCHEMA_VERSION + 1})


def _run_traced(main):
    with threadline.trace(display=False) as t:
        asyncio.run(main())
    validate(t.data)
    return t


def test_a_taskgroup_whose_child_raises_shows_who_raised_who_was_cancelled_and_who_awaited_them():
    # the must-show case
    async def boom():
        await asyncio.sleep(0.01)
        raise ValueError("boom")

    async def slow1():
        await asyncio.sleep(10)

    async def slow2():
        await asyncio.sleep(10)

    async def main():
        with contextlib.suppress(ExceptionGroup):
            async with asyncio.TaskGroup() as tg:
                tg.create_task(boom())
                tg.create_task(slow1())
                tg.create_task(slow2())

    t = _run_traced(main)
    outcomes = t.task_outcomes()
    assert "ValueError" in outcomes["boom"]
    assert outcomes["boom"] == "raised ValueError: boom"
    for slow in ("slow1", "slow2"):
        assert "cancel" in outcomes[slow]
        assert outcomes[slow] == "cancelled (TaskGroup abort, by boom)"
    assert outcomes["main"] == "returned"
    edges = t.await_edges()
    for child in ("boom", "slow1", "slow2"):
        assert ("main", child) in edges
    t.assert_raised("boom", ValueError)
    t.assert_raised("boom", Exception)
    t.assert_cancelled("slow*", reason="TaskGroup abort")
    t.assert_awaited_by("slow2", "main")
    t.assert_returned("main")
    # each edge lasts until that child ended
    data = t.data
    names = [data["strings"][i] for i in data["lanes"]["name"]]
    end_of = dict(zip(data["ends"]["lane"], data["ends"]["t"], strict=True))
    for lane, target, start, end in rows_of(data["awaits"]):
        assert names[lane] == "main"
        assert start <= end == end_of[target]


def rows_of(table):
    return list(zip(*table.values(), strict=True))


def test_the_assertions_tell_a_learner_what_happened_instead():
    async def boom():
        raise ValueError("boom")

    async def slow():
        await asyncio.sleep(10)

    async def main():
        with contextlib.suppress(ExceptionGroup):
            async with asyncio.TaskGroup() as tg:
                tg.create_task(slow())
                tg.create_task(boom())

    t = _run_traced(main)
    with pytest.raises(
        AssertionError, match=r"'slow' to return normally, but it was cancelled \(TaskGroup abort, by boom\)"
    ):
        t.assert_returned("slow")
    with pytest.raises(AssertionError, match="the group cancels all the others"):
        t.assert_returned("slow")
    with pytest.raises(AssertionError, match="to raise KeyError, but it raised ValueError: boom"):
        t.assert_raised("boom", KeyError)
    with pytest.raises(AssertionError, match="to be cancelled, but it raised ValueError"):
        t.assert_cancelled("boom")
    with pytest.raises(AssertionError, match="because of 'timeout', but it was cancelled"):
        t.assert_cancelled("slow", reason="timeout")
    with pytest.raises(
        AssertionError, match=r"'boom' to wait for task 'main', but it never did \(awaits seen: main → "
    ):
        t.assert_awaited_by("main", "boom")
    with pytest.raises(
        AssertionError, match=r"No task named 'nothing' ran while tracing \(tasks seen: main, slow, boom\)"
    ):
        t.assert_returned("nothing")


def test_timeouts_cancel_the_awaited_task_for_timeout():
    async def sleeper():
        await asyncio.sleep(10)

    async def main():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.create_task(sleeper()), 0.01)
        inner = asyncio.create_task(sleeper(), name="inner")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.01):
                await inner

    t = _run_traced(main)
    outcomes = t.task_outcomes()
    assert outcomes["sleeper"] == outcomes["inner"] == "cancelled (timeout)"
    assert outcomes["main"] == "returned"
    t.assert_cancelled("inner", reason="timeout")
    t.assert_awaited_by("inner", "main")


def test_an_explicit_cancel_and_a_cancelled_gather():
    async def victim():
        await asyncio.sleep(10)

    async def child():
        await asyncio.sleep(10)

    async def main():
        task = asyncio.create_task(victim())
        await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        gathered = asyncio.gather(child(), child())
        await asyncio.sleep(0)
        gathered.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await gathered

    t = _run_traced(main)
    outcomes = t.task_outcomes()
    assert outcomes["victim"] == "cancelled (cancel())"
    assert outcomes["child"] == outcomes["child #2"] == "cancelled (gather cancelled, by main)"
    # a cancelled gather is still awaited until its children have finished cancelling
    assert t.await_edges() == [("main", "victim"), ("main", "child"), ("main", "child #2")]


def test_gather_children_are_awaited_by_the_task_awaiting_the_gather():
    async def part(n):
        await asyncio.sleep(0.001 * n)
        return n

    async def main():
        assert await asyncio.gather(part(1), part(2), part(3)) == [1, 2, 3]

    t = _run_traced(main)
    assert t.await_edges() == [("main", "part"), ("main", "part #2"), ("main", "part #3")]
    assert set(t.task_outcomes().values()) == {"returned"}
    # the edges end when main resumes: after the last child ended
    data = t.data
    end_of = dict(zip(data["ends"]["lane"], data["ends"]["t"], strict=True))
    edges = rows_of(data["awaits"])
    assert len({(start, end) for _, _, start, end in edges}) == 1
    for _, target, start, end in edges:
        assert start < end_of[target] <= end


def test_each_of_many_gathers_awaited_in_one_batch_ends_when_its_own_wait_does():
    # one task, 300 gathers, all converted together at the end: each gather's edges end at the end
    # of the suspension that wait began (not a later one), the waits kept in time order
    async def part(n):
        await asyncio.sleep(0)
        return n

    async def main():
        for i in range(300):
            await asyncio.gather(part(i), part(i + 1))

    t = _run_traced(main)
    data = t.data
    edges = rows_of(data["awaits"])
    assert len(edges) == 600 and len({lane for lane, *_ in edges}) == 1
    main_lane = edges[0][0]
    s = data["spans"]
    suspended = {
        (start, end)
        for lane, kind, start, end in zip(s["lane"], s["kind"], s["start"], s["end"], strict=True)
        if lane == main_lane and kind == SPAN_SUSPENDED
    }
    waits = sorted({(start, end) for _, _, start, end in edges})
    # one wait a gather, each exactly one suspension of main's, in the order they happened
    assert len(waits) == 300 and set(waits) <= suspended
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(waits, waits[1:], strict=False))


def test_an_awaiter_that_suspends_again_after_its_gather_in_the_same_batch_keeps_its_one_edge_a_child():
    # main's gather edges all close at its first suspension; its later suspensions in the same
    # batch find no edge waiting (this once failed the trace's end with a KeyError)
    async def part(n):
        await asyncio.sleep(0)
        return n

    async def main():
        await asyncio.gather(part(1), part(2))
        for _ in range(3):
            await asyncio.sleep(0.001)  # a suspension (sleep(0) only yields)

    edges = rows_of(_run_traced(main).data["awaits"])
    assert len(edges) == 2 and len({lane for lane, *_ in edges}) == 1


def test_asyncio_run_cancels_what_is_left_for_shutdown():
    kept = []

    async def lingering():
        await asyncio.sleep(10)

    async def main():
        kept.append(asyncio.create_task(lingering()))
        await asyncio.sleep(0)

    t = _run_traced(main)
    assert t.task_outcomes()["lingering"] == "cancelled (shutdown)"


def test_a_task_dropped_while_pending_is_destroyed():
    async def forever():
        await asyncio.Event().wait()

    async def main():
        asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: None)
        task = asyncio.ensure_future(forever())
        await asyncio.sleep(0)
        del task
        gc.collect()

    t = _run_traced(main)
    assert t.task_outcomes()["forever"] == "destroyed while pending"
    with pytest.raises(AssertionError, match="garbage-collected before it finished"):
        t.assert_returned("forever")


async def forgotten():
    await asyncio.sleep(0)


async def forgets():
    forgotten()  # the learner's mistake: no await


def _warnings_of(traced: bool) -> tuple[list[tuple[str, int, str]], threadline.trace | None]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if traced:
            with threadline.trace(display=False) as t:
                asyncio.run(forgets())
        else:
            asyncio.run(forgets())
            t = None
    return [(w.filename, w.lineno, str(w.message)) for w in caught], t


def test_a_coroutine_never_awaited_gets_a_lane_and_the_same_warning():
    untraced, _ = _warnings_of(traced=False)
    traced, t = _warnings_of(traced=True)
    assert untraced == traced
    assert untraced[0][0] == __file__, "the warning points at the learner's line, traced or not"
    assert t is not None
    validate(t.data)
    assert t.task_outcomes()["forgotten"] == "never awaited"
    assert "forgotten" not in t.lanes(), "it never ran: not one of the concurrent tasks"
    with pytest.raises(AssertionError, match="was never awaited. Hint: calling a coroutine function only creates"):
        t.assert_returned("forgotten")
    data = t.data
    groups = [data["strings"][g] for g in data["lanes"]["group"]]
    assert "never awaited" in groups


def test_a_child_spawned_while_the_taskgroup_exits_is_awaited_by_the_parent_too():
    async def leaf():
        await asyncio.sleep(0.01)

    async def spawner(tg):
        await asyncio.sleep(0.005)  # the parent is waiting in `async with`'s exit by now
        tg.create_task(leaf())

    async def main():
        async with asyncio.TaskGroup() as tg:
            tg.create_task(spawner(tg))

    t = _run_traced(main)
    assert t.await_edges() == [("main", "spawner"), ("main", "leaf")]
    assert set(t.task_outcomes().values()) == {"returned"}
