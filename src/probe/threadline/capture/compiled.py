"""The probe's C hot paths (``_speedups``, see _speedups.c) when they were built, else None.

``npm start``/``npm test`` build them (Binder's postBuild too); without a C compiler the probe runs
its pure-Python twins, a little slower. ``THREADLINE_PURE_PYTHON=1`` forces those (tests run both).
"""

from __future__ import annotations

import os
from typing import Any


def _load() -> Any:
    if os.environ.get("THREADLINE_PURE_PYTHON"):
        return None
    try:
        from . import _speedups  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _speedups


speedups = _load()

__all__ = ["speedups"]
