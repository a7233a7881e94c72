import { describe, expect, it } from 'vitest';
import Ajv2020 from 'ajv/dist/2020.js';
import schema from '../../../src/protocol/traceSchema.json' with { type: 'json' };
import { asV1, LANES, taskGroupTrace } from '../fatesTrace.js';
import { generateTrace, toChunks } from '../traceGen.js';
import { TraceFormatError, TraceVersionError } from '../../../src/lab/trace/errors.js';
import { countFates, describeFate } from '../../../src/lab/trace/taskFates.js';
import { parsePayload } from '../../../src/lab/trace/traceValidate.js';
import { TraceStore } from '../../../src/lab/trace/traceStore.js';
import { upgradeTrace } from '../../../src/lab/trace/traceUpgrade.js';
import { TRACE_SCHEMA_VERSION } from '../../../src/protocol/trace.js';

const validate = new Ajv2020.default({ allErrors: false }).compile(schema);

describe('a v1 trace (saved by the previous version) still opens', () => {
  it('gains ends.reason and ends.by filled with -1 and an empty awaits table, and is a valid v2 trace', () => {
    const v1 = asV1(taskGroupTrace());
    const before = JSON.stringify(v1);
    const payload = parsePayload(v1);
    expect(JSON.stringify(v1)).toBe(before); // the notebook's own data is left alone
    if (payload.kind !== 'trace') throw new Error(`expected a trace, got ${payload.kind}`);
    const trace = payload.trace;
    expect(trace.version).toBe(TRACE_SCHEMA_VERSION);
    expect(trace.ends.reason).toEqual(trace.ends.lane.map(() => -1));
    expect(trace.ends.by).toEqual(trace.ends.lane.map(() => -1));
    expect(trace.awaits).toEqual({ lane: [], target: [], start: [], end: [] });
    expect(validate(trace), JSON.stringify(validate.errors)).toBe(true);
    // what v1 knew is still shown: outcomes and the cancel message; no reason, no cause
    const store = TraceStore.fromTrace(trace);
    expect(countFates(store)).toMatchObject({ returned: 2, raised: 1, cancelled: 4 });
    expect(describeFate(store, LANES.slow1, String)).toBe('cancelled');
    expect(store.awaits().count).toBe(0);
  });

  it('v1 live chunks are upgraded one by one and grow the same trace', () => {
    const v2 = generateTrace({ spans: 1_000, tasks: 4, threads: 1, processes: 1 });
    const store = new TraceStore('t');
    for (const chunk of toChunks(v2, 3)) {
      const payload = parsePayload(asV1(chunk));
      if (payload.kind !== 'chunk') throw new Error(`expected a chunk, got ${payload.kind}`);
      expect(validate(payload.chunk), JSON.stringify(validate.errors)).toBe(true);
      store.applyChunk(payload.chunk);
    }
    expect(store.complete).toBe(true);
    expect(store.spanCount).toBe(1_000);
    expect(store.tables.ends.reason).toHaveLength(v2.ends.lane.length);
    expect(store.tables.awaits.lane).toHaveLength(0);
  });

  it('a v2 payload passes through unchanged, a live placeholder of either version is accepted', () => {
    const v2 = taskGroupTrace() as unknown as Record<string, unknown>;
    expect(upgradeTrace(v2)).toBe(v2);
    expect(parsePayload({ trace_id: 'x', live: true, version: 1 }).kind).toBe('placeholder');
    expect(parsePayload({ trace_id: 'x', live: true, version: 2 }).kind).toBe('placeholder');
  });

  it('a malformed v1 trace is reported as such, a version it cannot read as a version error', () => {
    const broken = asV1(taskGroupTrace());
    broken.ends = 'oops';
    expect(() => parsePayload(broken)).toThrow(TraceFormatError);
    expect(() => parsePayload(broken)).toThrow(/table "ends" is missing/);
    expect(() => parsePayload({ ...asV1(taskGroupTrace()), version: 0 })).toThrow(TraceVersionError);
    expect(() => parsePayload({ ...taskGroupTrace(), version: TRACE_SCHEMA_VERSION + 1 })).toThrow(
      /version 3.*reads version 2.*Update the extension/
    );
  });
});
