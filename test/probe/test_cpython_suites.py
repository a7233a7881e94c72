"""CPython's own concurrency tests pass the same under a trace: the probe is transparent.

``test.test_asyncio``, ``test.test_threading``, ``test.test_queue`` and ``test.test_concurrent_futures``
of the interpreter in ``.venv`` (pyenv builds ship the ``test`` package; see cpython_suite.py for a
module it lacks) run once untraced and once
inside one ``threadline.trace(display=False)``, each in a subprocess of its own, one after the
other (minutes each: this is the slow file of the probe suite). Same number run, same failures and
errors. Tests whose results differ are run again, alone, both ways: a difference that does not
repeat is a timing-sensitive test on a loaded machine, one that repeats is the probe's doing.
The elapsed times are written to test-artifacts/cpython-suites-<implementation>.json (the
benchmark figure of the probe's overhead on these suites).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
MODULES = ["test.test_asyncio", "test.test_threading", "test.test_queue", "test.test_concurrent_futures"]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("test.test_asyncio") is None,
    reason="this Python has no `test` package (Debian's is python3.X-test; pyenv builds include it)",
)


def run_suite(names: list[str], traced: bool, out: Path) -> dict:
    flags = ["--trace"] if traced else []
    subprocess.run(
        [sys.executable, str(HERE / "cpython_suite.py"), str(out), *flags, *names],
        cwd=out.parent,
        check=True,
        timeout=1800,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return json.loads(out.read_text())


def outcome(report: dict) -> dict[str, set[str]]:
    return {k: set(report[k]) for k in ("failures", "errors", "unexpected_successes")}


def test_cpython_concurrency_suites_pass_the_same_traced(tmp_path):
    plain = run_suite(MODULES, False, tmp_path / "plain.json")
    traced = run_suite(MODULES, True, tmp_path / "traced.json")
    assert traced["trace"]["failed"] is None
    assert traced["run"] == plain["run"] > 2000
    differ = set()
    for kind, names in outcome(plain).items():
        differ |= names ^ outcome(traced)[kind]
    if differ:
        again_plain = outcome(run_suite(sorted(differ), False, tmp_path / "plain-again.json"))
        again_traced = run_suite(sorted(differ), True, tmp_path / "traced-again.json")
        repeated = {kind: names ^ again_plain[kind] for kind, names in outcome(again_traced).items()}
        assert not any(repeated.values()), {"differ": repeated, "details": again_traced["details"]}
    implementation = "pure-python" if os.environ.get("THREADLINE_PURE_PYTHON") else "c"
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    figures = {
        "implementation": implementation,
        "tests_run": plain["run"],
        "plain_s": round(plain["seconds"], 1),
        "traced_s": round(traced["seconds"], 1),
        "ratio": round(traced["seconds"] / plain["seconds"], 3),
        "plain_max_rss_kb": plain["max_rss_kb"],
        "traced_max_rss_kb": traced["max_rss_kb"],
        "differed_once": sorted(differ),
        "missing_modules": plain["missing"],
    }
    (artifacts / f"cpython-suites-{implementation}.json").write_text(json.dumps(figures, indent=1))
