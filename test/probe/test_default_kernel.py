"""The opt-in `python -m threadline.default_kernel`: one key set or removed, the rest of the config kept."""

import json
import subprocess
import sys


def test_sets_and_removes_only_its_key(tmp_path):
    config = tmp_path / "etc" / "jupyter" / "jupyter_server_config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"ServerApp": {"ip": "0.0.0.0"}, "MultiKernelManager": {"kernel_info_timeout": 30}}))

    def run(*flags):
        return subprocess.run([sys.executable, "-m", "threadline.default_kernel", "--prefix", str(tmp_path), *flags], capture_output=True, text=True)

    assert run().returncode == 0
    on = json.loads(config.read_text())
    assert on == {"ServerApp": {"ip": "0.0.0.0"}, "MultiKernelManager": {"kernel_info_timeout": 30, "default_kernel_name": "threadline"}}
    assert run("--off").returncode == 0
    assert json.loads(config.read_text()) == {"ServerApp": {"ip": "0.0.0.0"}, "MultiKernelManager": {"kernel_info_timeout": 30}}


def test_creates_the_file_and_reports_a_broken_one(tmp_path):
    result = subprocess.run([sys.executable, "-m", "threadline.default_kernel", "--prefix", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0
    config = tmp_path / "etc" / "jupyter" / "jupyter_server_config.json"
    assert json.loads(config.read_text()) == {"MultiKernelManager": {"default_kernel_name": "threadline"}}
    config.write_text("{not json")
    broken = subprocess.run([sys.executable, "-m", "threadline.default_kernel", "--prefix", str(tmp_path)], capture_output=True, text=True)
    assert broken.returncode == 1
    assert "cannot update" in broken.stderr
    assert config.read_text() == "{not json"
