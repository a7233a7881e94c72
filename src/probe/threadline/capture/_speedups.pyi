"""Types of the C hot paths in _speedups.c (the Python twins: step_hook.PyStepHook,
asyncio_hooks.PyTaskKeys, locks.core.PyLockCore, the hooks in thread_hooks.install)."""

from collections.abc import Callable
from typing import Any

class StepBuffer:
    """The raw steps of asyncio tasks as int64 rows (record/step_buffer.py, twin PyStepBuffer)."""

    def extend(self, step: tuple[int, int, int, Any, Any]) -> None: ...
    def take(self) -> tuple[bytes, list[Any]]: ...
    def __len__(self) -> int: ...

class StepHook:
    """asyncio's ``Handle._run`` while tracing: set on ``Handle`` as is (it is a method descriptor)."""

    keys: TaskKeys
    cell_task: Any
    cell_t0: float
    describe_results: bool
    def __init__(
        self,
        keys: TaskKeys,
        steps: StepBuffer,
        awaiting: dict[int, str],
        threshold: float,
        report: Callable[[Any, BaseException], None],
        on_blocked: Callable[[Any, float], None],
        ends: list[Any],
        on_error: Callable[[Any, BaseException], None],
        task_type: type,
        gathering: type,
        base: float,
        misc: list[Any],
    ) -> None: ...
    def __call__(self, handle: Any) -> None: ...

class TaskRef:
    """A traced task's weak reference (a ``weakref.ref``): its key, and the id it is found by."""

    key: int
    ident: int
    def __call__(self) -> Any: ...

class TaskKeys:
    """Keys for traced tasks, and the weak references that notice when each is destroyed."""

    def __init__(self, gone: list[Any], awaiting: dict[int, str]) -> None: ...
    def track(self, task: Any) -> TaskRef: ...
    def refs(self) -> list[TaskRef]: ...
    def refs_of(self, keys: list[int], idents: list[int]) -> list[TaskRef | None]: ...
    def key_of(self, obj: Any) -> int | None: ...
    def __len__(self) -> int: ...
    def forget(self, task: Any) -> None: ...
    def clear(self) -> None: ...

class LockCore:
    """State and uncontended ``with`` of a traced ``threading.Lock``; the slow paths are Python methods
    of its subclasses (``_contended``, ``_contended_release``)."""

    _lock: Any
    _acq: Callable[..., bool]
    _rel: Callable[[], None]
    _r: float | None
    _log: list[int]
    _kind: str
    _site: str | None
    _globals: dict[str, Any] | None
    _owner: Any
    _t: int
    _idx: int
    _n: int
    _w: int
    _depth: int
    def __enter__(self) -> bool: ...
    def __exit__(self, et: object, ev: object, tb: object) -> None: ...

class TaskCreator:
    """``BaseEventLoop.create_task`` while tracing (asyncio_hooks.py ``create_task`` is its twin, and
    does what this does not: task factories, newer keywords, eager starts)."""

    def __init__(
        self,
        *,
        slow: Callable[..., Any],
        task_type: type,
        keys: TaskKeys,
        raw_tasks: list[Any],
        classify: Callable[[Any], int],
        housekeeping: set[int],
        current_tasks: dict[Any, Any],
        convert: Callable[[], None],
        limit: int,
        base: float,
    ) -> None: ...
    def __call__(self, loop: Any, coro: Any, *, name: Any = None, context: Any = None, **kwargs: Any) -> Any: ...

class ThreadStarter:
    """``Thread.start`` while tracing: notes in ``pending`` (by the thread's id) who starts it and
    where, for the runner."""

    def __init__(
        self,
        *,
        original: Callable[[Any], None],
        pending: dict[int, tuple[Any, Any, int, str]],
        classify: Callable[[Any], int],
        keys: TaskKeys,
        current_tasks: dict[Any, Any],
        running_loop: Callable[[], Any],
        who_of: Callable[[Any], int | str],
        helper_modules: frozenset[str],
    ) -> None: ...
    def __call__(self, thread: Any) -> None: ...

class ThreadRunner:
    """``Thread._bootstrap_inner`` while tracing: a noted thread's start and end (its note taken out
    of ``pending``), flat, into the recorder's ``raw_thread_starts`` and ``raw_thread_ends``
    (record/lives.py)."""

    def __init__(
        self,
        *,
        original: Callable[[Any], None],
        pending: dict[int, tuple[Any, Any, int, str]],
        starts: list[Any],
        ends: list[Any],
        base: float,
    ) -> None: ...
    def __call__(self, thread: Any) -> None: ...

class Gate:
    """A patched method of threading.Semaphore / Event / queue.Queue: the original for an object
    marked not the learner's (``_tl_idx = -1``), or not marked and called by code that is not the
    learner's (``classify(code) & 2``); else the traced one (locks/threading_classes.py)."""

    def __init__(
        self, original: Callable[..., Any], traced: Callable[..., Any], classify: Callable[[Any], int]
    ) -> None: ...
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

class InitGate:
    """Their patched ``__init__``: the original for an object the standard library makes (left
    unmarked), else the traced ``__init__``."""

    def __init__(
        self, original: Callable[..., None], traced: Callable[..., None], classify: Callable[[Any], int]
    ) -> None: ...
    def __call__(self, *args: Any, **kwargs: Any) -> None: ...

class CallerGate:
    """threading.Lock / RLock and Condition.__new__ while tracing: ``library`` when the calling
    code is not the learner's (``classify(code) & 2``), else ``learner``; pickles by its
    ``__qualname__``, and is not bound as a method. With ``own`` and ``plain`` (a ``__new__``'s):
    the library's call with ``own`` first makes ``plain`` from the other arguments."""

    __module__: str
    __name__: str
    __qualname__: str
    def __init__(
        self,
        *,
        library: Callable[..., Any],
        learner: Callable[..., Any],
        classify: Callable[[Any], int],
        own: type | None = None,
        plain: Callable[..., Any] | None = None,
    ) -> None: ...
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

def who_lanes(
    whos: list[Any], times: list[int], histories: dict[int, list[tuple[int, int]]], key_lanes: Any
) -> list[int]:
    """The lane of each record's 'who' at its time where known, else -1 (record/lives.py, twin py_who_lanes)."""

def pack_q(values: list[int]) -> bytes:
    """A list of ints as native int64 bytes (for ``array('q').frombytes``)."""

def step_columns(
    rows: bytes, key_lanes: Any, lane_last_end: dict[int, int], pending: dict[int, Any], threshold_us: int
) -> tuple[bytes, bytes, bytes, list[int], list[int]]:
    """The run spans of a batch of raw steps (record/step_columns.py, twin py_step_columns)."""

def suspensions(
    rows: bytes,
    look: list[int],
    key_lanes: Any,
    pending: dict[int, tuple[int, int]],
    extras: list[Any],
    label_cache: dict[Any, tuple[Any, int]],
    strings: dict[str, int],
    describe: Callable[[Any, Any], int],
) -> tuple[bytes, bytes, bytes, bytes, list[int]]:
    """The suspensions a batch of steps ends and begins (record/steps.py, twin py_suspensions)."""

def indexes_in(values: Any, keys: dict[Any, Any] | set[Any]) -> list[int]:
    """Where an array('q')'s values are keys of the container (record/columns.py, twin py_indexes_in)."""

def task_names(refs: list[Any | None], coro_names: list[Any]) -> list[str]:
    """The names of the tasks behind weak references (record/tasks.py, twin py_task_names)."""

def lanes_of_keys(keys: Any, key_lanes: Any) -> list[int]:
    """The lane of each traced task's key, -1 for anything else (record/tasks.py, twin py_lanes_of_keys)."""

def close_lanes(keys: Any, key_lanes: Any, key_open: bytearray) -> list[int]:
    """The lanes of the keys whose lanes are open, closed now (record/tasks.py, twin py_close_lanes)."""

def bind_lanes(keys: Any, first_lane: int, key_lanes: Any, key_open: bytearray, open_: bool) -> None:
    """Key i gets the lane first_lane + i, open or not (record/tasks.py, twin py_bind_lanes)."""

def take_rows(buffer: list[Any], fields: int) -> list[Any]:
    """The whole rows of a raw buffer, taken out of it (record/raw_buffers.py, twin py_take_rows)."""

def run_starts(*columns: list[Any]) -> list[int]:
    """Where runs of rows whose items are the same objects begin (record/tasks.py, twin py_run_starts)."""
