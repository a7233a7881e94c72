"""Run a short Python script in a fresh interpreter, from a notebook cell, without blocking the event loop.

A notebook's event loop is already running, so a cell cannot call ``asyncio.run()``; a separate
interpreter can. Weeks 12, 13 and 15 use this to show what a *program* sees (``PYTHONASYNCIODEBUG``,
``unittest``, pytest-asyncio, signals) while the notebook's loop keeps serving other tasks.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
import tempfile
import textwrap
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class ScriptResult:
    """How a script ended: its exit code and everything it printed."""

    returncode: int
    stdout: str
    stderr: str


def scratch_dir(prefix: str) -> Path:
    """A fresh temporary folder for scripts and test files (the system removes it eventually)."""
    return Path(tempfile.mkdtemp(prefix=prefix))


async def run_python(
    args: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 30.0
) -> ScriptResult:
    """Run ``python ARGS`` (this kernel's interpreter) as a subprocess; the loop stays free while it runs."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return ScriptResult(process.returncode or 0, out.decode(), err.decode())


async def run_script(code: str, *, env: dict[str, str] | None = None, timeout: float = 30.0) -> ScriptResult:
    """Write ``code`` (dedented) to a temporary file and run it with ``run_python``."""
    folder = scratch_dir("script-")
    path = folder / "script.py"
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return await run_python([str(path)], cwd=folder, env=env, timeout=timeout)
