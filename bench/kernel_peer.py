"""The jupyter_client side of `npm run bench -- kernel`.

Usage: kernel_peer.py KERNEL_NAME, then one command per line on stdin, one JSON line back:
  start N        -> start N kernels (KernelManager + BlockingKernelClient.wait_for_ready), ms each
  roundtrip N    -> N executions of `pass` on a warm kernel, ms each
  bulk N         -> N executions of a 100k-line print, ms each (+ chars received)
  quit
The Node side interleaves these with its own runs so both see the same machine load.
"""

from __future__ import annotations

import json
import os
import sys
import time

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

BULK_CODE = "for i in range(100000): print(i)"


def start_client(kernel_name: str) -> tuple[KernelManager, BlockingKernelClient]:
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc


def stop(km: KernelManager, kc: BlockingKernelClient) -> None:
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def run(code: str, kc: BlockingKernelClient) -> int:
    """Executes like a frontend: waits for the reply and idle, keeps every output."""
    chunks: list[str] = []

    def hook(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            chunks.append(msg["content"]["text"])

    reply = kc.execute_interactive(code, output_hook=hook, timeout=120)
    assert reply["content"]["status"] == "ok", reply["content"]
    return len("".join(chunks))


def process_cpu_ms(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def main() -> None:
    kernel_name = sys.argv[1]
    warm: tuple[KernelManager, BlockingKernelClient] | None = None
    try:
        for line in sys.stdin:
            cmd, _, arg = line.strip().partition(" ")
            if cmd == "quit":
                break
            n = int(arg or "1")
            times: list[float] = []
            extra: dict[str, object] = {}
            if cmd == "start":
                for _ in range(n):
                    t0 = time.perf_counter()
                    km, kc = start_client(kernel_name)
                    times.append((time.perf_counter() - t0) * 1000)
                    stop(km, kc)
            else:
                if warm is None:
                    warm = start_client(kernel_name)
                    run("pass", warm[1])
                code = "pass" if cmd == "roundtrip" else BULK_CODE
                cpu0 = time.process_time()
                kernel_pid = warm[0].provisioner.pid  # type: ignore[union-attr]
                kcpu0 = process_cpu_ms(kernel_pid)
                for _ in range(n):
                    t0 = time.perf_counter()
                    extra["chars"] = run(code, warm[1])
                    times.append((time.perf_counter() - t0) * 1000)
                # this client's own CPU time (all its threads), per execution
                extra["cpu_ms"] = (time.process_time() - cpu0) * 1000 / n
                extra["kernel_cpu_ms"] = (process_cpu_ms(kernel_pid) - kcpu0) / n
            print(json.dumps({"times_ms": times, **extra}), flush=True)
    finally:
        if warm is not None:
            stop(*warm)


if __name__ == "__main__":
    main()
