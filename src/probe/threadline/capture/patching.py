"""Reversible monkey-patching: every change is remembered and undone in reverse order."""

from __future__ import annotations

from typing import Any

_MISSING = object()


class Patcher:
    def __init__(self) -> None:
        self._undo: list[tuple[Any, str, Any]] = []

    def set(self, target: Any, name: str, value: Any) -> None:
        old = target.__dict__.get(name, _MISSING) if isinstance(target, type) else getattr(target, name, _MISSING)
        self._undo.append((target, name, old))
        setattr(target, name, value)

    def undo(self) -> None:
        """Restore everything; a KeyboardInterrupt arriving meanwhile is re-raised only at the end."""
        interrupted: BaseException | None = None
        while self._undo:
            try:
                while self._undo:
                    target, name, old = self._undo[-1]
                    if old is _MISSING:
                        try:
                            delattr(target, name)
                        except AttributeError:
                            pass
                    else:
                        setattr(target, name, old)
                    self._undo.pop()
            except KeyboardInterrupt as exc:  # finish undoing first: never leave a patch behind
                interrupted = exc
        if interrupted is not None:
            raise interrupted

    def __len__(self) -> int:
        return len(self._undo)
