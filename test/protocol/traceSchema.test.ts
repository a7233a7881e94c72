// The probe implements trace schema v1: real traces recorded by the Python probe (run with the
// project's .venv) must validate against src/protocol/traceSchema.json, both the saved Trace and
// every live TraceChunk, and chunks concatenate to the whole trace.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { TABLE_COLUMNS, type Trace, type TraceChunk } from '../../src/protocol/trace.js';

const root = path.resolve(__dirname, '..', '..');
const python = path.join(root, '.venv', 'bin', 'python');
const schema: object = JSON.parse(fs.readFileSync(path.join(root, 'src', 'protocol', 'traceSchema.json'), 'utf8'));
const ajv = new Ajv2020.default({ allErrors: true });
const validate = ajv.compile(schema);

// A small program touching every event kind: tasks with awaits, a blocked loop, threads, a lock,
// a semaphore, a queue and a pool of processes.
const program = String.raw`
import asyncio, json, sys, threading, time, queue
import multiprocessing as mp
import threadline
chunks = []
async def worker(i, sem, q):
    async with sem:
        await asyncio.sleep(0.02)
        await q.put(i)
async def main():
    sem = asyncio.Semaphore(2)
    q = asyncio.Queue()
    await asyncio.gather(*(worker(i, sem, q) for i in range(5)))
    time.sleep(0.12)
    await asyncio.sleep(0)
def spin(lock):
    for _ in range(50):
        with lock:
            pass
with threadline.trace(display=False, label="schema check", sink_factory=lambda rec: chunks.append) as t:
    asyncio.run(main())
    lock = threading.Lock()
    threads = [threading.Thread(target=spin, args=(lock,)) for _ in range(3)]
    for th in threads: th.start()
    for th in threads: th.join()
    with mp.get_context("fork").Pool(2) as pool:
        pool.map(abs, range(-4, 4))
    time.sleep(0.25)
json.dump({"trace": t.data, "chunks": chunks}, sys.stdout)
`;

function record(): { trace: Trace; chunks: TraceChunk[] } {
  const run = spawnSync(python, ['-c', program], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000
  });
  if (run.status !== 0) throw new Error(`the probe failed (exit ${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as { trace: Trace; chunks: TraceChunk[] };
}

describe('trace schema v1 against real probe output', () => {
  const { trace, chunks } = record();

  it('validates the whole trace', () => {
    const ok = validate(trace);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(trace.meta.label).toBe('schema check');
    // every event kind is present
    expect(new Set(trace.lanes.kind)).toEqual(new Set([0, 1, 2]));
    expect(trace.spans.kind).toContain(4);
    expect(trace.acquires.lock.length).toBeGreaterThan(100);
    expect(trace.cpu.t.length).toBeGreaterThan(0);
  });

  it('validates every live chunk, and the chunks concatenate to the trace', () => {
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) {
      expect(validate(chunk), JSON.stringify(validate.errors)).toBe(true);
    }
    expect(chunks.map(c => c.seq)).toEqual(chunks.map((_, i) => i));
    expect(chunks.at(-1)?.final).toBe(true);
    expect(chunks.flatMap(c => c.strings)).toEqual(trace.strings);
    for (const [table, columns] of Object.entries(TABLE_COLUMNS)) {
      for (const column of columns) {
        const joined = chunks.flatMap(
          c => (c[table as keyof typeof TABLE_COLUMNS] as unknown as Record<string, number[]>)[column as string]
        );
        expect(joined, `${table}.${String(column)}`).toEqual(
          (trace[table as keyof typeof TABLE_COLUMNS] as unknown as Record<string, number[]>)[column as string]
        );
      }
    }
  });

  it('rejects a trace that breaks the contract', () => {
    const broken = structuredClone(trace) as unknown as { spans: { kind: number[] } };
    broken.spans.kind[0] = 9;
    expect(validate(broken)).toBe(false);
  });
});
