"""How each task ended and who awaited whom: queries and assertions for learners and graders.

Task names are lane names (the name given to the task, else its coroutine's); a pattern matches a
name or an alias (coroutine name, qualified name) with fnmatch, like the other queries. Tasks that
share a name are told apart in ``task_outcomes`` and ``await_edges`` as ``worker``, ``worker #2`` …
in the order they were created.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Protocol

from ..schema import LANE_TASK, OUT_CANCELLED, OUT_DESTROYED, OUT_ERROR, OUT_NEVER_AWAITED, OUT_OK, SPAN_RUN

STILL_RUNNING = "still running when the trace ended"


class _Data(Protocol):
    trace: dict[str, Any]
    aliases: dict[int, list[str]]

    def string(self, index: int) -> str: ...


class _Fate:
    """One task lane: its unique name, whether a pattern matches it, and how it ended."""

    def __init__(self, name: str, matches: bool, text: str, outcome: int, detail: str) -> None:
        self.name, self.matches, self.text, self.outcome, self.detail = name, matches, text, outcome, detail


class FateQueries:
    """Mixin of the trace object (read/analysis.py): ``self._trace_data()`` is the finished trace."""

    def _trace_data(self) -> Any:  # pragma: no cover - provided by the trace object
        raise NotImplementedError

    def task_outcomes(self) -> dict[str, str]:
        """Task name -> how it ended: "returned", "raised ValueError: boom", "cancelled (TaskGroup
        abort, by boom)", "cancelled (timeout)", "cancelled", "destroyed while pending", "never
        awaited" (or "still running when the trace ended")."""
        return {fate.name: fate.text for fate in _fates(self._trace_data()).values()}

    def await_edges(self) -> list[tuple[str, str]]:
        """(awaiter, awaited) task names, in the order the waits began, each pair once: a task that
        awaited another task, a gather() of tasks, or the children of its TaskGroup."""
        data = self._trace_data()
        names = _lane_names(data)
        awaits = data.trace["awaits"]
        rows = sorted(zip(awaits["start"], awaits["lane"], awaits["target"], strict=True))
        return list(dict.fromkeys((names[lane], names[target]) for _, lane, target in rows))

    # -- assertions ----------------------------------------------------------------------------
    def assert_returned(self, name: str) -> None:
        """Every task matching `name` returned (no exception, not cancelled)."""
        for fate in self._matching(name):
            if fate.outcome != OUT_OK:
                raise AssertionError(
                    f"Expected task {fate.name!r} to return normally, but it {_told(fate)}. {_hint(fate)}".rstrip()
                )

    def assert_raised(self, name: str, exc_type: type[BaseException] | str | None = None) -> None:
        """Every task matching `name` ended with an exception (of `exc_type` or a subclass, if given)."""
        wanted = _exception_names(exc_type)
        what = "an exception" if exc_type is None else (exc_type if isinstance(exc_type, str) else exc_type.__name__)
        for fate in self._matching(name):
            raised = fate.detail.split(":", 1)[0] if fate.outcome == OUT_ERROR else ""
            if fate.outcome != OUT_ERROR or (wanted and raised not in wanted):
                raise AssertionError(
                    f"Expected task {fate.name!r} to raise {what}, but it {_told(fate)}. {_hint(fate)}".rstrip()
                )

    def assert_cancelled(self, name: str, reason: str | None = None) -> None:
        """Every task matching `name` was cancelled (for `reason`, if given: a part of "TaskGroup
        abort", "timeout", "cancel()", "shutdown" or "gather cancelled", any case)."""
        for fate in self._matching(name):
            if fate.outcome != OUT_CANCELLED:
                raise AssertionError(
                    f"Expected task {fate.name!r} to be cancelled, but it {_told(fate)}. {_hint(fate)}".rstrip()
                )
            if reason is not None and reason.lower() not in fate.text.lower():
                raise AssertionError(
                    f"Expected task {fate.name!r} to be cancelled because of {reason!r}, but it was {fate.text}."
                )

    def assert_awaited_by(self, awaited: str, awaiter: str) -> None:
        """Some task matching `awaiter` awaited a task matching `awaited` (directly, through gather(),
        or as the parent of its TaskGroup)."""
        self._matching(awaited)
        data = self._trace_data()
        names = _lane_names(data)
        awaits = data.trace["awaits"]
        for lane, target in zip(awaits["lane"], awaits["target"], strict=True):
            if _lane_matches(data, names, lane, awaiter) and _lane_matches(data, names, target, awaited):
                return
        edges = self.await_edges()
        seen = ", ".join(f"{a} → {b}" for a, b in edges[:12]) or "none"
        raise AssertionError(
            f"Expected {awaiter!r} to wait for task {awaited!r}, but it never did (awaits seen: {seen}). "
            f"Hint: keep the task and `await` it, pass it to asyncio.gather(...), or create it with "
            f"tg.create_task(...) inside `async with asyncio.TaskGroup() as tg:` in {awaiter!r}."
        )

    def _matching(self, pattern: str) -> list[_Fate]:
        fates = list(_fates(self._trace_data(), pattern).values())
        found = [fate for fate in fates if fate.matches]
        if not found:
            seen = ", ".join(fate.name for fate in fates[:12]) or "none"
            raise AssertionError(
                f"No task named {pattern!r} ran while tracing (tasks seen: {seen}). Hint: check the name; a "
                "task is named after its coroutine function unless you give it name=..."
            )
        return found


def _lane_names(data: _Data) -> list[str]:
    """Every lane's name, made unique in creation order (worker, worker #2 …)."""
    seen: dict[str, int] = {}
    out = []
    for index in data.trace["lanes"]["name"]:
        name = data.string(index)
        count = seen[name] = seen.get(name, 0) + 1
        out.append(name if count == 1 else f"{name} #{count}")
    return out


def _lane_matches(data: _Data, names: list[str], lane: int, pattern: str) -> bool:
    """Whether the lane's unique name is `pattern`, or its name or an alias matches it (fnmatch)."""
    if names[lane] == pattern:
        return True
    candidates = [data.string(data.trace["lanes"]["name"][lane]), *data.aliases.get(lane, [])]
    return any(fnmatch.fnmatchcase(n, pattern) for n in candidates)


def _fates(data: _Data, pattern: str = "*") -> dict[int, _Fate]:
    """The traced tasks (task lanes that ran or ended) and how each ended, by lane."""
    trace = data.trace
    lanes, ends = trace["lanes"], trace["ends"]
    names = _lane_names(data)
    ran = {lane for lane, kind in zip(trace["spans"]["lane"], trace["spans"]["kind"], strict=True) if kind == SPAN_RUN}
    ended = {
        lane: (outcome, data.string(detail), data.string(reason), by)
        for lane, outcome, detail, reason, by in zip(
            ends["lane"], ends["outcome"], ends["detail"], ends["reason"], ends["by"], strict=True
        )
    }
    out: dict[int, _Fate] = {}
    for lane, kind in enumerate(lanes["kind"]):
        if kind != LANE_TASK or data.string(lanes["group"][lane]) == "main" or (lane not in ended and lane not in ran):
            continue
        outcome, detail, reason, by = ended.get(lane, (-1, "", "", -1))
        text = _outcome_text(outcome, detail, reason, names[by] if 0 <= by < len(names) else "")
        out[lane] = _Fate(names[lane], _lane_matches(data, names, lane, pattern), text, outcome, detail)
    return out


def _outcome_text(outcome: int, detail: str, reason: str, by: str) -> str:
    if outcome == OUT_OK:
        return "returned"
    if outcome == OUT_ERROR:
        return f"raised {detail}" if detail else "raised"
    if outcome == OUT_CANCELLED:
        why = ", ".join(part for part in (reason, f"by {by}" if by else "") if part)
        return f"cancelled ({why})" if why else "cancelled"
    if outcome == OUT_DESTROYED:
        return "destroyed while pending"
    if outcome == OUT_NEVER_AWAITED:
        return "never awaited"
    return STILL_RUNNING


def _told(fate: _Fate) -> str:
    """How the task ended, as the end of a sentence starting "but it"."""
    return fate.text if fate.outcome in (OUT_OK, OUT_ERROR) else f"was {fate.text}"


def _hint(fate: _Fate) -> str:
    text = fate.text
    if "TaskGroup abort" in text:
        return (
            "Hint: when one task of a TaskGroup raises, the group cancels all the others; catch the "
            "exception inside the failing task if the others should go on."
        )
    if "timeout" in text:
        return "Hint: it did not finish in time (asyncio.timeout / wait_for cancel it when the time is up)."
    if fate.outcome == OUT_CANCELLED:
        return "Hint: look for a .cancel() on it, or on a task or gather() waiting for it."
    if fate.outcome == OUT_DESTROYED:
        return (
            "Hint: nothing kept a reference to the task, so it was garbage-collected before it finished; "
            "keep it in a variable or a set, and await it (or use a TaskGroup)."
        )
    if fate.outcome == OUT_NEVER_AWAITED:
        return "Hint: calling a coroutine function only creates the coroutine; `await` it or wrap it in a task."
    if fate.outcome == -1:
        return "Hint: await it (or gather it) before the traced block ends."
    return ""


def _exception_names(exc_type: type[BaseException] | str | None) -> set[str]:
    """The class names that count as `exc_type`: itself and all its subclasses."""
    if exc_type is None:
        return set()
    if isinstance(exc_type, str):
        return {exc_type}
    names, todo = set(), [exc_type]
    while todo:
        cls = todo.pop()
        if cls.__name__ not in names:
            names.add(cls.__name__)
            todo.extend(cls.__subclasses__())
    return names
