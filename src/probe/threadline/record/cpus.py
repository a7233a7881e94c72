"""How many cores this process may really use: cgroup quota, CPU affinity and CPU_LIMIT.

``os.cpu_count()`` reports the host's cores, which overstates what a container or Binder pod
may use; sizing a pool from it oversubscribes the quota and makes everything slower.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

_CGROUP_ROOT = Path("/sys/fs/cgroup")


def _cgroup_v2_dir() -> Path | None:
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            if line.startswith("0::"):
                rel = line[3:].strip().lstrip("/")
                candidate = _CGROUP_ROOT / rel
                if (candidate / "cpu.max").exists():
                    return candidate
                if (_CGROUP_ROOT / "cpu.max").exists():
                    return _CGROUP_ROOT
    except OSError:
        return None
    return None


def _cgroup_v1_dir() -> Path | None:
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            parts = line.split(":", 2)
            if len(parts) == 3 and "cpu" in parts[1].split(","):
                for base in (_CGROUP_ROOT / "cpu,cpuacct", _CGROUP_ROOT / "cpu"):
                    candidate = base / parts[2].lstrip("/")
                    if (candidate / "cpu.cfs_quota_us").exists():
                        return candidate
                    if (base / "cpu.cfs_quota_us").exists():
                        return base
    except OSError:
        return None
    return None


def _cgroup_limit() -> tuple[float, str] | None:
    """The cgroup CPU quota in cores, with a reason, or None when unlimited or unknown."""
    v2 = _cgroup_v2_dir()
    if v2 is not None:
        try:
            quota, period = (v2 / "cpu.max").read_text().split()[:2]
            if quota != "max" and int(period) > 0:
                return int(quota) / int(period), f"cgroup cpu.max {quota}/{period}"
        except (OSError, ValueError):
            pass
        return None
    v1 = _cgroup_v1_dir()
    if v1 is not None:
        try:
            quota = int((v1 / "cpu.cfs_quota_us").read_text())
            period = int((v1 / "cpu.cfs_period_us").read_text())
            if quota > 0 and period > 0:
                return quota / period, f"cgroup v1 cpu.cfs_quota_us/cfs_period_us {quota}/{period}"
        except (OSError, ValueError):
            pass
    return None


def throttled_us() -> int:
    """Total time this cgroup was throttled, microseconds (0 when unknown)."""
    v2 = _cgroup_v2_dir()
    try:
        if v2 is not None:
            for line in (v2 / "cpu.stat").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "throttled_usec":
                    return int(value)
            return 0
        v1 = _cgroup_v1_dir()
        if v1 is not None:
            for line in (v1 / "cpu.stat").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "throttled_time":
                    return int(value) // 1000
    except (OSError, ValueError):
        pass
    return 0


def _limits() -> list[tuple[float, str]]:
    host = os.cpu_count() or 1
    found: list[tuple[float, str]] = [(float(host), f"os.cpu_count() {host}")]
    cgroup = _cgroup_limit()
    if cgroup is not None:
        found.append(cgroup)
    if hasattr(os, "sched_getaffinity"):
        try:
            allowed = len(os.sched_getaffinity(0))
            found.append((float(allowed), f"CPU affinity {allowed} cores"))
        except OSError:
            pass
    env = os.environ.get("CPU_LIMIT")
    if env:
        try:
            value = float(env)
            if value > 0:
                found.append((value, f"CPU_LIMIT={env}"))
        except ValueError:
            pass
    return found


def effective_cpus_exact() -> float:
    """The smallest of the limits, in (possibly fractional) cores."""
    return min(value for value, _ in _limits())


def effective_cpus() -> int:
    """Cores this process may really use (>= 1): the smallest of os.cpu_count(), the cgroup quota
    (v2 cpu.max, v1 cfs quota), CPU affinity and the CPU_LIMIT environment variable."""
    return max(1, math.floor(effective_cpus_exact() + 1e-9))


def effective_cpus_reason() -> str:
    """Why effective_cpus() has its value, for people."""
    limits = _limits()
    value, reason = min(limits, key=lambda item: item[0])
    others = ", ".join(r for v, r in limits if r != reason)
    result = max(1, math.floor(value + 1e-9))
    text = f"{result} effective core{'s' if result != 1 else ''}: limited by {reason}"
    return f"{text} (also checked: {others})" if others else text
