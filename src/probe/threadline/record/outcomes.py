"""What a finished task's outcome says: its code and a short detail (a result's repr, an error's
message, a cancellation's), read without running any of the learner's code.

The step hook reads it when a task's last step ends (its C twin in ``_speedups.c`` does the same);
the converter when a task finished without a last step the hook saw (``tasks.close_tasks``).
"""

from __future__ import annotations

from typing import Any

from ..schema import OUT_CANCELLED, OUT_ERROR, OUT_OK


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def task_outcome(task: Any, describe_result: bool = True) -> tuple[int, str | None]:
    """The outcome code and its detail (None for a result once results are no longer described)."""
    # Read the private fields: calling task.exception() would mark the error as retrieved and
    # silence asyncio's "exception was never retrieved" warning the learner should see.
    try:
        if task.cancelled():
            message = getattr(task, "_cancel_message", None)
            return OUT_CANCELLED, _short(f"cancelled: {message}" if message else "cancelled")
        exc = getattr(task, "_exception", None)
        if exc is not None:
            return OUT_ERROR, _short(f"{type(exc).__name__}: {exc}")
        return OUT_OK, _short(result_text(getattr(task, "_result", None))) if describe_result else None
    except Exception:
        return OUT_OK, None


def cancel_requested(task: Any) -> bool:
    """Whether a cancelled task was asked to cancel (``Task.cancel``), rather than only having had
    what it awaited cancelled under it."""
    try:
        return bool(task.cancelling())
    except Exception:  # a foreign task type
        return False


_PLAIN = frozenset({int, float, complex, bool, str, bytes, type(None)})
_CONTAINERS = frozenset({list, tuple, set, frozenset, dict})


def _plain(value: Any, depth: int = 0) -> bool:
    """Whether repr(value) runs no code of the learner's: builtin values, and small builtin
    containers of them."""
    kind = type(value)
    if kind in _PLAIN:
        return True
    if kind not in _CONTAINERS or depth >= 3 or len(value) > 32:
        return False
    items = [x for pair in value.items() for x in pair] if kind is dict else value
    return all(_plain(x, depth + 1) for x in items)


def result_text(value: Any) -> str:
    """A task's result for people, without calling a __repr__ of the learner's (a tracer must not:
    it may count its calls or change state): the repr of plain values, else the type's name."""
    return repr(value) if _plain(value) else f"<{type(value).__qualname__} object>"
