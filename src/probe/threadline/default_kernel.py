"""Make `threadline` the default kernel of this Python environment's Jupyter, or stop it being.

An opt-in step (``pip install threadline`` changes no configuration)::

    python -m threadline.default_kernel          # new notebooks start "Python 3 (Threadline)"
    python -m threadline.default_kernel --off    # back to Jupyter's own default

It sets one key, ``MultiKernelManager.default_kernel_name``, in
``{sys.prefix}/etc/jupyter/jupyter_server_config.json`` and keeps everything else that file holds
(Jupyter Server reads that key only from its main config files, not from the ``.d`` folders).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .schema import KERNEL_NAME


def config_file(prefix: str = sys.prefix) -> Path:
    return Path(prefix, "etc", "jupyter", "jupyter_server_config.json")


def set_default_kernel(enabled: bool, path: Path) -> None:
    config = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    manager = config.setdefault("MultiKernelManager", {})
    if enabled:
        manager["default_kernel_name"] = KERNEL_NAME
    elif manager.get("default_kernel_name") == KERNEL_NAME:
        del manager["default_kernel_name"]
    if not manager:
        del config["MultiKernelManager"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m threadline.default_kernel", description=__doc__.split("\n\n")[0])
    parser.add_argument("--off", action="store_true", help="stop making threadline the default kernel")
    parser.add_argument("--prefix", default=sys.prefix, help="the Python environment to configure (default: this one)")
    args = parser.parse_args(argv)
    path = config_file(args.prefix)
    try:
        set_default_kernel(not args.off, path)
    except (OSError, json.JSONDecodeError) as error:
        print(f"threadline.default_kernel: cannot update {path}: {error}", file=sys.stderr)
        return 1
    print(f"{'threadline is no longer' if args.off else 'threadline is now'} the default kernel ({path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
