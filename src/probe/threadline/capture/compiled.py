"""The probe's C hot paths (``_speedups``, see _speedups.c) when they were built, else None.

``npm start``/``npm test`` build them (Binder's postBuild too); without a C compiler the probe runs
its pure-Python twins, a little slower. ``THREADLINE_PURE_PYTHON=1`` forces those (tests run both).
"""

from __future__ import annotations

import os
from types import ModuleType

speedups: ModuleType | None = None
if not os.environ.get("THREADLINE_PURE_PYTHON"):
    try:
        from . import _speedups as speedups
    except ImportError:  # not built: the pure-Python twins run
        speedups = None

__all__ = ["speedups"]
