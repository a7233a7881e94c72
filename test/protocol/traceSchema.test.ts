// The probe implements trace schema v2: real traces recorded by the Python probe (run with the
// project's .venv) must validate against src/protocol/traceSchema.json, both the saved Trace and
// every live TraceChunk, and chunks concatenate to the whole trace.
import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { TABLE_COLUMNS } from '../../src/protocol/trace.js';
import { recordProbeTrace, root } from './probeTrace.js';

const schema: object = JSON.parse(fs.readFileSync(path.join(root, 'src', 'protocol', 'traceSchema.json'), 'utf8'));
const ajv = new Ajv2020.default({ allErrors: true });
const validate = ajv.compile(schema);

describe('trace schema v2 against real probe output', () => {
  const { trace, chunks } = recordProbeTrace();

  it('validates the whole trace', () => {
    const ok = validate(trace);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(trace.meta.label).toBe('contract');
    // every event kind is present
    expect(new Set(trace.lanes.kind)).toEqual(new Set([0, 1, 2]));
    expect(trace.spans.kind).toContain(4);
    expect(trace.acquires.lock.length).toBeGreaterThan(100);
    expect(trace.cpu.t.length).toBeGreaterThan(0);
    // every task fate, a reason and who caused it, and who awaited whom
    expect(new Set(trace.ends.outcome)).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(trace.ends.reason.filter(r => r >= 0).map(r => trace.strings[r])).toContain('TaskGroup abort');
    expect(trace.ends.by.some(lane => lane >= 0)).toBe(true);
    expect(trace.awaits.lane.length).toBeGreaterThan(2);
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
