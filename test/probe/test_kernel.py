"""Through a real kernel: the `threadline` kernel spec (ipykernel with --ext threadline)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from conftest import validate
from jupyter_client.manager import KernelManager

from threadline.schema import KERNEL_NAME, METER_COMM_TARGET, TRACE_COMM_TARGET, TRACE_MIME

# a hung kernel or worker must fail the test, not stall the suite
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def manager():
    km = KernelManager(kernel_name=KERNEL_NAME)
    km.start_kernel()
    yield km
    km.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def kernel(manager):
    kc = manager.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=90)
    yield kc
    kc.stop_channels()


def run(kc, code: str, timeout: float = 90) -> list[dict[str, Any]]:
    """Execute `code`, return every IOPub message of that request up to (and including) idle."""
    msg_id = kc.execute(code)
    out = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = kc.get_iopub_msg(timeout=timeout)
        parent = msg.get("parent_header", {}).get("msg_id")
        if parent == msg_id or msg["msg_type"].startswith("comm"):
            out.append(msg)
        if parent == msg_id and msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            while True:  # skip replies to earlier requests (e.g. wait_for_ready's kernel_info)
                reply = kc.get_shell_msg(timeout=timeout)
                if reply["parent_header"].get("msg_id") == msg_id:
                    return out
    raise TimeoutError(code)


def errors(msgs):
    return [m["content"] for m in msgs if m["msg_type"] == "error"]


def stdout(msgs):
    return "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream")


def test_extension_loaded_with_zero_effect(kernel):
    msgs = run(
        kernel,
        """
import asyncio, threading, asyncio.events
print(type(threading.Lock()).__name__, asyncio.events.Handle._run.__module__,
      any(t.name.startswith('threadline') for t in threading.enumerate()),
      'timeline' in get_ipython().magics_manager.magics['cell'])
""",
    )
    assert not errors(msgs)
    assert stdout(msgs).split() == ["lock", "asyncio.events", "False", "True"]


def test_timeline_cell_streams_chunks_then_displays_the_trace(kernel):
    msgs = run(
        kernel,
        """%%timeline downloads
import asyncio
async def download(i, sem):
    async with sem:
        await asyncio.sleep(0.15)
    return i
sem = asyncio.Semaphore(2)
results = await asyncio.gather(*(download(i, sem) for i in range(6)))
results
""",
    )
    assert not errors(msgs), errors(msgs)
    kinds = [m["msg_type"] for m in msgs]
    opens = [m for m in msgs if m["msg_type"] == "comm_open" and m["content"]["target_name"] == TRACE_COMM_TARGET]
    assert len(opens) == 1
    comm_id = opens[0]["content"]["comm_id"]
    chunks = [m["content"]["data"] for m in msgs if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id]
    assert len(chunks) >= 3 and chunks[-1]["final"] is True and not chunks[0]["final"]
    for chunk in chunks:
        validate(chunk)
    displays = [m for m in msgs if m["msg_type"] == "display_data" and TRACE_MIME in m["content"]["data"]]
    assert len(displays) == 1
    bundle = displays[0]["content"]["data"]
    assert {"text/plain", "image/svg+xml", TRACE_MIME} <= set(bundle)
    trace = bundle[TRACE_MIME]
    validate(trace)
    assert trace["meta"]["label"] == "downloads"
    # only the learner's tasks: none of ipykernel's own
    names = [
        trace["strings"][n]
        for n, k, g in zip(trace["lanes"]["name"], trace["lanes"]["kind"], trace["lanes"]["group"], strict=True)
        if k == 0 and trace["strings"][g] == "asyncio"
    ]
    assert names == ["download"] * 6
    # live chunks arrived while the cell was still running: before the final display
    first_chunk = next(
        i for i, m in enumerate(msgs) if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id
    )
    assert first_chunk < kinds.index("display_data")
    first_time = msgs[first_chunk]["header"]["date"]
    display_time = displays[0]["header"]["date"]
    assert str(first_time) < str(display_time)
    # the cell's value is still shown
    results = [m for m in msgs if m["msg_type"] == "execute_result"]
    assert results and "[0, 1, 2, 3, 4, 5]" in results[0]["content"]["data"]["text/plain"]
    # the trace is queryable from the next cell, like a grader's hidden test would
    msgs = run(
        kernel,
        """
import threadline
t = threadline.last_trace()
t.assert_max_concurrent(2, 'download')
print(t.max_concurrent('download'), t.lock_stats('sem').acquisitions, len(t.lanes('download')))
""",
    )
    assert not errors(msgs), errors(msgs)
    assert stdout(msgs).split() == ["2", "6", "6"]


def test_timeline_cell_with_error_still_displays_and_unpatches(kernel):
    msgs = run(
        kernel,
        """%%timeline
import threading
lock = threading.Lock()
with lock:
    pass
raise ValueError('learner bug')
""",
    )
    assert errors(msgs) and errors(msgs)[0]["ename"] == "ValueError"
    assert any(m["msg_type"] == "display_data" and TRACE_MIME in m["content"]["data"] for m in msgs)
    msgs = run(
        kernel,
        "import threading, asyncio.events; "
        "print(type(threading.Lock()).__name__, asyncio.events.Handle._run.__module__)",
    )
    assert stdout(msgs).split() == ["lock", "asyncio.events"]


def test_nested_trace_refused_with_a_clear_message(kernel):
    msgs = run(
        kernel,
        """%%timeline
import threadline
with threadline.trace():
    pass
""",
    )
    errs = errors(msgs)
    assert errs and errs[0]["ename"] == "NestedTraceError" and "cannot be nested" in errs[0]["evalue"]


def test_blocked_loop_in_a_notebook_cell(kernel):
    msgs = run(
        kernel,
        """%%timeline
import asyncio, time
async def slow():
    await asyncio.sleep(0)
    time.sleep(0.3)
await asyncio.create_task(slow())
""",
    )
    assert not errors(msgs), errors(msgs)
    msgs = run(kernel, "b = threadline.last_trace().blocked_loop(); print(len(b), b[0].location)")
    out = stdout(msgs).split()
    assert out[0] == "1" and out[-1] == "slow"


def test_meter_comm_sends_samples_while_a_cell_is_busy(kernel):
    comm_id = uuid.uuid4().hex
    msg = kernel.session.msg(
        "comm_open", {"comm_id": comm_id, "target_name": METER_COMM_TARGET, "data": {"interval_ms": 200}}
    )
    kernel.shell_channel.send(msg)
    msgs = run(kernel, "import time; time.sleep(1.5)")
    samples = [m["content"]["data"] for m in msgs if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id]
    busy = [i for i, m in enumerate(msgs) if m["msg_type"] == "status" and m["content"]["execution_state"] == "busy"]
    idle = [i for i, m in enumerate(msgs) if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle"]
    during = [
        m
        for i, m in enumerate(msgs)
        if busy
        and idle
        and busy[0] < i < idle[-1]
        and m["msg_type"] == "comm_msg"
        and m["content"]["comm_id"] == comm_id
    ]
    assert len(during) >= 2, f"meter samples while busy: {len(during)}"
    sample = samples[-1]
    assert sample["type"] == "cpu" and len(sample["per_core"]) == sample["host_cpus"]
    assert sample["effective_cpus"] > 0 and isinstance(sample["effective_cpus_reason"], str)
    assert any(p["is_kernel"] for p in sample["processes"])
    close = kernel.session.msg("comm_close", {"comm_id": comm_id, "data": {}})
    kernel.shell_channel.send(close)
    json.dumps(sample)


def test_kernel_interrupt_stops_the_trace_and_unpatches(kernel, manager):
    msg_id = kernel.execute("%%timeline\nimport time, threading\nlk = threading.Lock()\nwith lk:\n    time.sleep(30)\n")
    deadline = time.monotonic() + 60
    started = False
    while time.monotonic() < deadline and not started:
        msg = kernel.get_iopub_msg(timeout=60)
        started = msg["msg_type"] == "comm_open" and msg["content"].get("target_name") == TRACE_COMM_TARGET
    assert started, "the trace started"
    time.sleep(0.5)
    manager.interrupt_kernel()
    msgs = []
    while time.monotonic() < deadline:
        msg = kernel.get_iopub_msg(timeout=60)
        if msg.get("parent_header", {}).get("msg_id") == msg_id:
            msgs.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
    assert any(m["msg_type"] == "error" and m["content"]["ename"] == "KeyboardInterrupt" for m in msgs)
    assert any(m["msg_type"] == "display_data" and TRACE_MIME in m["content"]["data"] for m in msgs), (
        "the partial trace is shown"
    )
    out = run(
        kernel,
        "import threading, asyncio.events, threadline.session as s; "
        "print(type(threading.Lock()).__name__, asyncio.events.Handle._run.__module__, s.active_trace())",
    )
    assert stdout(out).split() == ["lock", "asyncio.events", "None"]


def test_run_cell_magic_fallback_traces_plain_code(kernel):
    msgs = run(
        kernel,
        "get_ipython().run_cell_magic("
        "'timeline', 'direct', 'import threading\\nl2 = threading.Lock()\\nwith l2:\\n    pass\\n')",
    )
    assert not errors(msgs), errors(msgs)
    displays = [
        m["content"]["data"] for m in msgs if m["msg_type"] == "display_data" and TRACE_MIME in m["content"]["data"]
    ]
    assert len(displays) == 1 and displays[0][TRACE_MIME]["meta"]["label"] == "direct"
    msgs = run(kernel, "get_ipython().run_cell_magic('timeline', '', 'await asyncio.sleep(0)')")
    assert errors(msgs) and "top-level await" in errors(msgs)[0]["evalue"]


SHOW_CELL = """
import threadline
t = threadline.last_trace()
d = t.data
names = [d['strings'][n] for n in d['lanes']['name']]
cell = names.index('cell')
sp = d['spans']
runs = sorted((s, e) for l, k, s, e in zip(sp['lane'], sp['kind'], sp['start'], sp['end']) if l == cell and k == 0)
waits = [d['strings'][lab] for l, k, lab in zip(sp['lane'], sp['kind'], sp['label']) if l == cell and k == 1]
print(repr({'names': names, 'group': d['strings'][d['lanes']['group'][cell]], 'runs': runs, 'waits': waits,
            'blocks': [(b.duration_s, b.location) for b in t.blocked_loop()], 'lanes': t.lanes()}))
"""


def cell_lane(kc, code: str) -> dict[str, Any]:
    msgs = run(kc, code)
    assert not errors(msgs), errors(msgs)
    msgs = run(kc, SHOW_CELL)
    assert not errors(msgs), errors(msgs)
    import ast

    return ast.literal_eval(stdout(msgs).strip().splitlines()[-1])


def test_code_awaited_in_a_timeline_cell_is_the_cell_lane_with_its_blocking(kernel):
    info = cell_lane(
        kernel,
        """%%timeline
import asyncio, time
async def countdown():
    time.sleep(0.3)
    for i in range(3):
        await asyncio.sleep(0.02)
await countdown()
""",
    )
    # only the cell's task besides the thread: none of ipykernel's own tasks
    assert sorted(info["names"]) == ["MainThread", "cell"] and info["group"] == "main"
    assert info["runs"] and info["runs"][0][0] < 50_000, "recorded from the start of the trace"
    assert len(info["runs"]) == 4 and info["waits"] == ["sleep"] * 3
    assert len(info["blocks"]) == 1 and info["blocks"][0][0] >= 0.25
    assert info["blocks"][0][1] == "cell:4 in countdown"
    assert info["lanes"] == [], "the cell is not one of the learner's concurrent tasks"


def test_async_with_trace_in_a_cell_flags_blocking_in_its_last_step(kernel):
    info = cell_lane(
        kernel,
        """import asyncio, time, threadline
async def work():
    await asyncio.sleep(0.02)
    time.sleep(0.3)
async with threadline.trace(display=False):
    await work()
""",
    )
    assert len(info["runs"]) == 2 and info["waits"] == ["sleep"]
    assert len(info["blocks"]) == 1 and info["blocks"][0][1] == "cell:4 in work"
    msgs = run(
        kernel,
        "import threading, asyncio.events; "
        "print(type(threading.Lock()).__name__, asyncio.events.Handle._run.__module__)",
    )
    assert stdout(msgs).split() == ["lock", "asyncio.events"]


def test_a_synchronous_timeline_cell_runs_on_the_cell_lane_without_blocking_the_loop(kernel):
    info = cell_lane(
        kernel,
        """%%timeline
import threading, time
worker = threading.Thread(target=time.sleep, args=(0.3,), name='sleeper')
worker.start()
worker.join()
""",
    )
    assert len(info["runs"]) == 1 and info["runs"][0][1] - info["runs"][0][0] >= 250_000
    assert info["blocks"] == [], "a cell without await keeps the loop by design: not a blocked loop"
    assert info["lanes"] == ["sleeper"]


def test_primitives_from_an_earlier_cell_are_recorded_and_the_kernels_are_not(kernel):
    msgs = run(kernel, "import asyncio\nshared = asyncio.Lock()\nbacklog = asyncio.Queue()\n")
    assert not errors(msgs), errors(msgs)
    msgs = run(
        kernel,
        """%%timeline
async def job(i):
    async with shared:
        await backlog.put(i)
        await asyncio.sleep(0.01)
await asyncio.gather(*(job(i) for i in range(3)))
""",
    )
    assert not errors(msgs), errors(msgs)
    msgs = run(
        kernel,
        "t = threadline.last_trace(); print(sorted(t.lock_names()), t.lock_stats('shared').acquisitions, "
        "t.lock_stats('backlog').acquisitions, sorted(k for k in vars(shared) if k.startswith('_tl')))",
    )
    assert not errors(msgs), errors(msgs)
    assert stdout(msgs).strip() == "['backlog', 'shared'] 3 3 []"


def test_a_lock_from_an_earlier_cell_is_recorded_in_a_timeline_cell(kernel):
    assert not errors(run(kernel, "import threading, time\nbalance_lock = threading.Lock()\nbalance = 0"))
    msgs = run(
        kernel,
        """%%timeline deposits
def deposit():
    global balance
    for _ in range(5):
        with balance_lock:
            balance += 1
            time.sleep(0.002)

workers = [threading.Thread(target=deposit) for _ in range(2)]
for w in workers:
    w.start()
for w in workers:
    w.join()
""",
    )
    assert not errors(msgs)
    out = run(
        kernel,
        "t = threadline.last_trace()\n"
        "print(t.lock_names(), t.lock_stats('balance_lock').acquisitions, type(balance_lock).__name__)",
    )
    assert stdout(out).strip() == "['balance_lock'] 10 lock"
