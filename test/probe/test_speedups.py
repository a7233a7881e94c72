"""The C hot paths (_speedups) against their pure-Python twins: built and used when a compiler was
there, the same trace either way, and asyncio's own behaviour for failing callbacks kept.

`npm test` runs the whole probe suite twice, the second time with THREADLINE_PURE_PYTHON=1, so
every other probe test covers both implementations too."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import threading
import weakref
from array import array
from asyncio import events
from pathlib import Path

import pytest

import threadline
from threadline.capture.compiled import speedups, use_speedups
from threadline.capture.locks import thread_locks, threading_classes

PURE = bool(os.environ.get("THREADLINE_PURE_PYTHON"))
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(PURE, reason="the pure-Python pass")
def test_the_c_hot_paths_are_built_and_used_while_tracing():
    assert speedups is not None, (
        "src/probe/threadline/capture/_speedups*.so is missing: run `node scripts/setup.mjs` (needs gcc)"
    )
    plain_run = events.Handle.__dict__["_run"]
    with threadline.trace(display=False):
        assert type(events.Handle.__dict__["_run"]) is speedups.StepHook
        lock = threading.Lock()
        assert isinstance(lock, speedups.LockCore)
    assert events.Handle.__dict__["_run"] is plain_run
    with lock:  # after the trace: a plain lock that still works
        assert lock.locked()
    assert not lock.locked()


@pytest.mark.skipif(PURE, reason="the pure-Python pass")
def test_create_task_with_a_name_or_a_context_stays_on_the_c_path():
    # 3.12+ asyncio.create_task and TaskGroup pass name=, asyncio.run passes context=: each of those
    # tasks went through the Python twin while the C path compared the keywords with the wrong names
    import contextvars

    slow_calls = []

    def profile(frame, event, arg):
        if event == "call" and frame.f_code.co_name == "create_task" and "asyncio_hooks" in frame.f_code.co_filename:
            slow_calls.append(frame.f_back.f_lineno)

    async def noop():
        return None

    with threadline.trace(display=False) as t:
        loop = asyncio.new_event_loop()
        sys.setprofile(profile)
        try:
            tasks = [
                loop.create_task(noop()),
                loop.create_task(noop(), name="named"),
                loop.create_task(noop(), context=contextvars.copy_context()),
                loop.create_task(noop(), name="both", context=contextvars.copy_context()),
            ]
        finally:
            sys.setprofile(None)
        loop.run_until_complete(asyncio.gather(*tasks))
        loop.close()
    assert slow_calls == []
    assert [task.get_name() for task in tasks][1::2] == ["named", "both"]
    names = {t.data["strings"][n] for n in t.data["lanes"]["name"]}
    assert {"named", "both"} <= names


PROGRAM = textwrap.dedent(
    """
    import asyncio, json, threading, time
    import threadline

    async def fetch(name, queue, sem, lock, results):
        async with sem:
            await asyncio.sleep(0.005)
        await queue.put(name)
        async with lock:
            results.append(await queue.get())

    async def child():
        await asyncio.sleep(0.001)

    async def main():
        queue, sem, lock, results = asyncio.Queue(), asyncio.Semaphore(2), asyncio.Lock(), []
        async with threadline.trace(display=False) as t:
            await asyncio.gather(*(fetch(f"f{i}", queue, sem, lock, results) for i in range(4)))
            await asyncio.create_task(child())  # the step hook sees the awaited task
            time.sleep(0.12)  # blocks the loop inside the cell task
            await asyncio.sleep(0)
        return t

    t = asyncio.run(main())
    with threadline.trace(display=False) as u:
        shared = threading.Lock()
        def work():
            for _ in range(50):
                with shared:
                    pass
        threads = [threading.Thread(target=work, name=f"w{i}") for i in range(3)]
        for th in threads: th.start()
        for th in threads: th.join()
    d = t.data
    strings = d["strings"]
    lanes = [strings[n] for n in d["lanes"]["name"]]
    awaited = sorted({strings[x] for x in d["spans"]["label"] if x >= 0})
    print(json.dumps({
        "lanes": sorted(lanes),
        "awaited": awaited,
        "locks": {name: t.lock_stats(name).acquisitions for name in t.lock_names()},
        "blocked": [b.location.rsplit("/", 1)[-1] for b in t.blocked_loop()],
        "thread_lock": u.lock_stats("shared").acquisitions,
        "exclusive": u.lock_stats("shared").exclusive,
        "edges": t.await_edges(),
    }))
    """
)


def _summary(tmp_path: Path, pure: bool) -> dict:
    script = tmp_path / "program.py"
    script.write_text(PROGRAM)
    env = {k: v for k, v in os.environ.items() if k != "THREADLINE_PURE_PYTHON"}
    if pure:
        env["THREADLINE_PURE_PYTHON"] = "1"
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_compiled_and_pure_python_record_the_same_trace(tmp_path):
    compiled, pure = _summary(tmp_path, False), _summary(tmp_path, True)
    assert compiled == pure
    assert compiled["locks"] == {"lock": 4, "queue": 8, "sem": 4}
    assert compiled["thread_lock"] == 150 and compiled["exclusive"]
    assert len(compiled["blocked"]) == 1 and "program.py" in compiled["blocked"][0]
    assert {"asyncio.Semaphore sem", "sleep"} <= set(compiled["awaited"])
    assert compiled["edges"] == [["cell", name] for name in ("fetch", "fetch #2", "fetch #3", "fetch #4", "child")]


def test_a_failing_callback_reaches_the_loops_exception_handler_and_the_loop_goes_on():
    seen: list[dict] = []

    def boom() -> None:
        raise ValueError("callback failed")

    async def main() -> str:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, context: seen.append(context))
        async with threadline.trace(display=False):
            loop.call_soon(boom)
            await asyncio.sleep(0.01)
        return "still running"

    assert asyncio.run(main()) == "still running"
    assert len(seen) == 1
    assert seen[0]["message"].startswith("Exception in callback") and "boom" in seen[0]["message"]
    assert isinstance(seen[0]["exception"], ValueError)


def test_keyboard_interrupt_in_a_callback_stops_the_loop_and_the_patches_go():
    plain_run = events.Handle.__dict__["_run"]

    def interrupt() -> None:
        raise KeyboardInterrupt

    async def main() -> None:
        async with threadline.trace(display=False):
            asyncio.get_running_loop().call_soon(interrupt)
            await asyncio.sleep(0.05)

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(main())
    assert events.Handle.__dict__["_run"] is plain_run
    assert threading.Lock is thread_locks.allocate_lock or threading.Lock.__module__ == "_thread"


@pytest.mark.skipif(speedups is None, reason="the C hot paths are not built")
def test_a_hollow_or_tampered_c_lock_raises_instead_of_crashing():
    hollow = speedups.LockCore()
    with pytest.raises(RuntimeError, match="wraps no lock"):
        hollow.__enter__()
    with threadline.trace(display=False):
        lock = threading.Lock()
        with lock:
            pass
        del lock._rel
        with pytest.raises(RuntimeError, match="wraps no lock"):
            lock.__exit__(None, None, None)


def test_free_threaded_builds_and_the_switch_get_the_pure_python_twins():
    assert use_speedups({}, free_threaded=False)
    assert not use_speedups({"THREADLINE_PURE_PYTHON": "1"}, free_threaded=False)
    # importing _speedups there would turn the GIL back on for the whole process
    assert not use_speedups({}, free_threaded=True)


@pytest.mark.skipif(speedups is None, reason="the C hot paths are not built")
def test_step_buffers_step_columns_and_pack_q_agree_with_their_python_twins():
    from struct import pack

    from threadline.record.step_buffer import PyStepBuffer, pack_steps
    from threadline.record.step_columns import py_step_columns

    # tasks -1 and -2 are known (lanes 4 and 7), -9 is not; -2 waits twice, lane 4 had a suspension
    # pending from an earlier batch; one step of -1 is 500 us long
    steps = [(-1, 10, 20, None, None), (-2, 21, 30, "asyncio.Lock", None), (-9, 31, 40, None, None)]
    steps += [(-2, 41, 50, None, None), (-1, 51, 551, None, None), (-2, 560, 570, int, -1)]
    taken = []
    for buffer in (speedups.StepBuffer(), PyStepBuffer()):
        for step in steps:
            buffer.extend(step)
        assert len(buffer) == 6
        taken.append(buffer.take())
        assert len(buffer) == 0 and buffer.take() == (b"", [])
    rows, extras = taken[0]
    assert taken[1] == (rows, extras) == pack_steps([value for step in steps for value in step])
    assert extras == ["asyncio.Lock", None, int, -1]
    assert rows == pack(
        "24q", -1, 10, 20, -1, -2, 21, 30, 0, -9, 31, 40, -1, -2, 41, 50, -1, -1, 51, 551, -1, -2, 560, 570, 1
    )
    key_lanes = array("q", [4, 7, -1])  # key -3 forgotten; -9 never known
    results = []
    for implementation in (speedups.step_columns, py_step_columns):
        last_end = array("q", [-1] * 9 + [1])  # by lane; lane 9 ended a step in an earlier batch
        columns = implementation(rows, key_lanes, last_end, {4: (5, 0)}, 400)
        results.append((columns, last_end.tolist()))
        with pytest.raises(ValueError, match="shorter than the lanes"):
            implementation(rows, key_lanes, array("q", [-1] * 7), {}, 400)
    (c, c_last), (py, py_last) = results
    assert c == py
    assert c_last == py_last == [-1, -1, -1, -1, 551, -1, -1, 570, -1, 1]
    lanes, starts, ends, look, long = c
    assert lanes == pack("5q", 4, 7, 7, 4, 7) and starts == pack("5q", 10, 21, 41, 51, 560)
    assert ends == pack("5q", 20, 30, 50, 551, 570)
    assert look == [0, 1, 3, 4, 5] and long == [4]
    with pytest.raises(TypeError):
        speedups.StepBuffer().extend((-1, 2, 3))
    assert speedups.pack_q([1, -(2**63), 2**63 - 1]) == pack("3q", 1, -(2**63), 2**63 - 1)
    with pytest.raises(TypeError):
        speedups.pack_q([1, "2"])


@pytest.mark.skipif(speedups is None, reason="the C hot paths are not built")
def test_suspensions_agree_with_their_python_twin():
    from struct import pack

    from threadline.record.steps import py_suspensions

    # lanes 4 (key -1) and 7 (key -2); lane 4 had a suspension pending from an earlier batch; key -2
    # waits on a lock (a label text already in the strings), then on an int future (a code the cache
    # knows), then on a Future whose label is not worked out yet, then on task -1 (by its key)
    rows = pack("24q", -1, 10, 20, -1, -2, 21, 30, 0, -2, 41, 50, 1, -1, 51, 60, -1, -2, 61, 70, 2, -2, 71, 80, 3)
    code = compile("pass", "<x>", "exec")
    extras = ["asyncio.Lock lock", None, int, code, asyncio.Future, None, None, -1]
    key_lanes = array("q", [4, 7])
    results = []
    for implementation in (speedups.suspensions, py_suspensions):
        pending = {4: (5, 11)}
        described = []

        def describe(waiter, code_, described=described):
            described.append((waiter, code_))
            return 99

        out = implementation(
            rows,
            [0, 1, 2, 3, 4, 5],
            key_lanes,
            pending,
            extras,
            {id(code): (code, 12)},
            {"asyncio.Lock lock": 13},
            describe,
        )
        results.append((out, pending, described))
    assert results[0] == results[1]
    (*columns, awaited), pending, described = results[0]
    lanes, starts, ends, labels = (array("q", column).tolist() for column in columns)
    assert (lanes, starts, ends, labels) == ([4, 7, 7, 7], [5, 30, 50, 70], [10, 41, 61, 71], [11, 13, 12, 99])
    assert awaited == [7, -1, 80]
    assert pending == {7: (80, 99)}
    assert described == [(asyncio.Future, None), (None, -1)]
    with pytest.raises(ValueError, match="no lane"):
        speedups.suspensions(rows, [0], array("q", [-1]), {}, extras, {}, {}, describe)


@pytest.mark.skipif(speedups is None, reason="the C hot paths are not built")
def test_task_names_agree_with_their_python_twin():
    from threadline.record.tasks import py_task_names

    class Odd:
        def get_name(self) -> str:
            raise RuntimeError("a foreign task type")

    class Named:
        def __init__(self, name: object) -> None:
            self.name = name

        def get_name(self) -> object:
            return self.name

    things = [Named("Task-12"), Named("Task-12"), Named("worker-1"), Named(7), Odd()]
    refs = [weakref.ref(thing) for thing in things] + [weakref.ref(Named("gone")), None]
    coro_names = ["main", "", "work", "work", "work", "work", ""]
    expected = ["", "Task-12", "worker-1", "7", "task", "", ""]
    assert py_task_names(refs, coro_names) == expected
    assert speedups.task_names(refs, coro_names) == expected
    # default names only: "Task-" and digits (any script's, as str.isdigit says)
    odd_names = ["Task-", "Task-1x", "Task-\u0661\u0662", "Tasks-1", "task-1", "Task-007", "Täsk-1", "Task-1\u00e9"]
    odd = [Named(name) for name in odd_names]
    refs = [weakref.ref(thing) for thing in odd]
    assert speedups.task_names(refs, ["work"] * len(odd)) == py_task_names(refs, ["work"] * len(odd))
    assert speedups.task_names(refs, ["work"] * len(odd)).count("") == 2


@pytest.mark.skipif(speedups is None, reason="the C hot paths are not built")
def test_lanes_of_task_keys_agree_with_their_python_twins():
    from threadline.record.tasks import py_bind_lanes, py_close_lanes, py_lanes_of_keys

    key_lanes = array("q", [4, 7, -1, 9])  # key -3 has no lane (yet)
    # keys, a thread's ident, None, a key never bound, a huge int, a bool
    keys = (-1, -2, -3, -4, 12345, None, -5, -(2**70), True, -2)
    expected = [4, 7, -1, 9, -1, -1, -1, -1, -1, 7]
    assert py_lanes_of_keys(keys, key_lanes) == speedups.lanes_of_keys(keys, key_lanes) == expected
    closed = []
    for implementation in (speedups.close_lanes, py_close_lanes):
        key_open = bytearray([1, 0, 1, 1])
        # once each: the second -4 finds it closed; key -2's lane was never open
        closed.append((implementation([-1, -2, -4, -4, 3, -9], key_lanes, key_open), key_open))
    assert closed[0] == closed[1] == ([4, -1, 9, -1, -1, -1], bytearray([0, 0, 1, 0]))
    bound = []
    for implementation in (speedups.bind_lanes, py_bind_lanes):
        arrays = (array("q", [-1] * 5), bytearray(5))
        implementation([-2, -3, -4], 10, *arrays, True)  # one after another
        implementation([-5, -1], 20, *arrays, False)  # out of order
        bound.append(arrays)
        with pytest.raises(ValueError):
            implementation([-6], 30, *arrays, True)  # no place for it
    assert bound[0] == bound[1] == (array("q", [21, 10, 11, 12, 20]), bytearray([0, 1, 1, 1, 0]))
    with pytest.raises(BufferError):
        speedups.close_lanes([-1], key_lanes, bytes(4))  # read-only
    with pytest.raises(TypeError):
        speedups.lanes_of_keys([-1], array("d", [1.0]))


@pytest.mark.skipif(speedups is None, reason="the C hot paths are not built")
def test_who_lanes_agree_with_their_python_twin():
    from threadline.record.lives import py_who_lanes

    key_lanes = array("q", [4, -1])  # key -2 not bound yet
    # ident 7 reused: lanes 1 (from 100 µs), 5 (from 300) and 8 (from 300 too: the later one counts)
    histories = {7: [(100, 1), (300, 5), (300, 8)], 9: [(-(2**62), 2)], 2**70: [(0, 3)], 11: []}
    whos = [7, 7, 7, 7, 9, 2**70, -1, -2, -3, None, "Task-3", 12, 11, True]
    times = [50, 100, 299, 300, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0]
    expected = [1, 1, 1, 8, 2, 3, 4, -1, -1, -1, -1, -1, -1, -1]
    assert (
        py_who_lanes(whos, times, histories, key_lanes)
        == speedups.who_lanes(whos, times, histories, key_lanes)
        == expected
    )
    with pytest.raises(TypeError):
        speedups.who_lanes([7], [], histories, key_lanes)  # one time a who
    with pytest.raises(TypeError):
        speedups.who_lanes([7], [1.5], histories, key_lanes)


@pytest.mark.skipif(speedups is None, reason="the C hot paths are not built")
def test_raw_buffers_are_out_of_the_cyclic_gc_and_still_lists():
    import gc

    from threadline.record.raw_buffers import raw_buffer

    buffer = raw_buffer()
    buffer.extend([1, "two", None])
    assert type(buffer) is list and not gc.is_tracked(buffer) and buffer == [1, "two", None]
    with threadline.trace(display=False) as t:
        asyncio.run(asyncio.sleep(0))
        assert not gc.is_tracked(t.recorder.raw_tasks) and not gc.is_tracked(t.recorder.raw_steps.take()[1])
    with pytest.raises(TypeError):
        speedups.untrack((1, 2))


@pytest.mark.skipif(speedups is None, reason="the C hot paths are not built")
def test_taking_rows_agrees_with_its_python_twin_and_keeps_the_buffer():
    import gc

    from threadline.record.raw_buffers import py_take_rows, raw_buffer

    values = [-1, "a", None, -2, "b", object(), -3]  # two rows of three, and a row half appended
    for take in (speedups.take_rows, py_take_rows):
        buffer = raw_buffer(list(values))
        assert take(buffer, 3) == values[:6]
        assert buffer == [-3], "the half row stays for the next batch"
        buffer.extend(["c", 4])
        assert take(buffer, 3) == [-3, "c", 4] and buffer == [] and take(buffer, 3) == []
    taken = speedups.take_rows(raw_buffer([1, 2, 3, 4]), 2)
    assert not gc.is_tracked(taken) and taken == [1, 2, 3, 4]
    taken.append(5)  # an ordinary list
    assert taken == [1, 2, 3, 4, 5]
    with pytest.raises(ValueError):
        speedups.take_rows([1], 0)
    with pytest.raises(TypeError):
        speedups.take_rows((1, 2), 1)


@pytest.mark.skipif(speedups is None, reason="the C hot paths are not built")
def test_run_starts_agree_with_their_python_twin():
    from threadline.record.tasks import py_run_starts

    code, other = compile("a", "x", "eval"), compile("b", "y", "eval")
    big, equal_big = 10**6, int("1000000")  # equal, not the same object: a new run
    columns = (
        ["", "", "", "", "w", "w", "", ""],
        [code, code, code, other, other, other, code, code],
        [big, big, big, big, big, big, big, equal_big],
    )
    for run_starts in (speedups.run_starts, py_run_starts):
        assert run_starts(*columns) == [0, 3, 4, 6, 7]
        assert run_starts([1] * 5) == [0] and run_starts([], []) == []
        with pytest.raises(TypeError):
            run_starts([1, 2], [1])
        with pytest.raises(TypeError):
            run_starts()
    with pytest.raises(TypeError):
        speedups.run_starts((1, 2))


@pytest.mark.skipif(PURE, reason="the pure-Python pass")
def test_gates_send_only_the_standard_librarys_own_objects_to_the_original_methods():
    # threading.Semaphore / Event / queue.Queue methods sit behind gates while tracing: an object
    # marked -1 goes to the original, one marked as the learner's to the traced method, and one not
    # marked (the standard library made it, or it is from before the trace) by the calling code.
    calls: list[tuple[str, object]] = []

    class Prim:
        def __init__(self, value: int = 0) -> None:
            self.value = value

        def wait(self, timeout: float | None = None) -> str:
            return "plain"

    def traced_wait(self: object, timeout: float | None = None) -> str:
        calls.append(("traced", timeout))
        return "traced"

    def classify(code: object) -> int:
        return 2 * (code.co_filename == "<test user code>")  # type: ignore[attr-defined]

    def run_as(filename: str, source: str, **names: object) -> object:
        space = dict(names)
        exec(compile(f"def call(): return {source}", filename, "exec"), space)
        return space["call"]()  # type: ignore[operator]

    library, learner = "/usr/lib/python3/library.py", "<test user code>"
    Prim.wait = speedups.Gate(Prim.__dict__["wait"], traced_wait, classify)  # type: ignore[method-assign]
    theirs, mine, pending, unmarked, slotted = Prim(), Prim(), Prim(), Prim(), Prim()
    theirs._tl_idx = -1  # type: ignore[attr-defined]
    mine._tl_idx = 3  # type: ignore[attr-defined]
    pending._tl_idx, pending._tl_on = -1, True  # type: ignore[attr-defined]  # the learner's, not registered yet
    for caller in (library, learner):
        assert run_as(caller, "p.wait(timeout=1)", p=theirs) == "plain"
        assert run_as(caller, "P.wait(p)", P=Prim, p=theirs) == "plain"
        assert run_as(caller, "p.wait(2)", p=mine) == "traced" and run_as(caller, "p.wait()", p=pending) == "traced"
    assert calls == [("traced", 2), ("traced", None)] * 2
    calls.clear()
    assert run_as(library, "p.wait()", p=unmarked) == "plain" and calls == []
    assert run_as(learner, "p.wait(4)", p=unmarked) == "traced" and calls == [("traced", 4)]
    del slotted.__dict__
    assert run_as(library, "p.wait()", p=slotted) == "plain"

    def traced_init(self: object, value: int = 0) -> None:
        calls.append(("traced init", value))
        Prim.__dict__["original_init"](self, value)

    Prim.original_init = Prim.__init__  # type: ignore[attr-defined]
    Prim.__init__ = speedups.InitGate(Prim.original_init, traced_init, classify)  # type: ignore[method-assign]
    calls.clear()
    made = run_as(library, "P(7)", P=Prim)
    assert made.value == 7 and vars(made) == {"value": 7} and calls == []  # type: ignore[attr-defined]
    made = run_as(learner, "P(8)", P=Prim)
    assert made.value == 8 and calls == [("traced init", 8)]  # type: ignore[attr-defined]

    class Sub(Prim):
        def __init__(self) -> None:  # an __init__ of the object's own class: tracking.py walks past it
            super().__init__(9)

    calls.clear()
    assert run_as(library, "S()", S=Sub) is not None
    assert calls == [("traced init", 9)]


@pytest.mark.skipif(PURE, reason="the pure-Python pass")
def test_caller_gates_send_the_standard_librarys_creations_to_the_plain_factory():
    # threading.Lock / RLock and Condition.__new__ while tracing: the calling code decides
    made: list[tuple[str, tuple]] = []
    gate = speedups.CallerGate(
        library=lambda *args: made.append(("plain", args)) or "plain",
        learner=lambda *args: made.append(("traced", args)) or "traced",
        classify=lambda code: 2 * (code.co_filename == "<test user code>"),
    )
    gate.__module__, gate.__qualname__ = "threading", "Lock"
    space = {"make": gate}
    exec(compile("def library(): return make(1)", "/usr/lib/python3/library.py", "exec"), space)
    exec(compile("def learner(): return make(2)", "<test user code>", "exec"), space)
    assert space["library"]() == "plain" and space["learner"]() == "traced"
    assert made == [("plain", (1,)), ("traced", (2,))]
    assert gate.__reduce__() == "Lock"  # pickled by name, as the function it stands for

    class Own:
        pass

    new = speedups.CallerGate(
        library=lambda *args: ("library", args),
        learner=lambda *args: ("learner", args),
        classify=lambda code: 2 * (code.co_filename == "<test user code>"),
        own=Own,
        plain=lambda *args: ("plain", args),
    )
    space = {"new": new, "Own": Own, "Sub": type("Sub", (Own,), {})}
    exec(compile("def library(cls): return new(cls, 1)", "/usr/lib/python3/library.py", "exec"), space)
    exec(compile("def learner(cls): return new(cls, 2)", "<test user code>", "exec"), space)
    # a __new__'s gate: the library's call with its own class makes the plain one from the rest
    assert space["library"](Own) == ("plain", (1,))
    assert space["library"](space["Sub"]) == ("library", (space["Sub"], 1))
    assert space["learner"](Own) == ("learner", (Own, 2))
    with pytest.raises(TypeError, match="together"):
        speedups.CallerGate(library=print, learner=print, classify=id, own=Own)

    class Holder:
        factory = gate  # called as _thread.allocate_lock is: not bound as a method

    assert Holder().factory() in ("plain", "traced") and made[-1][1] == ()

    with threadline.trace(display=False):
        assert type(threading.Lock) is speedups.CallerGate
        future_condition = __import__("concurrent.futures").futures.Future()._condition
        assert type(future_condition) is threading_classes._Condition
        assert not isinstance(future_condition._lock, thread_locks.LockBase)
        mine = threading.Condition()
        assert isinstance(mine._lock, thread_locks.LockBase)  # the learner's: its lock is traced

        class Mine(threading.Condition):
            pass

        assert isinstance(Mine()._lock, thread_locks.LockBase)
        # a thread's Event is the standard library's: made plain and left unmarked; the learner's is traced
        thread = threading.Thread(target=int)
        thread.start()
        thread.join()
        assert not [key for key in vars(thread._started) if key.startswith("_tl_")]
        assert vars(threading.Event())["_tl_on"] is True


@pytest.mark.skipif(speedups is None, reason="the C hot paths are not built")
def test_indexes_in_agrees_with_its_python_twin():
    from threadline.record.columns import py_indexes_in

    values = array("q", [5, 7, -1, 5, 2**62, 9, 7])
    for keys in ({5: "a", 2**62: "b", "x": 1, 2**70: 0}, {7}, set(), {}):
        assert speedups.indexes_in(values, keys) == py_indexes_in(values, keys)
    assert speedups.indexes_in(values, {5, 2**62}) == [0, 3, 4]
    assert speedups.indexes_in(array("q"), {5}) == []
    with pytest.raises(TypeError):
        speedups.indexes_in([5, 7], {5})
    with pytest.raises(TypeError):
        speedups.indexes_in(values, [5])
