"""``threading.Lock`` / ``RLock`` made before the trace (in an earlier cell, say): wrapped for the
length of the trace.

They are C objects that no patch can reach, so at the start of a trace the learner's namespace (the
globals of the code that opened the trace, or IPython's user namespace for ``%%timeline``) is
searched for them: names, items of lists and dicts, and attributes of instances of the learner's own
classes, one level deep. Each is replaced by a traced wrapper around *the same* lock, so mutual
exclusion is unchanged even through references the search did not find (those are simply not
recorded). When the trace ends, every place that still holds a wrapper gets its original lock back;
a wrapper kept elsewhere meanwhile (passed to a thread, say) goes on working as a plain lock.
"""

from __future__ import annotations

import sys
from typing import Any

from ...frames import is_user_file
from .registry import state
from .thread_locks import CRLock, FreshLock, FreshRLock, allocate_lock, new_lock_wrapper

_LockType = type(allocate_lock())
_RLockType = CRLock
_NAMES_LIMIT = 10_000  # names looked at in the namespace (a star import brings thousands)
_SCAN_LIMIT = 1000  # entries looked at per list, dict or object

# (container, key or index or attribute, original lock, wrapper) for each replacement
_replaced: list[tuple[Any, Any, Any, Any]] = []


def _wrap(lock: Any, namespace: dict[str, Any]) -> Any:
    if type(lock) is _LockType:
        return new_lock_wrapper(FreshLock, lock, "threading.Lock", None, namespace)
    return new_lock_wrapper(FreshRLock, lock, "threading.RLock", None, namespace)


def _is_lock(value: Any) -> bool:
    return type(value) is _LockType or type(value) is _RLockType


def _learners_class(cls: type) -> bool:
    if cls.__module__ == "__main__":
        return True
    module = sys.modules.get(cls.__module__)
    filename = getattr(module, "__file__", None)
    return isinstance(filename, str) and is_user_file(filename)


def adopt(namespace: dict[str, Any] | None) -> int:
    """Wrap the locks reachable from `namespace`; returns how many were wrapped."""
    if namespace is None or state.rec is None:
        return 0
    before = len(_replaced)

    def replace(container: Any, key: Any, lock: Any, setter: Any) -> None:
        wrapper = _wrap(lock, namespace)
        setter(container, key, wrapper)
        _replaced.append((container, key, lock, wrapper))

    def set_item(container: Any, key: Any, value: Any) -> None:
        container[key] = value

    for name, value in list(namespace.items())[:_NAMES_LIMIT]:
        if not isinstance(name, str) or name.startswith("_"):
            continue
        if _is_lock(value):
            replace(namespace, name, value, set_item)
        elif type(value) is list:
            for i, item in enumerate(value[:_SCAN_LIMIT]):
                if _is_lock(item):
                    replace(value, i, item, set_item)
        elif type(value) is dict:
            for key, item in list(value.items())[:_SCAN_LIMIT]:
                if _is_lock(item):
                    replace(value, key, item, set_item)
        elif not isinstance(value, type) and _learners_class(type(value)):
            attrs = getattr(value, "__dict__", None)
            if isinstance(attrs, dict):
                for attr, item in list(attrs.items())[:_SCAN_LIMIT]:
                    if _is_lock(item):
                        replace(value, attr, item, setattr)
    return len(_replaced) - before


def restore() -> None:
    """Put the original locks back wherever a wrapper still sits."""
    while _replaced:
        container, key, lock, wrapper = _replaced.pop()
        try:
            if isinstance(container, (dict, list)):
                if container[key] is wrapper:
                    container[key] = lock
            elif getattr(container, key, None) is wrapper:
                setattr(container, key, lock)
        except (IndexError, KeyError, AttributeError, TypeError):
            pass  # the learner changed that container meanwhile: nothing of ours is left there


__all__ = ["adopt", "restore"]
