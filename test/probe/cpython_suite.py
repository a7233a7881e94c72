"""Run CPython's own test modules in this process, with or without one ``threadline.trace`` around
the whole run, and write what happened as JSON (used by test_cpython_suites.py and the benchmark).

    python cpython_suite.py OUT.json [--trace] MODULE_OR_TEST_ID...

A test id (``test.test_asyncio.test_tasks.X.test_y``) runs that test alone: the check reruns the
tests whose results differ, to tell a real difference from a timing-sensitive test.

A module the interpreter's ``test`` package lacks (pyenv's 3.11.7 has no test_concurrent_futures)
is looked for as ``<name>.py`` in the folder ``THREADLINE_CPYTHON_TESTS`` names (e.g. extracted
from Debian's libpython3.11-testsuite), else left out and listed under "missing".
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import resource
import sys
import time
import unittest
from typing import Any


def available(names: list[str]) -> tuple[list[str], list[str]]:
    """(loadable names, missing modules)."""
    extra = os.environ.get("THREADLINE_CPYTHON_TESTS")
    found, missing = [], []
    for name in names:
        module = name if name.count(".") <= 1 else ".".join(name.split(".")[:2])
        if importlib.util.find_spec(module) is not None:
            found.append(name)
            continue
        short = name.removeprefix("test.")
        if extra and os.path.exists(os.path.join(extra, module.removeprefix("test.") + ".py")):
            if extra not in sys.path:
                sys.path.append(extra)
            found.append(short)
        else:
            missing.append(module)
    return found, missing


def run(names: list[str], traced: bool) -> dict[str, Any]:
    names, missing = available(names)
    suite = unittest.defaultTestLoader.loadTestsFromNames(names)
    runner = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0)
    out: dict[str, Any] = {"traced": traced, "missing": missing}
    t0 = time.perf_counter()
    if traced:
        import threadline

        with threadline.trace(display=False) as trace:
            result = runner.run(suite)
        meta = trace.recorder.meta() if trace.recorder is not None else {}
        out["trace"] = {"failed": trace.failed, "dropped": meta.get("dropped"), "capacity": meta.get("capacity")}
    else:
        result = runner.run(suite)
    out["seconds"] = time.perf_counter() - t0
    out["run"] = result.testsRun
    out["failures"] = sorted(test.id() for test, _ in result.failures)
    out["errors"] = sorted(test.id() for test, _ in result.errors)
    out["unexpected_successes"] = sorted(test.id() for test in result.unexpectedSuccesses)
    out["skipped"] = len(result.skipped)
    out["details"] = {test.id(): text[-2000:] for test, text in result.failures + result.errors}
    out["max_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return out


def main() -> None:
    args = sys.argv[1:]
    target = args.pop(0)
    traced = "--trace" in args
    names = [a for a in args if a != "--trace"]
    report = run(names, traced)
    with open(target, "w") as f:
        json.dump(report, f)


if __name__ == "__main__":
    main()
