/**
 * One real trace recorded by the Python probe (the project's .venv), shared by the contract tests:
 * tasks that await, finish, fail and get cancelled (a TaskGroup aborted by its failing child), one
 * destroyed while pending, a coroutine never awaited; a blocked loop; an asyncio lock, semaphore and
 * queue; threads on a contended lock held long enough to draw; a pool of processes. It comes with
 * the live chunks the probe streamed while recording, and the probe's own Chrome export of it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Trace, TraceChunk } from '../../src/protocol/trace.js';

export const root = path.resolve(__dirname, '..', '..');

const program = String.raw`
import asyncio, gc, json, sys, threading, time
import multiprocessing as mp
import threadline

chunks = []

async def worker(i, lock, sem, q):
    async with sem:
        async with lock:
            await asyncio.sleep(0.005)
        await q.put(i)
    return i

async def fails():
    await asyncio.sleep(0)
    raise ValueError("on purpose")

async def forever():
    await asyncio.Event().wait()

async def main():
    asyncio.get_running_loop().set_exception_handler(lambda loop, context: None)
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(fails())
            tg.create_task(asyncio.sleep(10))
    except* ValueError:
        pass
    dropped = asyncio.ensure_future(forever())
    await asyncio.sleep(0)
    del dropped
    gc.collect()
    fails()  # never awaited
    lock, sem, q = asyncio.Lock(), asyncio.Semaphore(2), asyncio.Queue()
    stuck = asyncio.create_task(asyncio.sleep(10), name="stuck")
    await asyncio.gather(*(worker(i, lock, sem, q) for i in range(5)), fails(), return_exceptions=True)
    stuck.cancel()
    await asyncio.sleep(0)
    time.sleep(0.12)
    await asyncio.sleep(0)

def spin(lock):
    for _ in range(50):
        with lock:
            time.sleep(0.0002)

with threadline.trace(display=False, label="contract", sink_factory=lambda rec: chunks.append) as t:
    asyncio.run(main())
    lock = threading.Lock()
    threads = [threading.Thread(target=spin, args=(lock,)) for _ in range(3)]
    for th in threads: th.start()
    for th in threads: th.join()
    with mp.get_context("fork").Pool(2) as pool:
        pool.map(abs, range(-4, 4))
    time.sleep(0.25)
t.to_chrome_trace(sys.argv[1])
json.dump({"trace": t.data, "chunks": chunks}, sys.stdout)
`;

export interface ProbeTrace {
  trace: Trace;
  chunks: TraceChunk[];
  /** the probe's Chrome Trace Event export of `trace` (Trace.to_chrome_trace) */
  chrome: unknown;
}

export function recordProbeTrace(): ProbeTrace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-contract-'));
  try {
    const chromeFile = path.join(dir, 'chrome.json');
    const run = spawnSync(path.join(root, '.venv', 'bin', 'python'), ['-c', program, chromeFile], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000
    });
    if (run.status !== 0) throw new Error(`the probe failed (exit ${run.status}): ${run.stderr}`);
    const recorded = JSON.parse(run.stdout) as { trace: Trace; chunks: TraceChunk[] };
    return { ...recorded, chrome: JSON.parse(fs.readFileSync(chromeFile, 'utf8')) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
