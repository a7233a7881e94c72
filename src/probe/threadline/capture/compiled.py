"""The probe's C hot paths (``_speedups``, see _speedups.c) when they were built, else None.

``npm start``/``npm test`` build them (Binder's postBuild too); without a C compiler the probe runs
its pure-Python twins, a little slower. ``THREADLINE_PURE_PYTHON=1`` forces those (tests run both).
On a free-threaded build (PEP 703, ``Py_GIL_DISABLED``) the twins run too: the C paths rely on the
GIL and do not declare ``Py_mod_gil``, so importing them would turn the GIL back on for the whole
process, which is the very thing a learner on that build wants to see switched off.
"""

from __future__ import annotations

import os
import sysconfig
from collections.abc import Mapping
from types import ModuleType


def use_speedups(environ: Mapping[str, str], free_threaded: bool) -> bool:
    """Whether to load the C hot paths: not when asked for the twins, nor on a free-threaded build."""
    return not environ.get("THREADLINE_PURE_PYTHON") and not free_threaded


speedups: ModuleType | None = None
if use_speedups(os.environ, sysconfig.get_config_var("Py_GIL_DISABLED") == 1):
    try:
        from . import _speedups as speedups
    except ImportError:  # not built: the pure-Python twins run
        speedups = None

__all__ = ["speedups", "use_speedups"]
