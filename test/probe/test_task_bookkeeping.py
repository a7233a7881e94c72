"""Per-task bookkeeping of the step hook, C (_speedups) against its Python twins: keys and weak
references (TaskKeys), and what a task's end records (outcome, detail, name), read at its last step."""

from __future__ import annotations

import asyncio
import gc
from asyncio import events
from time import perf_counter
from typing import Any

import pytest

from threadline import schema
from threadline.capture.asyncio_hooks import PyTaskKeys
from threadline.capture.compiled import speedups
from threadline.capture.idents import ident
from threadline.capture.step_hook import PyStepHook, as_handle_run
from threadline.record.step_buffer import ROW_FIELDS, PyStepBuffer
from threadline.record.tasks import END_FIELDS

IMPLEMENTATIONS = [pytest.param((PyStepHook, PyTaskKeys, PyStepBuffer), id="python")]
if speedups is not None:
    IMPLEMENTATIONS.append(pytest.param((speedups.StepHook, speedups.TaskKeys, speedups.StepBuffer), id="c"))


async def _ok() -> str:
    await asyncio.sleep(0)
    return "x" * 300


async def _fails() -> None:
    await asyncio.sleep(0)
    raise ValueError("no luck")


async def _forever() -> None:
    await asyncio.sleep(3600)


async def _named() -> int:
    await asyncio.sleep(0)
    return 7


async def _instant() -> int:
    return 1


async def _gathers(*children: Any) -> None:
    await asyncio.gather(*children)


def _record(implementation: tuple[Any, Any]) -> dict[str, Any]:
    """Runs a few tasks with the hook as Handle._run; what steps, ends, destructions and await edges
    recorded."""
    hook_type, keys_type, buffer_type = implementation
    awaiting: dict[int, str] = {}
    steps = buffer_type()
    ends: list[Any] = []
    gone: list[Any] = []
    misc: list[Any] = []
    errors: list[BaseException] = []
    keys = keys_type(gone, awaiting)
    base = perf_counter()
    hook = hook_type(
        keys,
        steps,
        awaiting,
        10.0,
        lambda handle, exc: errors.append(exc),
        lambda task, t0: None,
        ends,
        lambda task, exc: errors.append(exc),
        asyncio.Task,
        asyncio.tasks._GatheringFuture,
        base,
        misc,
    )
    names: dict[int, str] = {}

    async def main() -> None:
        loop = asyncio.get_running_loop()
        tasks = {
            "ok": loop.create_task(_ok()),
            "fails": loop.create_task(_fails()),
            "cancelled": loop.create_task(_forever()),
            "named": loop.create_task(_named(), name="fetch-1"),
            "dropped": loop.create_task(_forever()),
            "instant": loop.create_task(_instant()),  # done before the gather's first step
        }
        untraced = loop.create_task(_named())
        # pending children, once each; not one that is done, nor one that is not traced
        children = (tasks["ok"], tasks["instant"], untraced, tasks["named"], tasks["ok"])
        tasks["gathers"] = loop.create_task(_gathers(*children))
        for label, task in tasks.items():
            names[keys.track(task).key] = label
        await asyncio.sleep(0)
        tasks["cancelled"].cancel()
        dropped = tasks.pop("dropped")
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        del dropped  # still pending: asyncio.run cancels it on the way out

    original = events.Handle.__dict__["_run"]
    events.Handle._run = as_handle_run(hook)
    try:
        asyncio.run(main())
    finally:
        events.Handle._run = original
    gc.collect()
    assert not errors
    by_task = {
        names[ends[i]]: tuple(ends[i + 2 : i + END_FIELDS]) for i in range(0, len(ends), END_FIELDS) if ends[i] in names
    }
    rows = memoryview(steps.take()[0]).cast("q")
    step_times = [(rows[i + 1], rows[i + 2]) for i in range(0, len(rows), ROW_FIELDS)]
    return {
        "ends": by_task,
        "gone": sorted(names[gone[i]] for i in range(0, len(gone), 2)),
        "left": len(keys),
        "refs": len(keys.refs()),
        "step_times": step_times,
        "elapsed_us": int((perf_counter() - base) * 1e6),
        "edges": [
            (names[awaiter], tuple(names[k] for k in targets), t - base, until)
            for _, awaiter, targets, t, until in misc
        ],
    }


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_a_tasks_end_records_its_outcome_and_name_and_no_destruction_after_it(implementation):
    seen = _record(implementation)
    ok, error, cancelled = schema.OUT_OK, schema.OUT_ERROR, schema.OUT_CANCELLED
    assert seen["ends"] == {
        # outcome, detail, name (a default one, "Task-3", as ""), whether cancel() was called
        "ok": (ok, repr("x" * 300)[:119] + "…", "", False),
        "fails": (error, "ValueError: no luck", "", False),
        "cancelled": (cancelled, "cancelled", "", True),
        "named": (ok, "7", "fetch-1", False),
        "dropped": (cancelled, "cancelled", "", True),  # by asyncio.run on its way out
        "instant": (ok, "1", "", False),
        "gathers": (ok, "None", "", False),
    }
    assert seen["gone"] == [], "each one's end is recorded: its destruction needs no record"
    assert seen["left"] == 0 and seen["refs"] == 0
    # step times are microseconds since the hook's base, in order
    assert all(0 <= a <= b <= seen["elapsed_us"] for a, b in seen["step_times"])
    assert all(isinstance(a, int) and isinstance(b, int) for a, b in seen["step_times"])
    # the gathering task awaits its children still pending, until it resumes
    [(awaiter, targets, t, until_target_ends)] = seen["edges"]
    assert (awaiter, targets, until_target_ends) == ("gathers", ("ok", "named"), False)
    assert 0 <= t * 1e6 <= seen["elapsed_us"]


@pytest.mark.skipif(speedups is None, reason="the C hot paths are not built")
def test_c_and_python_bookkeeping_agree():
    c = _record((speedups.StepHook, speedups.TaskKeys, speedups.StepBuffer))
    py = _record((PyStepHook, PyTaskKeys, PyStepBuffer))
    assert c["ends"] == py["ends"] and c["gone"] == py["gone"] and len(c["step_times"]) == len(py["step_times"])
    assert [edge[:2] for edge in c["edges"]] == [edge[:2] for edge in py["edges"]]


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_forget_stops_following_a_task_and_clear_keeps_nothing(implementation):
    _, keys_type, _ = implementation
    awaiting: dict[int, str] = {7: "stale"}
    gone: list[Any] = []
    keys = keys_type(gone, awaiting)
    assert awaiting == {}, "a new trace starts with no labels"

    async def main() -> None:
        loop = asyncio.get_running_loop()
        a, b = loop.create_task(_named()), loop.create_task(_named())
        ref_a, ref_b = keys.track(a), keys.track(b)
        assert ref_a.key == -1 and ref_b.key == -2 and ref_a() is a
        assert (keys.key_of(a), keys.key_of(b), keys.key_of(main), len(keys)) == (-1, -2, None, 2)
        keys.forget(a)
        assert (keys.key_of(a), keys.key_of(b), len(keys)) == (None, -2, 1) and keys.refs() == [ref_b]
        keys.forget(a)  # twice: nothing to do
        await asyncio.gather(a, b)
        awaiting[-2] = "label"
        keys.clear()
        assert len(keys) == 0 and keys.key_of(b) is None and awaiting == {} and keys.refs() == []
        del ref_a, ref_b  # the probe keeps none: the tasks' destruction is not watched any more

    asyncio.run(main())
    gc.collect()
    assert gone == [], "a forgotten or cleared task leaves no record"


@pytest.mark.skipif(speedups is None, reason="the C hot paths are not built")
def test_the_c_outcome_codes_are_the_schemas():
    assert (schema.OUT_OK, schema.OUT_ERROR, schema.OUT_CANCELLED) == (0, 1, 2)  # the enum in _speedups.c


def test_idents_are_unique_and_spread_over_a_table():
    # keyed by plain ids (multiples of 16), 4,096 objects would share at most 64 of 1,024 slots
    alive = [object() for _ in range(4096)]
    idents = [ident(obj) for obj in alive]
    assert len(set(idents)) == len(alive)
    assert len({id(obj) & 1023 for obj in alive}) <= 64
    assert len({i & 1023 for i in idents}) > 512


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_keys_stay_found_as_tasks_come_and_go(implementation):
    # thousands of objects tracked, destroyed and forgotten in a scrambled order, new ones tracked
    # in between (reusing freed addresses): every one alive is found by its own key, no other
    _, keys_type, _ = implementation

    class Obj:
        pass

    gone: list[Any] = []
    keys = keys_type(gone, {})
    alive = {}
    found_by: dict[int, int] = {}  # every key ever made -> its object's ident, as task records keep it
    destroyed_unforgotten = 0
    for round_ in range(3):
        for _ in range(3000):
            obj = Obj()
            ref = keys.track(obj)
            alive[ref.key] = obj
            found_by[ref.key] = ref.ident
            del ref
        order = sorted(alive, key=lambda key: (key * 7919 + round_) % 1009)
        for i, key in enumerate(order[: len(order) // 2]):
            obj = alive.pop(key)
            if i % 3 == 0:
                keys.forget(obj)
            elif i % 3 == 1:
                keys.ended(obj)  # its end is recorded: no record of its destruction
            else:
                destroyed_unforgotten += 1
            del obj
        assert len(keys) == len(alive)
        assert all(keys.key_of(obj) == key for key, obj in alive.items())
        assert sorted((ref.key for ref in keys.refs()), reverse=True) == sorted(alive, reverse=True)
        assert all(ref() is alive[ref.key] for ref in keys.refs())
        # a record's (key, ident) finds its task while it lives, nothing once it is gone (even when
        # a new object took its address, and so its ident)
        made = list(found_by)
        refs = keys.refs_of(made, [found_by[key] for key in made])
        assert [ref() if ref is not None else None for ref in refs] == [alive.get(key) for key in made]
        del refs  # the probe keeps them no longer than a conversion
        assert keys.key_of(Obj()) is None
    assert len(gone) // 2 == destroyed_unforgotten, "a destruction is recorded unless forgotten or ended"
    keys.clear()
    assert len(keys) == 0 and all(keys.key_of(obj) is None for obj in alive.values())


def test_cache_lookups_make_each_missing_key_once_for_uniform_and_mixed_batches():
    from threadline.record.columns import cached_entries

    made: list[tuple[Any, ...]] = []
    cache: dict[tuple[Any, ...], str] = {("a", 1): "A1"}

    def make(key: tuple[Any, ...]) -> None:
        made.append(key)
        cache[key] = f"{key[0].upper()}{key[1]}"

    # a batch from one site and coroutine (the fast path), known then new
    assert cached_entries(cache, (["a"] * 4, [1] * 4), make) == ["A1"] * 4 and made == []
    assert cached_entries(cache, (["b"] * 3, [2] * 3), make) == ["B2"] * 3 and made == [("b", 2)]
    # a mixed batch: every row its own entry, each new key made once
    assert cached_entries(cache, (["a", "c", "c", "b", "d"], [1, 3, 3, 2, 1]), make) == ["A1", "C3", "C3", "B2", "D1"]
    assert made == [("b", 2), ("c", 3), ("d", 1)]
    # equal values that are different objects are one key
    assert cached_entries(cache, (["a", "a"], [10**6, int("1000000")]), make) == ["A1000000"] * 2
    assert cached_entries(cache, ([], []), make) == []


def test_tasks_made_alike_share_their_aliases_and_a_rename_changes_only_its_own():
    # Tasks made at one line share the name cache's aliases (no list a task); a task named after its
    # lane was made gets the new name, and its old one as an alias, without touching the others'.
    import threadline

    async def worker(i: int) -> None:
        await asyncio.sleep(0)
        if i == 1:
            asyncio.current_task().set_name("renamed")  # type: ignore[union-attr]
        await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(*(worker(i) for i in range(3)))

    with threadline.trace(display=False) as t:
        asyncio.run(main())
    data = t._trace_data()
    lanes = [(data.lane_name(lane), data.aliases.get(lane, [])) for lane in range(len(data.trace["lanes"]["name"]))]
    qualname = worker.__qualname__
    assert [aliases for name, aliases in lanes if name == "renamed"] == [[qualname, "worker"]]
    assert [aliases for name, aliases in lanes if name == "worker"] == [[qualname], [qualname]]


def test_column_helpers_find_a_rare_value_and_spread_runs_as_int64():
    from array import array

    from threadline.record.columns import positions
    from threadline.record.tasks import _spread, _spread_q

    assert positions([3, -1, 5, -1, -1, 7], -1) == [1, 3, 4]
    assert positions([3, 5], -1) == [] and positions([], -1) == []
    runs, counts = [7, -1, 2**40], [3, 1, 2]
    assert array("q", _spread_q(runs, counts)).tolist() == _spread(runs, counts) == [7, 7, 7, -1, 2**40, 2**40]


def test_a_task_that_finished_unseen_ends_where_its_last_step_ended():
    # A task whose last step the hook did not see (a foreign loop) is closed by the converter when it
    # finds the task done: its end is its lane's last step end, kept by lane across batches.
    from threadline.record.recorder import Recorder

    rec = Recorder(capacity=1000, block_threshold_s=0.1, label=None)
    lane = rec.add_lane(schema.LANE_TASK, "unseen", "asyncio")
    rec.bind_task_lanes([-1], lane)
    loop = asyncio.new_event_loop()
    try:
        done = loop.create_future()
        done.set_result(None)

        class Ref:
            key = -1

            def __call__(self) -> Any:
                return done

        rec.raw_steps.extend((-1, 100, 200, None, None))
        rec.convert()  # a batch without the end: the task is not done yet as far as it knows
        rec.tasks_closed_at = 0.0
        rec.raw_steps.extend((-1, 300, 450, None, None))
        rec.task_refs = lambda: [Ref()]
        rec.convert(final=True)
    finally:
        loop.close()
    ends = rec.tables["ends"]
    assert ends["lane"].tolist() == [lane] and ends["t"].tolist() == [450]
    assert ends["outcome"].tolist() == [schema.OUT_OK]
