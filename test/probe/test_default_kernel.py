"""The opt-in `python -m threadline.default_kernel`: one key set or removed, the rest of the config kept."""

import json
import subprocess
import sys


def default_kernel(prefix, *flags):
    command = [sys.executable, "-m", "threadline.default_kernel", "--prefix", str(prefix), *flags]
    return subprocess.run(command, capture_output=True, text=True)


def test_sets_and_removes_only_its_key(tmp_path):
    config = tmp_path / "etc" / "jupyter" / "jupyter_server_config.json"
    config.parent.mkdir(parents=True)
    theirs = {"ServerApp": {"ip": "0.0.0.0"}, "MultiKernelManager": {"kernel_info_timeout": 30}}
    config.write_text(json.dumps(theirs))

    assert default_kernel(tmp_path).returncode == 0
    on = json.loads(config.read_text())
    assert on["MultiKernelManager"] == {"kernel_info_timeout": 30, "default_kernel_name": "threadline"}
    assert on["ServerApp"] == theirs["ServerApp"]
    assert default_kernel(tmp_path, "--off").returncode == 0
    assert json.loads(config.read_text()) == theirs


def test_creates_the_file_and_reports_a_broken_one(tmp_path):
    assert default_kernel(tmp_path).returncode == 0
    config = tmp_path / "etc" / "jupyter" / "jupyter_server_config.json"
    assert json.loads(config.read_text()) == {"MultiKernelManager": {"default_kernel_name": "threadline"}}
    config.write_text("{not json")
    broken = default_kernel(tmp_path)
    assert broken.returncode == 1
    assert "cannot update" in broken.stderr
    assert config.read_text() == "{not json"
