"""``threadline.trace()``: record a region of code (``with`` or ``async with``), then query it."""

from __future__ import annotations

import asyncio
import sys
import threading
from asyncio import events
from collections.abc import Callable
from time import perf_counter
from typing import Any

from .capture import asyncio_hooks, await_graph, fates, process_hooks, thread_hooks
from .capture.cell_task import CellTask
from .capture.locks import adoption as lock_adoption
from .capture.locks import hooks as lock_hooks
from .capture.patching import Patcher
from .capture.sampler import Sampler
from .frames import forget_sites, is_user_file
from .read.analysis import TraceData, TraceQueries
from .read.display import display_trace
from .record.recorder import Recorder
from .schema import LANE_TASK, LANE_THREAD

DEFAULT_CAPACITY = 1_000_000
DEFAULT_BLOCK_THRESHOLD_S = 0.1

_active: trace | None = None
_last: trace | None = None
_reported: set[str] = set()


class NestedTraceError(RuntimeError):
    """Raised when tracing is started while another trace is running."""


class TraceNotFinishedError(RuntimeError):
    """Raised when a trace is queried before its block ended."""


def report_once(key: str, message: str) -> None:
    """Tell the learner about a probe problem once per kind (never more), on stderr."""
    if key in _reported:
        return
    _reported.add(key)
    print(f"threadline: {message}", file=sys.stderr)


def last_trace() -> trace | None:
    """The most recent finished trace (e.g. of the last %%timeline cell)."""
    return _last


def active_trace() -> trace | None:
    return _active


class trace(TraceQueries):  # noqa: N801 - used like a function: `with threadline.trace() as t`
    """Record what tasks, threads, locks, processes and cores do inside the block.

    ``display`` shows the timeline when the block ends (in Jupyter). After the block, ``t`` answers
    questions (``t.max_concurrent()``, ``t.lock_stats("lock")`` …) and has ``assert_…`` forms.
    """

    def __init__(
        self,
        label: str | None = None,
        display: bool = True,
        *,
        capacity: int = DEFAULT_CAPACITY,
        block_threshold: float = DEFAULT_BLOCK_THRESHOLD_S,
        sink_factory: Callable[[Recorder], Callable[[dict[str, Any]], None] | None] | None = None,
    ) -> None:
        self.label = label
        self.display = display
        self.capacity = max(1, int(capacity))
        self.block_threshold = block_threshold
        self.sink_factory = sink_factory
        self.failed: str | None = None
        self.recorder: Recorder | None = None
        self._patcher: Patcher | None = None
        self._sampler: Sampler | None = None
        self._sink: Callable[[dict[str, Any]], None] | None = None
        self._close_sink: Callable[[], None] | None = None
        self._data: TraceData | None = None
        self._cell_task: Any = None
        self._cell: CellTask | None = None
        self._keys: Any = None  # capture.asyncio_hooks.TaskKeys
        self._started = False

    # -- context manager -------------------------------------------------------------------------
    def __enter__(self) -> trace:
        self.start()
        return self

    def __exit__(self, et: Any, ev: Any, tb: Any) -> bool:
        self.stop()
        return False

    async def __aenter__(self) -> trace:
        self.start()
        return self

    async def __aexit__(self, et: Any, ev: Any, tb: Any) -> bool:
        self.stop()
        return False

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        global _active
        if self._started:
            raise RuntimeError("threadline: this trace object was already used; create a new threadline.trace().")
        if _active is not None:
            raise NestedTraceError(
                "threadline: tracing is already on (a %%timeline cell or an outer `with threadline.trace()`). "
                "Traces cannot be nested: remove the inner one, or put the code in its own cell."
            )
        self._started = True
        _active = self
        try:
            self._install(_learner_namespace())
        except Exception as exc:  # a probe failure must never stop the learner's code
            self._teardown()
            self.failed = f"{type(exc).__name__}: {exc}"
            report_once("start", f"could not start tracing ({self.failed}); your code runs untraced.")
            _active = None

    def _install(self, namespace: dict[str, Any] | None) -> None:
        rec = Recorder(capacity=self.capacity, block_threshold_s=self.block_threshold, label=self.label)
        self.recorder = rec
        rec.thread_name_of = _thread_name
        me = threading.current_thread()
        main_lane = rec.add_lane(LANE_THREAD, me.name, "main", start_us=0, os_id=threading.get_native_id())
        rec.register_thread_lanes([threading.get_ident()], [-(2**62)], main_lane)
        loop = events._get_running_loop()
        cell_task = asyncio.current_task(loop) if loop is not None else None
        if self.sink_factory is not None:
            self._sink = self.sink_factory(rec)
            self._close_sink = getattr(self._sink, "close", None)
        watch = [threading.get_ident()]
        main_ident = threading.main_thread().ident
        if main_ident is not None and main_ident not in watch:
            watch.append(main_ident)
        self._sampler = Sampler(
            rec,
            sink=self._sink,
            watch_idents=watch,
            main_native={threading.get_native_id(): main_lane},
            on_error=lambda exc: report_once(
                "sampler", f"the background sampler stopped ({type(exc).__name__}: {exc}); the trace may be incomplete."
            ),
        )
        self._patcher = Patcher()
        hook = asyncio_hooks.install(rec, self._patcher, report_once)
        self._keys = hook.keys
        fates.install(rec, self._patcher)
        await_graph.install(rec, self._patcher)
        thread_hooks.install(rec, self._patcher, hook.keys)
        lock_hooks.install(rec, self._patcher)
        lock_adoption.adopt(namespace)
        process_hooks.install(rec, self._patcher)
        if cell_task is not None:
            # The task running the traced cell/block (in a notebook: ipykernel's, created before
            # the trace): followed from now on, in the "main" group with the tracing thread.
            lane = rec.add_lane(LANE_TASK, "cell", "main", parent=main_lane, start_us=0)
            key = self._keys.track(cell_task).key
            rec.bind_task_lanes([key], lane, open_=False)  # its end is CellTask's
            hook.cell_task = cell_task
            self._cell_task = cell_task
            self._cell = CellTask(rec, cell_task, key, loop, rec.t0, hook)
        self._sampler.start()

    def _teardown(self) -> None:
        """Undo every patch (also after a partial start)."""
        rec = self.recorder
        try:
            if rec is not None:
                lock_hooks.still_held(rec)
        finally:
            lock_adoption.restore()
            lock_hooks.uninstall()
            if self._patcher is not None:
                self._patcher.undo()
            forget_sites()
            if self._keys is not None:
                self._keys.forget(self._cell_task)
            if self._cell is not None:
                self._cell.active = False
            if self._sampler is not None:
                self._sampler.stop()

    def stop(self) -> None:
        global _active, _last
        if _active is not self:
            return
        rec = self.recorder
        t_end = perf_counter()
        try:
            if self._cell is not None:
                try:
                    self._cell.finish(t_end)
                finally:
                    self._teardown()
            else:
                self._teardown()
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            report_once("stop", f"problem while stopping the trace ({type(exc).__name__}: {exc}).")
        finally:
            _active = None
        if rec is None:
            return
        try:
            rec.duration_us = max(0, rec.us(t_end))
            rec.convert(final=True)
            with rec.lock:
                rec.fates.finish(rec)
            if self._sink is not None:
                try:
                    self._sink(rec.chunk(final=True))
                finally:
                    if self._close_sink is not None:
                        self._close_sink()
            self._data = TraceData(rec.whole(compact=True), dict(rec.lane_aliases))
            _last = self
        except Exception as exc:
            self.failed = f"{type(exc).__name__}: {exc}"
            report_once("finish", f"could not finish the trace ({self.failed}).")
            return
        finally:  # a finished trace keeps none of the program's objects
            if self._keys is not None:
                self._keys.clear()
            self._cell_task = None
            if self._cell is not None:
                self._cell.task = self._cell.hook.cell_task = None
        if self.display:
            try:
                display_trace(self.data)
            except Exception as exc:  # a display failure must not fail the learner's cell
                report_once("display", f"could not display the timeline ({type(exc).__name__}: {exc}).")

    # -- queries ---------------------------------------------------------------------------------
    def _trace_data(self) -> TraceData:
        if self._data is None:
            if self.failed:
                raise TraceNotFinishedError(
                    f"threadline: this trace failed ({self.failed}); there is nothing to check."
                )
            raise TraceNotFinishedError(
                "threadline: the trace is still running — ask questions about it after the `with` block "
                "(or the %%timeline cell) ends."
            )
        return self._data

    @property
    def finished(self) -> bool:
        return self._data is not None

    def __repr__(self) -> str:
        if self._data is None:
            return "<threadline.trace (running)>" if _active is self else "<threadline.trace (not finished)>"
        return self.summary()


def _learner_namespace() -> dict[str, Any] | None:
    """The globals of the learner's code that opened the trace (a cell's are IPython's user
    namespace), where locks made before the trace are looked for."""
    frame: Any = sys._getframe(2)
    while frame is not None and not is_user_file(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is not None:
        return frame.f_globals  # type: ignore[no-any-return]
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "user_ns", None)


def _thread_name(ident: int) -> str | None:
    thread = threading._active.get(ident)  # type: ignore[attr-defined]
    return thread.name if thread is not None else None
