"""Task functions for the distributed task queue project (11), run in worker processes.

They live in a module so that pools started with ``spawn`` or ``forkserver`` can import them by name.
Every task returns ``(result, pid)``: the pid shows which worker process did the work.

The second half is the worker of the socket version (part 5): a process that connects to the queue
over TCP on 127.0.0.1 and speaks a framed protocol. A frame is a 4-byte big-endian length, then that
many bytes of UTF-8 JSON. JSON, not pickle: unpickling bytes from a socket runs whatever code the
sender chose, and JSON can be read by a worker written in any language.

    worker -> queue   {"type": "hello", "pid": 1234}
    queue  -> worker  {"type": "task", "kind": "fib", "n": 10}
    worker -> queue   {"type": "result", "ok": true, "value": 55}      or  {"ok": false, "error": "..."}
    queue  -> worker  {"type": "stop"}                                  the worker closes and exits
"""

from __future__ import annotations

import json
import os
import socket
import struct

from processor_workers import is_prime

#: The length prefix of every frame: an unsigned 32-bit integer, network byte order.
HEADER = struct.Struct("!I")
#: The largest frame either side accepts: a bound on what a confused or hostile peer can make us buffer.
MAX_FRAME = 1 << 20

#: The kinds of task a queue can run, with what the argument means.
KINDS = {
    "primes": "how many primes are below n",
    "collatz": "the start below n with the longest Collatz chain, and that chain's length",
    "fib": "the n-th Fibonacci number modulo 1_000_000_007",
    "fail": "always raises ValueError (to test error handling)",
    "crash": "ends the worker process at once, as a crash or a kill would (socket workers only)",
}


def _longest_collatz(n: int) -> tuple[int, int]:
    best, best_len = 1, 1
    for start in range(1, n):
        k, length = start, 1
        while k != 1:
            k = k // 2 if k % 2 == 0 else 3 * k + 1
            length += 1
        if length > best_len:
            best, best_len = start, length
    return best, best_len


def compute(kind: str, n: int) -> object:
    """The result of task (kind, n), computed in this process."""
    if kind == "primes":
        return sum(1 for k in range(n) if is_prime(k))
    if kind == "collatz":
        return _longest_collatz(n)
    if kind == "fib":
        a, b = 0, 1
        for _ in range(n):
            a, b = b, (a + b) % 1_000_000_007
        return a
    if kind == "fail":
        raise ValueError(f"task ('fail', {n}) failed, as it always does")
    if kind == "crash":
        os._exit(70)  # no clean-up, no reply: the queue sees the connection end in the middle of a task
    raise ValueError(f"unknown task kind {kind!r}: choose one of {', '.join(KINDS)}")


def run_task(kind: str, n: int) -> tuple[object, int]:
    """Run one task in a worker: (result, pid of this worker)."""
    return compute(kind, n), os.getpid()


class FrameTooLargeError(ValueError):
    """A frame longer than MAX_FRAME was announced or offered: the peer is confused or hostile."""

    def __init__(self, size: int) -> None:
        super().__init__(f"a frame of {size} bytes is over the limit of {MAX_FRAME}: close the connection")
        self.size = size


def encode_frame(message: object) -> bytes:
    """``message`` as one frame: the length prefix, then its JSON."""
    payload = json.dumps(message).encode()
    if len(payload) > MAX_FRAME:
        raise FrameTooLargeError(len(payload))
    return HEADER.pack(len(payload)) + payload


def as_sent(value: object) -> object:
    """``value`` as the other side receives it after a trip through JSON (a tuple arrives as a list)."""
    return json.loads(json.dumps(value))


def _recv_exactly(sock: socket.socket, size: int) -> bytes | None:
    """Exactly ``size`` bytes, or None if the connection ends first (TCP delivers bytes, not messages)."""
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def _recv_frame(sock: socket.socket) -> dict | None:
    header = _recv_exactly(sock, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > MAX_FRAME:
        raise FrameTooLargeError(size)
    payload = _recv_exactly(sock, size)
    return None if payload is None else json.loads(payload)


def socket_worker(port: int) -> None:
    """A worker process: connect to the queue on 127.0.0.1:port, say hello, run tasks until told to stop.

    Plain blocking sockets are right here: the worker does one thing at a time, so there is nothing for
    an event loop to interleave.
    """
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(encode_frame({"type": "hello", "pid": os.getpid()}))
        while True:
            frame = _recv_frame(sock)
            if frame is None or frame.get("type") == "stop":
                return
            try:
                reply = {"type": "result", "ok": True, "value": compute(frame["kind"], frame["n"])}
            except Exception as error:  # the task failed, not the worker: report it and carry on
                reply = {"type": "result", "ok": False, "error": f"{type(error).__name__}: {error}"}
            sock.sendall(encode_frame(reply))
