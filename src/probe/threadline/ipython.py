"""The IPython side: ``%%timeline``, the live trace comm, the meter comm and the final display.

Loading the extension registers the ``%%timeline`` magic (plus the input transformer that lets a
``%%timeline`` cell use top-level ``await``) and the ``threadline.meter`` comm target. Nothing runs
until a cell is traced or a frontend opens the meter.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .record.cpus import effective_cpus_exact, effective_cpus_reason, throttled_us
from .schema import METER_COMM_TARGET, TRACE_COMM_TARGET, TRACE_SCHEMA_VERSION
from .session import active_trace, report_once, trace

if TYPE_CHECKING:
    from .record.recorder import Recorder

MAGIC_LINE = "%%timeline"
_BEGIN = "__import__('threadline.ipython').ipython.begin_cell_trace({label!r}); "


def _kernel_available() -> bool:
    try:
        from ipykernel.kernelbase import Kernel

        return bool(Kernel.initialized())
    except Exception:
        return False


# ---- live trace comm -----------------------------------------------------------------------------


class CommSink:
    """Sends TraceChunks over a comm the kernel opens (target ``threadline.trace``)."""

    def __init__(self, rec: Recorder) -> None:
        import comm

        self.comm = comm.create_comm(
            target_name=TRACE_COMM_TARGET, data={"trace_id": rec.trace_id, "version": TRACE_SCHEMA_VERSION}
        )
        self.lock = threading.Lock()

    def __call__(self, chunk: dict[str, Any]) -> None:
        with self.lock:
            self.comm.send(chunk)

    def close(self) -> None:
        try:
            self.comm.close()
        except Exception:
            pass


def comm_sink_factory(rec: Recorder) -> Callable[[dict[str, Any]], None] | None:
    if not _kernel_available():
        return None
    try:
        return CommSink(rec)
    except Exception as exc:
        report_once(
            "comm", f"live view unavailable ({type(exc).__name__}: {exc}); the timeline appears when the cell ends."
        )
        return None


# ---- %%timeline -----------------------------------------------------------------------------------

_cell_trace: trace | None = None


def _new_trace(label: str | None) -> trace:
    return trace(label=label, display=True, sink_factory=comm_sink_factory)


def begin_cell_trace(label: str) -> None:
    """Called on the first line of a %%timeline cell (see the input transformer)."""
    global _cell_trace
    from IPython import get_ipython

    ip = get_ipython()
    if _cell_trace is not None:  # a previous cell ended without its post_run_cell (should not happen)
        end_cell_trace()
    t = _new_trace(label or None)
    t.start()  # raises NestedTraceError inside an outer trace, which is the clear message we want
    _cell_trace = t
    if ip is not None:
        ip.events.register("post_run_cell", _post_run_cell)


def end_cell_trace() -> None:
    global _cell_trace
    t, _cell_trace = _cell_trace, None
    if t is not None:
        t.stop()


def _post_run_cell(result: Any = None) -> None:
    from IPython import get_ipython

    ip = get_ipython()
    if ip is not None:
        try:
            ip.events.unregister("post_run_cell", _post_run_cell)
        except ValueError:
            pass
    end_cell_trace()


def timeline_transformer(lines: list[str]) -> list[str]:
    """Rewrite a ``%%timeline [label]`` cell into plain code that starts a trace on its first line.

    The cell body stays as it is (same line numbers, top-level ``await`` works, the last expression is
    still displayed); the trace stops in ``post_run_cell``, also when the cell fails or is interrupted.
    """
    if not lines or not lines[0].startswith(MAGIC_LINE):
        return lines
    first = lines[0]
    if first[len(MAGIC_LINE) :][:1] not in ("", " ", "\t", "\n", "\r"):
        return lines
    label = first[len(MAGIC_LINE) :].strip()
    body = lines[1:]
    if not label:
        label = next((ln.strip() for ln in body if ln.strip() and not ln.strip().startswith("#")), "")[:80]
    prefix = _BEGIN.format(label=label)
    # The start call replaces the magic line, so line numbers in tracebacks stay those of the cell.
    return [prefix + "\n", *body]


class TimelineMagicError(RuntimeError):
    """Raised when %%timeline is called in a way that cannot run the cell's top-level await."""


def timeline_magic(line: str, cell: str) -> None:
    """%%timeline [label]: run the cell and show what its tasks, threads, locks, processes and cores did."""
    # Normally the input transformer rewrites the cell and this function never runs. It runs when
    # the magic is called directly (get_ipython().run_cell_magic), where top-level await is not
    # available: run the body as plain code.
    from IPython import get_ipython

    ip = get_ipython()
    try:
        code = compile(cell, "<timeline>", "exec")
    except SyntaxError as exc:
        if "await" in str(exc):
            raise TimelineMagicError(
                "threadline: this %%timeline cell uses top-level await, which only works when %%timeline is the "
                "first line of a cell. Here, use `async with threadline.trace():` around the code instead."
            ) from exc
        raise
    with _new_trace(line.strip() or None):
        exec(code, ip.user_ns if ip is not None else {})


# ---- meter comm -------------------------------------------------------------------------------------


class Meter:
    """Sends MeterSamples to a frontend that opened the meter comm, from a background thread."""

    def __init__(self, comm: Any, interval_ms: int = 1000) -> None:
        self.comm = comm
        self.interval = max(0.1, interval_ms / 1000)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="threadline-meter", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def on_msg(self, msg: dict[str, Any]) -> None:
        data = (msg.get("content") or {}).get("data") or {}
        if data.get("type") == "config" and isinstance(data.get("interval_ms"), (int, float)):
            self.interval = max(0.1, float(data["interval_ms"]) / 1000)
        elif data.get("type") == "stop":
            self.stop_event.set()

    def _run(self) -> None:
        import psutil

        me = psutil.Process()
        me.cpu_percent()
        psutil.cpu_percent(percpu=True)  # the first sample is meaningless
        children: dict[int, psutil.Process] = {}
        last_throttled = throttled_us()
        try:
            while not self.stop_event.wait(self.interval):
                per_core = psutil.cpu_percent(percpu=True)
                procs = [{"pid": me.pid, "name": "kernel", "cpu": me.cpu_percent(), "is_kernel": True}]
                try:
                    current = {p.pid: p for p in me.children(recursive=True)}
                except psutil.Error:
                    current = {}
                for pid, proc in current.items():
                    known = children.setdefault(pid, proc)
                    try:
                        procs.append({"pid": pid, "name": known.name(), "cpu": known.cpu_percent(), "is_kernel": False})
                    except psutil.Error:
                        pass
                for pid in list(children):
                    if pid not in current:
                        del children[pid]
                throttled = throttled_us()
                sample = {
                    "type": "cpu",
                    "t_unix_us": int(time.time() * 1e6),
                    "per_core": per_core,
                    "host_cpus": psutil.cpu_count() or 1,
                    "effective_cpus": effective_cpus_exact(),
                    "effective_cpus_reason": effective_cpus_reason(),
                    "throttled_us": max(0, throttled - last_throttled),
                    "processes": procs,
                }
                last_throttled = throttled
                self.comm.send(sample)
        except Exception as exc:
            report_once("meter", f"the core meter stopped ({type(exc).__name__}: {exc}).")


def _open_meter(comm: Any, open_msg: dict[str, Any]) -> None:
    data = (open_msg.get("content") or {}).get("data") or {}
    meter = Meter(
        comm, int(data.get("interval_ms", 1000)) if isinstance(data.get("interval_ms"), (int, float)) else 1000
    )
    comm.on_msg(meter.on_msg)
    comm.on_close(lambda _msg: meter.stop_event.set())
    meter.start()


# ---- loading -----------------------------------------------------------------------------------------


def load(ip: Any) -> None:
    if timeline_transformer not in ip.input_transformers_cleanup:
        ip.input_transformers_cleanup.insert(0, timeline_transformer)
    ip.register_magic_function(timeline_magic, magic_kind="cell", magic_name="timeline")
    try:
        import comm

        comm.get_comm_manager().register_target(METER_COMM_TARGET, _open_meter)
    except Exception as exc:
        report_once("meter-target", f"core meter unavailable ({type(exc).__name__}: {exc}).")


def unload(ip: Any) -> None:
    if timeline_transformer in ip.input_transformers_cleanup:
        ip.input_transformers_cleanup.remove(timeline_transformer)
    if active_trace() is not None:
        end_cell_trace()


__all__ = ["load", "unload", "begin_cell_trace"]
