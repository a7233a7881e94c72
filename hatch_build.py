"""Hatch build hook: compiles the probe's C hot paths into the wheel.

Every ``.c`` file in the probe package is one extension module (``threadline/capture/_speedups.c``
becomes ``threadline.capture._speedups``), compiled with setuptools' compiler for the Python that
builds the wheel, so the wheel is tagged for that interpreter and platform (``cp311-cp311-linux_x86_64``).
Without a working compiler the wheel is pure Python (``py3-none-any``) and the probe runs the
pure-Python twins of those paths: the same traces, more overhead. An editable install (``pip
install -e .``) compiles them in place, next to their sources, the way ``build_ext --inplace`` does.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGE_ROOT = Path("src", "probe")


def extension_modules(root: Path) -> dict[str, Path]:
    """Module name → C source, for every C file of the probe package."""
    return {
        ".".join(source.relative_to(root / PACKAGE_ROOT).with_suffix("").parts): source
        for source in sorted((root / PACKAGE_ROOT / "threadline").rglob("*.c"))
    }


def compile_module(name: str, source: Path, out_dir: Path) -> Path:
    """Compiles one module with setuptools' build_ext; returns the built file."""
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    distribution = Distribution({"name": "threadline", "ext_modules": [Extension(name, [str(source)])]})
    command = build_ext(distribution)
    command.build_lib = str(out_dir / "lib")
    command.build_temp = str(out_dir / "temp")
    command.ensure_finalized()
    command.run()
    return Path(command.get_ext_fullpath(name))


class SpeedupsBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        with tempfile.TemporaryDirectory() as scratch:
            try:
                built = {
                    name: compile_module(name, source, Path(scratch))
                    for name, source in extension_modules(root).items()
                }
            except Exception as error:  # a missing compiler or headers: ship the pure-Python twins
                print(
                    f"threadline: C hot paths not compiled ({error}); the probe will use its pure-Python twins.",
                    file=sys.stderr,
                )
                return
            for name, library in built.items():
                relative = Path(*name.split(".")[:-1], library.name)
                if version == "editable":
                    shutil.copy2(library, root / PACKAGE_ROOT / relative)
                else:
                    kept = Path(self.directory) / ".threadline-ext" / relative
                    kept.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(library, kept)
                    build_data["force_include"][str(kept)] = str(relative)
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        shutil.rmtree(Path(self.directory) / ".threadline-ext", ignore_errors=True)
