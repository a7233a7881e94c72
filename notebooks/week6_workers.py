"""Worker functions for week 6 (processes).

They live in a module, not in the notebook: a child process started with spawn or forkserver gets the *name*
of the function to run (``week6_workers.cpu_work``) and imports it. A function defined in a notebook cell lives in
``__main__``, which a fresh child process does not have.
"""

import os
import time
from multiprocessing import shared_memory


def square(x: int) -> int:
    """A tiny job: far cheaper than sending it to another process."""
    return x * x


def whoami(tag: str) -> tuple[str, int]:
    """Report which process ran the job."""
    return tag, os.getpid()


def pid_after(seconds: float) -> int:
    """Sleep, then report the worker's pid (used to check that every worker of a pool has started)."""
    time.sleep(seconds)
    return os.getpid()


def wait_for_workers(pool, workers: int) -> None:
    """Block until all `workers` processes of a Pool or ProcessPoolExecutor answer, so timings exclude start-up."""
    seen: set[int] = set()
    while len(seen) < workers:
        seen.update(pool.map(pid_after, [0.02] * (2 * workers), chunksize=1))


def cpu_work(n: int) -> int:
    """Pure-Python arithmetic that keeps one core busy (about 0.1 s per million on a typical core)."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def count_primes_below(limit: int) -> int:
    """How many primes are smaller than limit, by trial division: slow on purpose (CPU-bound)."""
    count = 0
    for candidate in range(2, limit):
        divisor = 2
        while divisor * divisor <= candidate:
            if candidate % divisor == 0:
                break
            divisor += 1
        else:
            count += 1
    return count


def put_square(results, x: int) -> None:
    """Send (x, x*x) back to the parent through a multiprocessing Queue."""
    results.put((x, x * x))


def shout_back(conn) -> None:
    """One end of a Pipe: answer every message in capitals until None arrives."""
    while (message := conn.recv()) is not None:
        conn.send(message.upper())
    conn.close()


def add_many(counter, times: int, all_ready=None) -> None:
    """Add 1 to a shared multiprocessing.Value `times` times, holding its lock for each read-modify-write.

    all_ready: an optional multiprocessing Barrier, so that all workers start counting at the same moment.
    """
    if all_ready is not None:
        all_ready.wait()
    for _ in range(times):
        with counter.get_lock():
            counter.value += 1


def add_many_unsafe(counter, times: int, all_ready=None) -> None:
    """The same without the lock: reads and writes from several processes interleave and updates are lost."""
    if all_ready is not None:
        all_ready.wait()
    for _ in range(times):
        counter.value += 1


def record_square(shared: dict, x: int) -> None:
    """Store x*x and the worker's pid in a Manager dict (a proxy: every access is a message to the manager)."""
    shared[x] = (x * x, os.getpid())


def scale_slice(shm_name: str, length: int, start: int, stop: int, factor: float) -> None:
    """Multiply items [start, stop) of a float64 array in shared memory by factor, in place.

    A memoryview cast to "d" (C double, numpy's float64) sees the same bytes a numpy array on the block would,
    without importing numpy into every worker: under spawn and forkserver each worker imports what its function
    needs, and numpy alone took about 0.3 s per process on the course's machine, against 0.02 s for Python itself.
    """
    block = shared_memory.SharedMemory(name=shm_name)
    try:
        values = block.buf.cast("d")
        try:
            for i in range(start, stop):
                values[i] *= factor
        finally:
            values.release()  # release the view before closing the block
    finally:
        block.close()
