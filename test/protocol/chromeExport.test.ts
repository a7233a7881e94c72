// One trace, two exporters: the probe writes Chrome Trace Event JSON where there is no Node (a
// kernel), the lab where there is no kernel (a browser). On a real probe trace both must give the
// same document, event for event.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LaneKind, Outcome, SpanKind, type Trace } from '../../src/protocol/trace.js';

const root = path.resolve(__dirname, '..', '..');
const python = path.join(root, '.venv', 'bin', 'python');

// The lab's exporter moves from src/lab/chromeTrace.ts to src/lab/trace/chromeExport.ts: use
// whichever this checkout has.
const LAB_EXPORTERS = ['src/lab/trace/chromeExport.ts', 'src/lab/chromeTrace.ts'];

type ToChromeTrace = (trace: Trace) => { traceEvents: unknown[]; displayTimeUnit: string; otherData: unknown };

async function labExporter(): Promise<ToChromeTrace> {
  const found = LAB_EXPORTERS.find(file => fs.existsSync(path.join(root, file)));
  if (found === undefined) throw new Error(`the lab's Chrome exporter is in none of ${LAB_EXPORTERS.join(', ')}`);
  const module = (await import(path.join(root, found))) as { toChromeTrace: ToChromeTrace };
  return module.toChromeTrace;
}

// Tasks that await, finish, fail and get cancelled; a blocked loop; threads on a contended lock
// held long enough to draw; an asyncio lock; a pool of processes (their own Chrome processes).
const program = String.raw`
import asyncio, json, sys, threading, time
import multiprocessing as mp
import threadline

async def worker(i, lock):
    async with lock:
        await asyncio.sleep(0.005)
    return i

async def fails():
    await asyncio.sleep(0)
    raise ValueError("on purpose")

async def main():
    lock = asyncio.Lock()
    stuck = asyncio.create_task(asyncio.sleep(10), name="stuck")
    results = await asyncio.gather(*(worker(i, lock) for i in range(4)), fails(), return_exceptions=True)
    stuck.cancel()
    await asyncio.sleep(0)
    time.sleep(0.12)
    await asyncio.sleep(0)
    return results

def spin(lock):
    for _ in range(5):
        with lock:
            time.sleep(0.001)

with threadline.trace(display=False, label="chrome export") as t:
    asyncio.run(main())
    lock = threading.Lock()
    threads = [threading.Thread(target=spin, args=(lock,)) for _ in range(3)]
    for th in threads: th.start()
    for th in threads: th.join()
    with mp.get_context("fork").Pool(2) as pool:
        pool.map(abs, range(-4, 4))
    time.sleep(0.25)
t.to_chrome_trace(sys.argv[1])
json.dump(t.data, sys.stdout)
`;

function record(): { trace: Trace; python: unknown } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-chrome-'));
  try {
    const out = path.join(dir, 'trace.json');
    const run = spawnSync(python, ['-c', program, out], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000
    });
    if (run.status !== 0) throw new Error(`the probe failed (exit ${run.status}): ${run.stderr}`);
    return { trace: JSON.parse(run.stdout) as Trace, python: JSON.parse(fs.readFileSync(out, 'utf8')) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('Chrome Trace Event export: probe (Python) and lab (TypeScript)', () => {
  const { trace, python: fromPython } = record();

  it('records a trace with every kind of lane, span and end', () => {
    expect(new Set(trace.lanes.kind)).toEqual(new Set(Object.values(LaneKind)));
    expect(new Set(trace.spans.kind)).toEqual(new Set(Object.values(SpanKind)));
    expect(new Set(trace.ends.outcome)).toEqual(new Set(Object.values(Outcome)));
    expect(trace.cpu.t.length).toBeGreaterThan(0);
  });

  it('gives the same events and metadata from both exporters', async () => {
    const toChromeTrace = await labExporter();
    expect(fromPython).toEqual(toChromeTrace(trace));
  });
});
