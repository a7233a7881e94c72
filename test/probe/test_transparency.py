"""The probe must not change what the traced program observes, nor grow with the number of tasks."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import gc
import json
import pickle
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path

import threadline
from threadline.schema import OUT_DESTROYED

HERE = Path(__file__).parent


def test_a_dropped_pending_task_is_destroyed_and_reported_as_untraced():
    messages: list[str] = []

    async def forever():
        await asyncio.Event().wait()

    async def main():
        asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: messages.append(ctx["message"]))
        task = asyncio.ensure_future(forever())
        ref = weakref.ref(task)
        await asyncio.sleep(0)
        del task
        gc.collect()
        return ref() is None

    with threadline.trace(display=False) as t:
        destroyed = asyncio.run(main())
    assert destroyed, "the probe kept a task the program dropped"
    assert messages == ["Task was destroyed but it is pending!"]
    trace = t.data
    strings = trace["strings"]
    names = [strings[i] for i in trace["lanes"]["name"]]
    lane = names.index("forever")
    ends = trace["ends"]
    outcomes = dict(zip(ends["lane"], ends["outcome"], strict=True))
    assert outcomes[lane] == OUT_DESTROYED


def test_finished_tasks_and_their_results_are_not_kept():
    class Result:
        pass

    refs: list[weakref.ref] = []

    async def work():
        await asyncio.sleep(0)
        result = Result()
        refs.append(weakref.ref(result))
        return result

    async def main():
        task = asyncio.create_task(work())
        refs.append(weakref.ref(task))
        await task

    with threadline.trace(display=False) as t:
        asyncio.run(main())
        gc.collect()
        assert [r() for r in refs] == [None, None]
    assert t.lanes("work") == ["work"]


def test_200k_short_tasks_stay_within_100_mb_of_the_untraced_run():
    def run(*flags: str) -> dict:
        done = subprocess.run(
            [sys.executable, str(HERE / "short_tasks.py"), *flags], capture_output=True, text=True, check=True
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    plain = run()
    traced = run("--trace")
    assert traced["lanes"] >= 200_000
    assert traced["max_rss_kb"] - plain["max_rss_kb"] < 100 * 1024, (plain, traced)


def test_a_finished_trace_keeps_no_task_of_the_program():
    async def work():
        await asyncio.sleep(0)

    async def main():
        async with threadline.trace(display=False) as t:
            await asyncio.gather(work(), work())
        return t, weakref.ref(asyncio.current_task())

    t, cell = asyncio.run(main())
    gc.collect()
    assert cell() is None, "the trace kept the task that ran it"
    assert t.lanes("work") == ["work", "work"]


def test_stack_samples_keep_no_frame_alive():
    class Held:
        pass

    def sampled(t: threadline.trace) -> weakref.ref:
        held = Held()
        t._sampler.sample_stacks(time.perf_counter())  # this frame, with `held` in it, is sampled
        return weakref.ref(held)

    gc.disable()
    try:
        with threadline.trace(display=False) as t:
            ref = sampled(t)
            assert ref() is None, "a stack sample kept the sampled frame's locals alive"
    finally:
        gc.enable()


def test_threadings_replaced_names_stay_threadings():
    with threadline.trace(display=False):
        # what CPython's test__all__ checks, and what pickle looks up by name
        assert {threading.Lock.__module__, threading.RLock.__module__, threading.Condition.__module__} <= {
            "threading",
            "_thread",
        }
        for name in ("Lock", "RLock", "Condition"):
            assert pickle.loads(pickle.dumps(getattr(threading, name))) is getattr(threading, name)


def _echo(*args: object, **kwargs: object) -> tuple:
    return args, kwargs


def test_a_process_pool_call_may_take_any_keyword():
    with threadline.trace(display=False), concurrent.futures.ProcessPoolExecutor(1) as pool:
        assert pool.submit(_echo, 1, self=2, fn=3).result() == ((1,), {"self": 2, "fn": 3})


def test_a_task_result_is_repr_d_only_as_often_as_untraced():
    # CPython's test_runners (3.12+) checks asyncio never calls repr() on a task's result; 3.11's
    # asyncio itself does, twice
    class Result:
        calls = 0

        def __repr__(self):
            Result.calls += 1
            return "Result()"

    async def plain():
        return [1, "two", (3.0, None)]

    async def main():
        return Result(), await asyncio.create_task(plain())

    asyncio.run(main())
    untraced, Result.calls = Result.calls, 0
    with threadline.trace(display=False) as t:
        asyncio.run(main())
    assert Result.calls == untraced
    trace = t.data
    details = [trace["strings"][d] for d in trace["ends"]["detail"] if d >= 0]
    assert "[1, 'two', (3.0, None)]" in details, "plain values are shown"
    assert "<tuple object>" in details, "a tuple holding the learner's object is not"


def _callbacks_in_contexts() -> tuple[list[object], list[str]]:
    """What callbacks see of their context: with arguments or none, in a copied context, and an
    error (entering a context already entered) handled as asyncio handles it."""
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="outside")
    seen: list[object] = []
    errors: list[str] = []

    async def read() -> str:
        await asyncio.sleep(0)
        return var.get()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda loop, ctx: errors.append(f"{type(ctx['exception']).__name__}"))
        ctx = contextvars.copy_context()
        ctx.run(var.set, "inside")
        done = loop.create_future()
        loop.call_soon(lambda *args: seen.append((var.get(), args)), 1, 2, context=ctx)
        loop.call_soon(lambda: seen.append((var.get(), ())))
        loop.call_soon(ctx.run, var.get, context=ctx)
        loop.call_soon(done.set_result, None)
        await done
        seen.append(await asyncio.create_task(read(), context=ctx))
        seen.append(await asyncio.create_task(read()))

    asyncio.run(main())
    return seen, errors


def test_callbacks_run_in_their_contexts_as_untraced():
    untraced = _callbacks_in_contexts()
    with threadline.trace(display=False):
        traced = _callbacks_in_contexts()
    assert untraced == ([("inside", (1, 2)), ("outside", ()), "inside", "outside"], ["RuntimeError"])
    assert traced == untraced


def test_a_finished_thread_is_freed_without_a_gc_pass_and_keeps_its_run():
    # untraced, a joined thread that nothing refers to is freed at once (no reference cycle): the
    # probe's run wrapper must not add one that keeps it, its Event and its locks until a GC pass
    class Own(threading.Thread):
        pass

    def work() -> None:
        pass

    own_run = Own(target=work)
    own_run.run = work  # an instance's own run is the learner's, and stays
    gc.disable()
    try:
        with threadline.trace(display=False) as t:
            thread = threading.Thread(target=work, name="short")
            thread.start()
            thread.join()
            # its attributes left where Python keeps them, not moved into a dict of their own, which
            # makes every read of them slower (3.11+: a dict among its referents holds them then)
            assert not [r for r in gc.get_referents(thread) if isinstance(r, dict) and "_name" in r]
            assert "run" not in vars(thread)
            ref = weakref.ref(thread)
            del thread
            assert ref() is None, "the probe kept a finished thread alive in a reference cycle"
            own_run.start()
            own_run.join()
            assert vars(own_run)["run"] is work
    finally:
        gc.enable()
    assert "short" in t.lanes()


def test_conditions_made_while_tracing_are_plain_conditions_afterwards():
    with threadline.trace(display=False) as t:
        cond = threading.Condition()
        with cond:
            cond.notify_all()
        event = threading.Event()  # the stdlib makes its own Condition
        event.set()
    for made in (cond, event._cond):
        assert type(made) is threading.Condition
        assert not [k for k in vars(made) if k.startswith("_tl_")]
    assert t.lock_stats("cond").acquisitions == 1
    assert "unlocked" in repr(cond), "a Condition (its RLock) could not be shown"


def test_the_standard_librarys_conditions_stay_plain_and_isinstance_answers_as_untraced():
    plain_condition = threading.Condition
    with threadline.trace(display=False):
        future = concurrent.futures.Future()  # a Condition made by the standard library
        event = threading.Event()
        mine = threading.Condition()
        assert type(future._condition) is plain_condition
        assert type(event._cond) is plain_condition
        for cond in (future._condition, event._cond, mine):
            assert isinstance(cond, threading.Condition)
            assert issubclass(type(cond), threading.Condition)
        assert not isinstance(threading.Lock(), threading.Condition)
        # the learner's own subclass, made while tracing, is still a class like any other
        sub = type("Sub", (threading.Condition,), {})
        assert isinstance(sub(), sub) and not isinstance(mine, sub)
        assert "unlocked" in repr(mine)  # its traced RLock has no locked() to ask before 3.14
        with mine:
            assert "<locked" in repr(mine._lock._lock) and " locked" in repr(mine)
    assert type(mine) is plain_condition  # the learner's becomes plain when the trace ends
