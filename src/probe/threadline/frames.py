"""Where code lives: the learner's code, the probe, asyncio, or the kernel's own machinery."""

from __future__ import annotations

import os
import posixpath
import sys
import sysconfig
from types import CodeType, FrameType

PROBE_DIR = os.path.dirname(os.path.abspath(__file__))
_ASYNCIO_DIR = os.path.dirname(os.path.abspath(__import__("asyncio").__file__))
_LIBRARY_DIRS = tuple(
    sorted(
        {
            os.path.abspath(p)
            for key in ("stdlib", "platstdlib", "purelib", "platlib")
            for p in (sysconfig.get_paths().get(key), sysconfig.get_paths(vars={"base": sys.base_prefix}).get(key))
            if p
        },
        key=len,
        reverse=True,
    )
)
_MACHINERY = (
    "ipykernel",
    "IPython",
    "tornado",
    "zmq",
    "jupyter_client",
    "jupyter_core",
    "comm",
    "traitlets",
    "anyio",
    "debugpy",
)

_MACHINERY_PARTS = tuple(f"/{name}/" for name in _MACHINERY)
_POSIX_PATHS = os.path is posixpath  # then a basename is a rpartition, not four calls
_user_cache: dict[str, bool] = {}
_machinery_cache: dict[str, bool] = {}
# is_user_file's answer when already known, else None: a lookup without a Python call, for hot paths
known_user_file = _user_cache.get


def is_probe_or_asyncio(filename: str) -> bool:
    return filename.startswith(PROBE_DIR) or filename.startswith(_ASYNCIO_DIR)


def is_kernel_machinery(filename: str) -> bool:
    """Code of the kernel itself (its tasks and threads are not the learner's)."""
    cached = _machinery_cache.get(filename)
    if cached is None:
        norm = filename.replace("\\", "/")
        cached = filename.startswith(PROBE_DIR) or any(part in norm for part in _MACHINERY_PARTS)
        _machinery_cache[filename] = cached
    return cached


def is_user_file(filename: str) -> bool:
    """The learner's code: a notebook cell or a module outside the stdlib and site-packages."""
    cached = _user_cache.get(filename)
    if cached is None:
        if filename.startswith("<"):
            cached = not filename.startswith("<frozen")
        else:
            path = os.path.abspath(filename)
            cached = not path.startswith(PROBE_DIR) and not any(path.startswith(d + os.sep) for d in _LIBRARY_DIRS)
        _user_cache[filename] = cached
    return cached


def code_kind(code: CodeType) -> int:
    """For the C hooks' per-code caches: bit 2 the learner's code, bit 1 the kernel's machinery."""
    filename = code.co_filename
    return 2 * is_user_file(filename) + is_kernel_machinery(filename)


def location_of_frame(code: CodeType, lineno: int | None) -> str:
    filename = code.co_filename
    if filename.startswith("<ipython-input-") or "/ipykernel_" in filename:
        short = "cell"
    else:
        short = filename.rpartition("/")[2] if _POSIX_PATHS else os.path.basename(filename)
    return f"{short}:{lineno} in {code.co_name}"


def caller_frame(depth: int = 2) -> FrameType | None:
    """The first frame outside the probe and the stdlib above `depth` (else the one at `depth`)."""
    try:
        frame: FrameType | None = sys._getframe(depth)
    except ValueError:
        return None
    first = frame
    while frame is not None:
        filename = frame.f_code.co_filename
        user = _user_cache.get(filename)
        if user is None:
            user = is_user_file(filename)
        if user:
            return frame
        frame = frame.f_back
    return first


def caller_site(depth: int = 2) -> tuple[str | None, FrameType | None]:
    """caller_frame's site, as "file.py:12 in f", and the frame."""
    frame = caller_frame(depth + 1)
    return (site_of_frame(frame), frame) if frame is not None else (None, None)


# (id(code), instruction offset) -> (code, site): working a line out walks the code's line table
# (thousands of instructions for a long function), on every thread or lock a line creates. The code
# is kept so its id is not reused while it is a key; emptied when a trace ends (forget_sites).
_sites: dict[tuple[int, int], tuple[CodeType, str]] = {}
_SITES_MAX = 4096


def site_of_frame(frame: FrameType) -> str:
    """location_of_frame for the line a frame is running."""
    code = frame.f_code
    key = (id(code), frame.f_lasti)
    hit = _sites.get(key)
    if hit is not None and hit[0] is code:
        return hit[1]
    site = location_of_frame(code, frame.f_lineno)
    if len(_sites) >= _SITES_MAX:
        _sites.clear()
    _sites[key] = (code, site)
    return site


def forget_sites() -> None:
    """Let go of the code objects the site cache holds."""
    _sites.clear()
