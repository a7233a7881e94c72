"""Threads and synchronisation primitives (threading, queue, asyncio)."""

from __future__ import annotations

import asyncio
import queue
import sys
import threading
import time
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import lanes_named, rows, s, validate

import threadline

LANE_THREAD = 1


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_threads_start_end_names_native_ids_and_cpu():
    def spin():
        end = time.thread_time() + 0.15
        while time.thread_time() < end:
            pass

    def fail():
        raise RuntimeError("worker crashed")

    with threadline.trace(display=False) as t:
        workers = [threading.Thread(target=spin, name=f"spin-{i}") for i in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        bad = threading.Thread(target=fail, name="crash")
        bad.start()
        bad.join()
    trace = t.data
    validate(trace)
    ends = {r["lane"]: r for r in rows(trace, "ends")}
    for i, w in enumerate(workers):
        (lane,) = lanes_named(trace, f"spin-{i}")
        assert trace["lanes"]["kind"][lane] == LANE_THREAD
        assert trace["lanes"]["os_id"][lane] == w.native_id
        assert s(trace, trace["lanes"]["group"][lane]) == "threads"
        assert ends[lane]["outcome"] == 0
        assert ends[lane]["cpu_us"] >= 100_000, "spun for 150 ms of CPU"
        assert ends[lane]["t"] > trace["lanes"]["start"][lane]
    (crash,) = lanes_named(trace, "crash")
    assert ends[crash]["outcome"] == 1 and "worker crashed" in s(trace, ends[crash]["detail"])
    assert t.threads_used() == 3
    t.assert_threads_used(3)
    with pytest.raises(AssertionError, match="at least 4 thread"):
        t.assert_threads_used(4)
    assert t.ran_concurrently("spin-0", "spin-1")


class _UnprintableError(Exception):
    def __str__(self) -> str:
        raise ValueError("no text")


def test_a_threads_error_is_noted_and_its_own_excepthook_still_runs(monkeypatch):
    seen = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append((args.exc_type, args.thread.name)))

    def fail(exc: BaseException) -> None:
        raise exc

    with threadline.trace(display=False) as t:
        threads = [
            threading.Thread(target=fail, args=(RuntimeError("x" * 500),), name="long"),
            threading.Thread(target=fail, args=(_UnprintableError(),), name="unprintable"),
        ]
        for thread in threads:
            thread.start()  # the site of both
            thread.join()
    trace = t.data
    validate(trace)
    assert seen == [(RuntimeError, "long"), (_UnprintableError, "unprintable")]
    for thread in threads:  # given back as it was
        assert "_threadline" not in thread.__dict__
        assert thread._invoke_excepthook.__name__ == "invoke_excepthook"
    ends = {r["lane"]: r for r in rows(trace, "ends")}
    (long,) = lanes_named(trace, "long")
    (unprintable,) = lanes_named(trace, "unprintable")
    assert s(trace, ends[long]["detail"]) == ("RuntimeError: " + "x" * 500)[:200]
    assert s(trace, ends[unprintable]["detail"]) == "_UnprintableError"
    line = next(i for i, text in enumerate(Path(__file__).read_text().splitlines(), 1) if "# the site of both" in text)
    for lane in (long, unprintable):
        assert ends[lane]["outcome"] == 1
        site = f"test_threads_locks.py:{line} in test_a_threads_error_is_noted_and_its_own_excepthook_still_runs"
        assert s(trace, trace["lanes"]["site"][lane]) == site


def test_threads_that_reuse_one_ident_each_get_their_own_end_when_converted_in_one_batch():
    # The OS reuses a finished thread's ident (an executor per loop: hundreds a second); a batch
    # converts every start before any end, so an end finds its lane by time in the ident's history.
    from threadline.record.recorder import Recorder

    rec = Recorder(capacity=1000, block_threshold_s=0.1, label=None)
    ident = 12345
    for i in range(300):  # thread i runs from i ms to i ms + 0.5 ms since the trace began, on one ident
        rec.raw_thread_starts.extend((ident, 100 + i, f"worker-{i}", i * 1000, None, None, 0, "threads"))
        rec.raw_thread_ends.extend((ident, 100 + i, i * 1000 + 500, 0, "boom" if i == 7 else None))
    rec.convert()
    lanes, ends = rec.tables["lanes"], rec.tables["ends"]
    names = [rec.strings[lanes["name"][lane]] for lane in ends["lane"]]
    assert names == [f"worker-{i}" for i in range(300)]
    assert [lanes["os_id"][lane] for lane in ends["lane"]] == list(range(100, 400))
    assert [rec.strings[d] for d in ends["detail"] if d >= 0] == ["boom"]
    assert rec.live_thread_lanes == {}


def test_a_batch_of_threads_from_a_few_sites_works_each_site_out_once(monkeypatch):
    # An executor per event loop starts its workers from one line, by the hundred in a batch: each
    # site's text is made once (not once a thread of the batch), and a thread without a code has none.
    from threadline.record import recorder as recorder_module
    from threadline.record.recorder import Recorder

    made: list[tuple[str, int]] = []
    real = recorder_module.location_of_frame
    monkeypatch.setattr(
        recorder_module, "location_of_frame", lambda code, line: made.append((code.co_name, line)) or real(code, line)
    )

    def one() -> None: ...

    def other() -> None: ...

    rec = Recorder(capacity=1000, block_threshold_s=0.1, label=None)
    sites = [(one.__code__, 10), (other.__code__, 20), (one.__code__, 11), (None, 0)] * 50
    for i, (code, line) in enumerate(sites):
        rec.raw_thread_starts.extend((i + 1, 1000 + i, f"t{i}", i * 100, None, code, line, "threads"))
    rec.convert()
    assert sorted(made) == [("one", 10), ("one", 11), ("other", 20)]
    lanes = rec.tables["lanes"]
    site_of = {rec.strings[name]: site for name, site in zip(lanes["name"], lanes["site"], strict=True)}
    texts = [rec.strings[site_of[f"t{i}"]] if site_of[f"t{i}"] >= 0 else None for i in range(len(sites))]
    assert texts[:4] == [real(one.__code__, 10), real(other.__code__, 20), real(one.__code__, 11), None]
    assert texts == texts[:4] * 50


def test_a_thread_started_by_a_thread_of_the_same_batch_is_created_by_its_lane():
    # A batch's lanes are made a column at a time; a creator that needs a lane of its own (a thread
    # from before the trace, an untraced task) gets it first, so the batch's lanes stay in a row.
    from threadline.record.recorder import Recorder

    rec = Recorder(capacity=1000, block_threshold_s=0.1, label=None)
    starts = (  # ident, native id, name, t µs, creator
        (1, 101, "parent", 1000, 999),  # made by a thread from before the trace
        (2, 102, "child", 2000, 1),  # made by "parent", in the same batch
        (3, 103, "grandchild", 3000, 2),
        (4, 104, "from a task", 4000, "task Task-9"),  # an untraced task's name
        (5, 105, "orphan", 5000, None),
    )
    for ident, native_id, name, t, creator in starts:
        rec.raw_thread_starts.extend((ident, native_id, name, t, creator, None, 0, "threads"))
    rec.convert()
    lanes = rec.tables["lanes"]
    lane_of = {rec.strings[lanes["name"][lane]]: lane for lane in range(len(lanes["name"]))}
    made_by = {name: lanes["created_by"][lane_of[name]] for name in ("parent", "child", "grandchild", "orphan")}
    assert made_by["child"] == lane_of["parent"] and made_by["grandchild"] == lane_of["child"]
    assert made_by["orphan"] == -1
    assert made_by["parent"] == lane_of["thread 999"]
    assert lanes["created_by"][lane_of["from a task"]] == lane_of["task Task-9"]
    assert [lanes["os_id"][lane_of[name]] for name in ("parent", "child", "grandchild", "from a task", "orphan")] == [
        101,
        102,
        103,
        104,
        105,
    ]
    assert rec.live_thread_lanes == {
        101: lane_of["parent"],
        102: lane_of["child"],
        103: lane_of["grandchild"],
        104: lane_of["from a task"],
        105: lane_of["orphan"],
    }


def test_thread_core_samples_are_recorded():
    def spin():
        end = time.perf_counter() + 0.5
        while time.perf_counter() < end:
            pass

    with threadline.trace(display=False) as t:
        th = threading.Thread(target=spin, name="spinner")
        th.start()
        th.join()
    trace = t.data
    (lane,) = lanes_named(trace, "spinner")
    samples = [r for r in rows(trace, "samples") if r["lane"] == lane]
    assert samples, "the sampler saw the running thread"
    assert all(0 <= r["core"] < 1024 and 0 <= r["cpu"] <= 100 for r in samples)
    cpu = rows(trace, "cpu")
    assert cpu and all(0 <= r["util"] <= 100 for r in cpu)


def test_contended_lock_wait_hold_holder_waiters_and_name():
    def work():
        for _ in range(3):
            with balance_lock:
                time.sleep(0.01)

    with threadline.trace(display=False) as t:
        balance_lock = threading.Lock()
        threads = [threading.Thread(target=work, name=f"w{i}") for i in range(3)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    trace = t.data
    validate(trace)
    assert t.lock_names() == ["balance_lock"]
    assert s(trace, trace["locks"]["kind"][0]) == "threading.Lock"
    acq = rows(trace, "acquires")
    assert len(acq) == 9
    worker_lanes = {lanes_named(trace, f"w{i}")[0] for i in range(3)}
    assert {r["lane"] for r in acq} == worker_lanes
    for r in acq:
        assert r["requested"] <= r["acquired"] <= r["released"]
        assert r["released"] - r["acquired"] >= 9_000
    # holds never overlap
    holds = sorted((r["acquired"], r["released"]) for r in acq)
    assert all(a[1] <= b[0] for a, b in pairwise(holds))
    assert any(r["waiters"] >= 1 for r in acq)
    stats = t.lock_stats("balance_lock")
    assert stats.acquisitions == 9 and stats.exclusive and stats.max_holders == 1
    assert stats.total_wait_s > 0.01 and stats.max_wait_s > 0
    assert 0.08 < stats.total_hold_s < 5
    t.assert_lock_exclusive("balance_lock")
    t.assert_lock_used("balance_lock", 9)
    with pytest.raises(AssertionError, match="at least 10"):
        t.assert_lock_used("balance_lock", 10)
    with pytest.raises(AssertionError, match="No lock called 'nope'"):
        t.lock_stats("nope")
    # lockWait spans exist for the waits, lockHold spans for the 10 ms holds
    kinds = {r["kind"] for r in rows(trace, "spans")}
    assert {2, 3} <= kinds


class Account:
    def __init__(self):
        self.lock = threading.RLock()
        self.balance = 0

    def deposit(self, n):
        with self.lock, self.lock:  # reentrant: one acquisition
            self.balance += n


def test_rlock_attribute_name_and_reentrancy():
    with threadline.trace(display=False) as t:
        acc = Account()
        for _ in range(5):
            acc.deposit(1)
    assert acc.balance == 5
    assert t.lock_names() == ["Account.lock"]
    assert t.lock_stats("lock").acquisitions == 5
    assert t.lock_stats("Account.lock").kind == "threading.RLock"


def test_semaphore_condition_event_queue_threads():
    results = []

    def consumer():
        while True:
            item = jobs.get()
            if item is None:
                return
            with pool_slots:
                time.sleep(0.005)
            with cond:
                results.append(item)
                cond.notify_all()

    def waiter():
        ready.wait()

    with threadline.trace(display=False) as t:
        jobs = queue.Queue()
        pool_slots = threading.BoundedSemaphore(2)
        cond = threading.Condition()
        ready = threading.Event()
        threads = [threading.Thread(target=consumer) for _ in range(3)] + [threading.Thread(target=waiter)]
        for th in threads:
            th.start()
        for i in range(12):
            jobs.put(i)
        with cond:
            cond.wait_for(lambda: len(results) == 12, timeout=10)
        ready.set()
        for _ in range(3):
            jobs.put(None)
        for th in threads:
            th.join()
    trace = t.data
    validate(trace)
    assert sorted(results) == list(range(12))
    kinds = {name: s(trace, k) for name, k in zip(t.lock_names(), trace["locks"]["kind"], strict=True)}
    assert kinds == {
        "jobs": "queue.Queue",
        "pool_slots": "threading.BoundedSemaphore",
        "cond": "threading.Condition",
        "ready": "threading.Event",
    }
    assert t.lock_stats("pool_slots").acquisitions == 12
    assert t.lock_stats("pool_slots").max_holders <= 2
    assert t.lock_stats("jobs").acquisitions == 30  # 15 gets + 15 puts
    assert t.lock_stats("ready").acquisitions == 1
    assert t.lock_stats("cond").acquisitions >= 12


def test_asyncio_primitives_names_and_stats():
    async def main():
        lock = asyncio.Lock()
        cond = asyncio.Condition()
        done = asyncio.Event()
        q = asyncio.Queue(maxsize=2)

        async def producer():
            for i in range(6):
                await q.put(i)
            await q.put(None)

        async def consumer():
            while await q.get() is not None:
                async with lock:
                    await asyncio.sleep(0.001)
            async with cond:
                cond.notify_all()
            done.set()

        async def watcher():
            async with cond:
                await cond.wait()

        w = asyncio.create_task(watcher())
        await asyncio.sleep(0)
        await asyncio.gather(producer(), consumer())
        await done.wait()
        await w

    with threadline.trace(display=False) as t:
        asyncio.run(main())
    trace = t.data
    validate(trace)
    names = dict(zip(t.lock_names(), (s(trace, k) for k in trace["locks"]["kind"]), strict=True))
    assert names["lock"] == "asyncio.Lock"
    assert names["cond"] == "asyncio.Condition"
    assert names["done"] == "asyncio.Event"
    assert names["q"] == "asyncio.Queue"
    assert t.lock_stats("lock").acquisitions == 6
    assert t.lock_stats("q").acquisitions == 14
    assert t.lock_stats("cond").acquisitions >= 2
    holders = {r["lane"] for r in rows(trace, "acquires") if r["lock"] == t.lock_names().index("lock")}
    assert len(holders) == 1 and s(trace, trace["lanes"]["name"][holders.pop()]) == "consumer"


def test_function_locals_made_before_the_trace_and_the_stdlibs_locks_stay_plain():
    before = threading.Lock()
    with threadline.trace(display=False) as t:
        inside = threading.Lock()
        q = queue.Queue()  # its internal mutex/conditions are not the learner's
        with before:
            pass
        with inside:
            pass
        q.put(1)
        q.get()
    assert t.lock_names() == ["inside", "q"]
    # after the trace, objects created inside behave as plain ones and record nothing more
    with inside:
        pass
    assert type(inside).__name__ == "PlainLock"
    assert type(q) is queue.Queue
    assert threading.Lock is not None and threading.Lock().__class__.__name__ == "lock"


class CountingLock(asyncio.Lock):
    """A learner's subclass: recorded as the asyncio.Lock it is."""

    def __init__(self):
        super().__init__()
        self.uses = 0


def test_asyncio_primitives_created_before_the_trace_and_subclasses_are_recorded():
    lock = asyncio.Lock()
    sem = asyncio.Semaphore(2)
    bounded = asyncio.BoundedSemaphore(1)
    ready = asyncio.Event()
    cond = asyncio.Condition()
    jobs = asyncio.Queue()
    ranked = asyncio.PriorityQueue()
    stack = asyncio.LifoQueue()
    mine = CountingLock()
    everything = (lock, sem, bounded, ready, cond, jobs, ranked, stack, mine)

    async def main():
        async def waiter():
            await ready.wait()
            async with cond:
                await cond.wait()

        w = asyncio.create_task(waiter(), name="waiter")
        await asyncio.sleep(0)  # the waiter now waits for `ready`
        for i in range(3):
            async with lock, sem, bounded, mine:
                await jobs.put(i)
                await ranked.put((i, i))
                await stack.put(i)
        for _ in range(3):
            await jobs.get()
            await ranked.get()
            await stack.get()
        ready.set()
        await asyncio.sleep(0.01)
        async with cond:
            cond.notify_all()
        await w

    with threadline.trace(display=False) as t:
        asyncio.run(main())
    trace = t.data
    validate(trace)
    kinds = dict(zip(t.lock_names(), (s(trace, k) for k in trace["locks"]["kind"]), strict=True))
    assert kinds == {
        "lock": "asyncio.Lock",
        "sem": "asyncio.Semaphore",
        "bounded": "asyncio.BoundedSemaphore",
        "mine": "asyncio.Lock",
        "jobs": "asyncio.Queue",
        "ranked": "asyncio.PriorityQueue",
        "stack": "asyncio.LifoQueue",
        "ready": "asyncio.Event",
        "cond": "asyncio.Condition",
    }, kinds
    for name in ("lock", "sem", "bounded", "mine"):
        assert t.lock_stats(name).acquisitions == 3, name
    assert t.lock_stats("sem").max_holders == 1
    for name in ("jobs", "ranked", "stack"):
        assert t.lock_stats(name).acquisitions == 6, name
    assert t.lock_stats("ready").acquisitions == 1
    assert t.lock_stats("cond").acquisitions == 3  # waiter, main (notify), waiter again after wait()
    (w,) = [i for i, n in enumerate(trace["lanes"]["name"]) if s(trace, n) == "waiter"]
    waits = [
        s(trace, lab)
        for lane, kind, lab in zip(trace["spans"]["lane"], trace["spans"]["kind"], trace["spans"]["label"], strict=True)
        if lane == w and kind == 1
    ]
    assert waits[:2] == ["asyncio.Event ready", "asyncio.Condition cond"], waits
    # nothing of the trace is left on the objects, and they still work
    for obj in everything:
        assert not [k for k in vars(obj) if k.startswith("_tl_")], obj
    assert type(jobs) is asyncio.Queue and type(mine) is CountingLock

    async def again():
        async with lock:
            await jobs.put(1)
        return await jobs.get()

    assert asyncio.run(again()) == 1


def test_threading_semaphore_event_and_queue_created_before_the_trace_are_recorded():
    slots = threading.Semaphore(2)
    single = threading.BoundedSemaphore(1)
    go = threading.Event()
    inbox = queue.Queue()
    ranked = queue.PriorityQueue()
    old_lock = threading.Lock()  # a C type: cannot be patched, so not recorded (see README)

    def worker(i):
        go.wait()
        with slots, single, old_lock:
            inbox.put(i)
            ranked.put((i, i))

    with threadline.trace(display=False) as t:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
        for th in threads:
            th.start()
        go.set()
        for th in threads:
            th.join()
        got = sorted(inbox.get() for _ in range(3))
    assert got == [0, 1, 2]
    trace = t.data
    validate(trace)
    kinds = dict(zip(t.lock_names(), (s(trace, k) for k in trace["locks"]["kind"]), strict=True))
    assert kinds == {
        "go": "threading.Event",
        "slots": "threading.Semaphore",
        "single": "threading.BoundedSemaphore",
        "inbox": "queue.Queue",
        "ranked": "queue.PriorityQueue",
    }, kinds
    assert t.lock_stats("slots").acquisitions == 3 and t.lock_stats("single").max_holders == 1
    assert t.lock_stats("inbox").acquisitions == 6 and t.lock_stats("go").acquisitions == 3
    for obj in (slots, single, go, inbox, ranked):
        assert not [k for k in vars(obj) if k.startswith("_tl_")], obj


def test_uncontended_locks_of_several_threads_are_attributed_to_each_thread():
    iters = 2000
    locks = [threading.Lock() for _ in range(3)]  # made before: plain, not recorded

    def work(i, lk):
        for _ in range(iters):
            with lk:
                pass

    with threadline.trace(display=False) as t:
        own = [threading.Lock() for _ in range(3)]
        threads = [threading.Thread(target=work, args=(i, own[i]), name=f"w{i}") for i in range(3)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        with locks[0]:
            pass
    trace = t.data
    validate(trace)
    assert t.lock_names() == ["lk"] * 3  # named where used (made before the trace: not recorded)
    assert t.lock_stats("lk").acquisitions == 3 * iters
    acquires = rows(trace, "acquires")
    holders = set()
    for idx in range(3):
        mine = [r for r in acquires if r["lock"] == idx]
        assert len(mine) == iters
        assert all(0 <= r["acquired"] <= r["released"] for r in mine)
        (lane,) = {r["lane"] for r in mine}
        holders.add(s(trace, trace["lanes"]["name"][lane]))
    assert holders == {"w0", "w1", "w2"}


class Ledger:
    def __init__(self):
        self.lock = threading.RLock()
        self.entries = 0


EARLY_LOCK = threading.Lock()
EARLY_LEDGER = Ledger()
EARLY_SHARDS = [threading.Lock(), threading.Lock()]


def test_locks_made_before_the_trace_in_the_namespace_are_recorded_then_given_back():
    originals = (EARLY_LOCK, EARLY_LEDGER.lock, EARLY_SHARDS[1])

    def work():
        for _ in range(4):
            with EARLY_LOCK:
                time.sleep(0.002)
            with EARLY_LEDGER.lock, EARLY_LEDGER.lock:  # reentrant: one acquisition
                EARLY_LEDGER.entries += 1
            with EARLY_SHARDS[1]:
                pass

    with threadline.trace(display=False) as t:
        threads = [threading.Thread(target=work) for _ in range(3)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    validate(t.data)
    assert t.lock_names() == ["EARLY_LOCK", "Ledger.lock", "EARLY_SHARDS[1]"]
    for name in t.lock_names():
        assert t.lock_stats(name).acquisitions == 12 and t.lock_stats(name).exclusive
    assert t.lock_stats("EARLY_LOCK").total_hold_s >= 12 * 0.0015
    # the learner's objects hold their own locks again, unchanged
    assert (EARLY_LOCK, EARLY_LEDGER.lock, EARLY_SHARDS[1]) == originals
    assert all(a is b for a, b in zip((EARLY_LOCK, EARLY_LEDGER.lock, EARLY_SHARDS[1]), originals, strict=True))
    assert EARLY_LEDGER.entries == 12 and not EARLY_LOCK.locked()


def test_a_lock_held_when_the_trace_starts_is_released_without_a_made_up_hold():
    EARLY_SHARDS[0].acquire()
    with threadline.trace(display=False) as t:
        EARLY_SHARDS[0].release()
        with EARLY_SHARDS[0]:
            time.sleep(0.01)
    stats = t.lock_stats("EARLY_SHARDS[0]")
    assert stats.acquisitions == 1 and 0.009 < stats.total_hold_s < 1
    assert not EARLY_SHARDS[0].locked()


@pytest.mark.parametrize("sampler_tick", [False, True], ids=["one batch", "sampler tick first"])
def test_a_thread_started_by_a_task_is_created_by_the_tasks_lane(sampler_tick):
    # the thread's creator is the task's own lane, not a made-up "task" lane: when the task's record
    # and the thread's are converted in one batch, and when the sampler's tick converts the thread's
    # (to sample its CPU) before any conversion of tasks
    async def starter() -> None:
        worker = threading.Thread(target=time.sleep, args=(0.01,), name="worker")
        worker.start()
        await asyncio.to_thread(worker.join)

    async def main() -> None:
        await asyncio.gather(starter(), starter())

    with threadline.trace(display=False) as t:
        asyncio.run(main())
        if sampler_tick:
            t.recorder.convert_misc()
    trace = t.data
    validate(trace)
    starters = lanes_named(trace, "starter")
    workers = lanes_named(trace, "worker")
    assert len(starters) == 2 and len(workers) == 2
    assert sorted(trace["lanes"]["created_by"][w] for w in workers) == starters
    assert lanes_named(trace, "task") == [], "a lane was made up for a task that has its own"


def test_the_thread_a_loop_shuts_its_executor_down_with_is_a_helper_of_the_loops_thread():
    # asyncio.run ends by shutting the default executor down, in a housekeeping task that is not
    # traced and a thread of its own: the loop's doing, not a made-up lane per loop
    def square(i: int) -> int:
        return i * i

    async def main() -> None:
        await asyncio.get_running_loop().run_in_executor(None, square, 3)

    with threadline.trace(display=False) as t:
        for _ in range(3):
            asyncio.run(main())
    trace = t.data
    validate(trace)
    lanes = trace["lanes"]
    names = [s(trace, n) for n in lanes["name"]]
    assert not [name for name in names if name.startswith("task Task-")]
    helpers = [i for i in range(len(names)) if s(trace, lanes["group"][i]) == "helpers"]
    assert len(helpers) == 3
    main_thread = lanes_named(trace, threading.main_thread().name)
    assert [lanes["created_by"][i] for i in helpers] == main_thread * 3


class _OwnEvent(threading.Event):
    def __init__(self) -> None:
        super().__init__()


class _Holder:
    def __init__(self) -> None:
        self.ready = threading.Event()


def test_a_primitive_is_placed_where_it_is_made_past_its_own_classes_init_only():
    # a subclass's __init__ chain is walked up to the line that made the object; the __init__ of
    # another class that makes one (a holder's, or a Thread's making its Event) is where it was made
    with threadline.trace(display=False) as t:
        own = _OwnEvent()
        own_line = sys._getframe().f_lineno - 1
        holder = _Holder()
        own.set()
        own.wait()
        holder.ready.set()
        holder.ready.wait()
    sites = {s(t.data, lock["name"]): s(t.data, lock["site"]) for lock in rows(t.data, "locks")}
    test_name = "test_a_primitive_is_placed_where_it_is_made_past_its_own_classes_init_only"
    assert sites["own"] == f"test_threads_locks.py:{own_line} in {test_name}"
    assert sites["_Holder.ready"] == f"test_threads_locks.py:{_Holder.__init__.__code__.co_firstlineno + 1} in __init__"
