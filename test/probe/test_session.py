"""The trace as a whole: nesting, patches undone, no leaks, failures, chunks, schema, exports."""

from __future__ import annotations

import asyncio
import gc
import json
import multiprocessing.pool
import queue
import threading
from asyncio import base_events, events
from pathlib import Path

import pytest
from conftest import validate

import threadline
from threadline import session
from threadline.record.recorder import Recorder


def patched_surface():
    """Everything the probe may patch, by identity."""
    return {
        "threading": {
            k: getattr(threading, k) for k in ("Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition", "Event")
        },
        "queue": queue.Queue,
        "asyncio": {
            k: getattr(asyncio, k) for k in ("Lock", "Semaphore", "BoundedSemaphore", "Event", "Condition", "Queue")
        },
        "Thread": dict(threading.Thread.__dict__),
        "Handle": dict(events.Handle.__dict__),
        "BaseEventLoop": dict(base_events.BaseEventLoop.__dict__),
        "Pool": dict(multiprocessing.pool.Pool.__dict__),
        # primitives patched at class level, so objects created before tracing are recorded too
        "classes": {
            cls.__qualname__: dict(cls.__dict__)
            for cls in (
                threading.Semaphore,
                threading.BoundedSemaphore,
                threading.Event,
                queue.Queue,
                asyncio.Lock,
                asyncio.Semaphore,
                asyncio.BoundedSemaphore,
                asyncio.Event,
                asyncio.Condition,
                asyncio.Queue,
                asyncio.PriorityQueue,
                asyncio.LifoQueue,
            )
        },
        "ApplyResult": dict(multiprocessing.pool.ApplyResult.__dict__),
    }


def small_program():
    async def main():
        lock = asyncio.Lock()
        async with lock:
            await asyncio.sleep(0)

    asyncio.run(main())
    lk = threading.Lock()
    with lk:
        pass


def test_patches_gone_after_1000_traces_and_no_leak():
    before = patched_surface()
    small_program()  # warm caches
    gc.collect()
    objects_before = len(gc.get_objects())
    threads_before = threading.active_count()
    for _ in range(1000):
        with threadline.trace(display=False), threading.Lock():
            pass
    gc.collect()
    assert patched_surface() == before
    assert threading.active_count() == threads_before, "sampler threads all stopped"
    growth = len(gc.get_objects()) - objects_before
    assert growth < 2000, f"{growth} objects left behind after 1000 traces"
    assert session.active_trace() is None


def test_exception_and_keyboard_interrupt_undo_everything():
    before = patched_surface()
    with pytest.raises(ZeroDivisionError), threadline.trace(display=False):
        _ = 1 / 0
    assert patched_surface() == before
    with pytest.raises(KeyboardInterrupt), threadline.trace(display=False) as t:
        raise KeyboardInterrupt
    assert patched_surface() == before
    assert t.finished  # the trace up to the interrupt is still there


def test_nested_tracing_is_refused_clearly():
    with (
        threadline.trace(display=False),
        pytest.raises(threadline.NestedTraceError, match="cannot be nested"),
        threadline.trace(display=False),
    ):
        pass
    with threadline.trace(display=False) as t:
        pass
    assert t.finished


def test_queries_before_the_end_explain_themselves():
    with (
        threadline.trace(display=False) as t,
        pytest.raises(threadline.TraceNotFinishedError, match="after the `with` block"),
    ):
        t.max_concurrent()


def test_probe_failure_is_reported_once_and_code_runs_untraced(monkeypatch, capsys):
    from threadline.capture.locks import hooks as lock_hooks

    def broken(*_args):
        raise OSError("simulated probe failure")

    monkeypatch.setattr(lock_hooks, "install", broken)
    monkeypatch.setattr(session, "_reported", set())
    before = patched_surface()
    ran = []
    for _ in range(2):
        with threadline.trace(display=False) as t:
            ran.append(sum(range(10)))
    assert ran == [45, 45]
    assert t.failed and "simulated probe failure" in t.failed
    err = capsys.readouterr().err
    assert err.count("could not start tracing") == 1 and "runs untraced" in err
    assert patched_surface() == before
    with pytest.raises(threadline.TraceNotFinishedError, match="failed"):
        t.max_concurrent()


def test_live_chunks_carry_only_new_rows_and_rebuild_the_trace():
    chunks = []

    def sink_factory(rec):
        return chunks.append

    async def main():
        async def w(i):
            for _ in range(8):
                await asyncio.sleep(0.05)

        await asyncio.gather(*(w(i) for i in range(4)))

    with threadline.trace(display=False, sink_factory=sink_factory) as t:
        asyncio.run(main())
    assert len(chunks) >= 3, "chunks flowed while the code ran"
    assert [c["seq"] for c in chunks] == list(range(len(chunks)))
    assert [c["final"] for c in chunks] == [False] * (len(chunks) - 1) + [True]
    assert "meta" in chunks[0] and "meta" in chunks[-1]
    assert chunks[-1]["meta"]["duration_us"] > 0
    for c in chunks:
        validate(c)
    whole = t.data
    # concatenating the chunks gives the whole trace
    strings = [x for c in chunks for x in c["strings"]]
    assert strings == whole["strings"]
    for table in ("lanes", "spans", "ends", "acquires", "cpu", "samples", "locks"):
        for col, values in whole[table].items():
            assert [v for c in chunks for v in c[table][col]] == values, f"{table}.{col}"
    validate(whole)
    assert len({c["trace_id"] for c in chunks}) == 1


def test_bounded_buffer_counts_dropped_events():
    async def main():
        async def w():
            for _ in range(20):
                await asyncio.sleep(0)

        await asyncio.gather(*(w() for _ in range(50)))

    with threadline.trace(display=False, capacity=100) as t:
        asyncio.run(main())
    trace = t.data
    validate(trace)
    spans = len(trace["spans"]["lane"])
    assert spans <= 100
    assert trace["meta"]["dropped"] > 0
    assert trace["meta"]["capacity"] == 100
    assert "dropped" in t.summary()


def test_chrome_trace_export(tmp_path):
    with threadline.trace(display=False, label="demo") as t:
        small_program()
    path = t.to_chrome_trace(str(tmp_path / "trace.json"))
    doc = json.loads(Path(path).read_text())
    events = doc["traceEvents"]
    assert any(e["ph"] == "X" and e["name"] == "running" for e in events)
    assert any(e["ph"] == "M" and e["name"] == "thread_name" for e in events)
    assert all(e.get("dur", 0) >= 0 and "pid" in e for e in events)
    assert doc["otherData"]["source"] == "threadline"
    assert doc["otherData"]["label"] == "demo"


def test_outside_ipython_display_is_a_no_op_and_last_trace_is_kept(capsys):
    with threadline.trace() as t:
        small_program()
    assert capsys.readouterr().out == ""
    assert threadline.last_trace() is t
    assert "Threadline trace" in repr(t)


def test_svg_and_summary_render():
    from threadline.read.render import summary_text, svg_timeline

    with threadline.trace(display=False) as t:
        small_program()
    svg = svg_timeline(t.data)
    assert svg.startswith("<svg") and svg.endswith("</svg>") and "<rect" in svg
    assert "task(s)" in summary_text(t.data)


def test_recorder_chunk_round_trip_from_json():
    with threadline.trace(display=False) as t:
        small_program()
    loaded = threadline.Trace.from_json(t.to_json())
    assert loaded.lock_names() == t.lock_names()
    assert loaded.max_concurrent() == t.max_concurrent()
    assert isinstance(Recorder, type)
