import { describe, expect, it } from 'vitest';
import Ajv2020 from 'ajv/dist/2020.js';
import schema from '../../../src/protocol/traceSchema.json' with { type: 'json' };
import { generateTrace, toChunks } from '../traceGen.js';
import { parsePayload } from '../../../src/lab/trace/traceValidate.js';
import { TraceFormatError, TraceVersionError } from '../../../src/lab/trace/errors.js';

const ajv = new Ajv2020.default({ allErrors: false });
const validate = ajv.compile(schema);

describe('synthetic traces', () => {
  it('are valid against the JSON Schema, whole and chunked', () => {
    const trace = generateTrace({ spans: 2000, tasks: 6, threads: 2, processes: 1 });
    expect(validate(trace), JSON.stringify(validate.errors)).toBe(true);
    expect(trace.spans.lane.length).toBe(2000);
    for (const c of toChunks(trace, 5)) expect(validate(c), JSON.stringify(validate.errors)).toBe(true);
  });
});

describe('parsePayload', () => {
  const trace = generateTrace({ spans: 100 });
  it('accepts traces, chunks and live placeholders', () => {
    expect(parsePayload(trace).kind).toBe('trace');
    expect(parsePayload(toChunks(trace, 2)[1]).kind).toBe('chunk');
    const p = parsePayload({ trace_id: 'abc', live: true, version: 1 });
    expect(p.kind === 'placeholder' && p.placeholder.trace_id).toBe('abc');
  });
  it('explains what is wrong with a malformed payload', () => {
    expect(() => parsePayload('nope')).toThrow(TraceFormatError);
    const broken = structuredClone(trace) as unknown as { spans: { end: number[] } };
    broken.spans.end.pop();
    expect(() => parsePayload(broken)).toThrow(/spans.*differ in length/);
    const noMeta = { ...trace, meta: undefined };
    expect(() => parsePayload(noMeta)).toThrow(/meta/);
    const badCell = structuredClone(trace) as unknown as { lanes: { start: unknown[] } };
    badCell.lanes.start[0] = 'x';
    expect(() => parsePayload(badCell)).toThrow(/lanes.start\[0\]/);
  });
  it('tells a newer version apart from garbage', () => {
    expect(() => parsePayload({ ...trace, version: 3 })).toThrow(TraceVersionError);
    expect(() => parsePayload({ ...trace, version: 3 })).toThrow(/version 3.*reads version 2/);
  });
});
