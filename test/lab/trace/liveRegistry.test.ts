import { describe, expect, it } from 'vitest';
import { generateTrace, toChunks } from '../traceGen.js';
import { LiveRegistry } from '../../../src/lab/trace/liveRegistry.js';

describe('live registry', () => {
  const trace = generateTrace({ spans: 3000, tasks: 5 });
  it('routes chunks to the subscriber of their trace_id', () => {
    const reg = new LiveRegistry();
    const seen: number[] = [];
    const stop = reg.subscribe('trace-1', t => seen.push(t.store.spanCount));
    const other: number[] = [];
    reg.subscribe('trace-2', t => other.push(t.store.spanCount));
    for (const c of toChunks(trace, 3)) reg.ingest(c, 'kernel-a');
    stop();
    expect(seen.length).toBe(3);
    expect(seen[2]).toBe(3000);
    expect(other).toEqual([]);
    expect(reg.latestFor('kernel-a')?.store.traceId).toBe('trace-1');
    expect(reg.latestFor('kernel-b')).toBeNull();
  });
});

describe('a bad live chunk', () => {
  it('is reported to the views of its trace, once', () => {
    const reg = new LiveRegistry();
    const errors: string[] = [];
    reg.subscribe('t', lt => errors.push(lt.error?.message ?? ''));
    reg.fail('t', new Error('first'), 'k');
    reg.fail('t', new Error('second'), 'k');
    expect(errors).toEqual(['first', 'first']);
    expect(reg.latestFor('k')?.error?.message).toBe('first');
  });
});
