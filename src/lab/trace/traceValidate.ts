/**
 * Structural check of a payload against the trace schema, fast enough for 1M spans: the version,
 * every table and column present, columns of one table equally long, numbers where numbers go.
 * The JSON Schema in src/protocol is the full contract; this is what the renderer needs to be safe.
 * Saved traces and live chunks of an older version are upgraded first (`traceUpgrade.ts`).
 */
import { TABLE_COLUMNS, TRACE_SCHEMA_VERSION } from '../../protocol/trace.js';
import type { Trace, TraceChunk, TraceMeta } from '../../protocol/trace.js';
import { TraceFormatError, TraceVersionError } from './errors.js';
import { OLDEST_READABLE_VERSION, upgradeTrace } from './traceUpgrade.js';

/** What the probe may display before the trace is complete: the renderer then follows the comm. */
export interface LivePlaceholder {
  trace_id: string;
  live: true;
  label?: string;
}

export type Payload =
  | { kind: 'trace'; trace: Trace }
  | { kind: 'chunk'; chunk: TraceChunk }
  | { kind: 'placeholder'; placeholder: LivePlaceholder };

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const META_NUMBERS: (keyof TraceMeta)[] = [
  't0_unix_us',
  'pid',
  'host_cpus',
  'effective_cpus',
  'block_threshold_us',
  'dropped',
  'capacity'
];

export function checkMeta(meta: unknown): TraceMeta {
  if (!isObject(meta)) throw new TraceFormatError('"meta" is missing or not an object');
  for (const key of META_NUMBERS) {
    if (typeof meta[key] !== 'number' || !Number.isFinite(meta[key])) {
      throw new TraceFormatError(`meta.${key} should be a number, found ${JSON.stringify(meta[key]) ?? 'nothing'}`);
    }
  }
  for (const key of ['python', 'effective_cpus_reason'] as const) {
    if (typeof meta[key] !== 'string') throw new TraceFormatError(`meta.${key} should be a string`);
  }
  return meta as unknown as TraceMeta;
}

function checkTables(x: Record<string, unknown>): void {
  const strings = x.strings;
  if (!Array.isArray(strings)) throw new TraceFormatError('"strings" is missing or not a list');
  for (let i = 0; i < strings.length; i++) {
    if (typeof strings[i] !== 'string') throw new TraceFormatError(`strings[${i}] is not a string`);
  }
  for (const [table, columns] of Object.entries(TABLE_COLUMNS)) {
    const t = x[table];
    if (!isObject(t)) throw new TraceFormatError(`table "${table}" is missing`);
    let length = -1;
    for (const column of columns as string[]) {
      const col = t[column];
      if (!Array.isArray(col)) throw new TraceFormatError(`column ${table}.${column} is missing or not a list`);
      if (length === -1) length = col.length;
      else if (col.length !== length) {
        const lengths = `${column} has ${col.length}, expected ${length}`;
        throw new TraceFormatError(`columns of table "${table}" differ in length (${lengths})`);
      }
      for (let i = 0; i < col.length; i++) {
        const v = col[i];
        if (typeof v !== 'number' || v !== v) throw new TraceFormatError(`${table}.${column}[${i}] is not a number`);
      }
    }
  }
}

function checkVersion(x: Record<string, unknown>): void {
  const v = x.version;
  if (!Number.isInteger(v) || (v as number) < OLDEST_READABLE_VERSION || (v as number) > TRACE_SCHEMA_VERSION) {
    throw new TraceVersionError(v, TRACE_SCHEMA_VERSION);
  }
}

/** Classify and check what arrived under the trace MIME type or over the trace comm (upgraded to the current version). */
export function parsePayload(payload: unknown): Payload {
  if (!isObject(payload)) throw new TraceFormatError('the payload is not a JSON object');
  let x = payload;
  if (x.live === true && 'trace_id' in x && !('spans' in x)) {
    if (typeof x.trace_id !== 'string') throw new TraceFormatError('trace_id should be a string');
    if (x.version !== undefined) checkVersion(x);
    return {
      kind: 'placeholder',
      placeholder: { trace_id: x.trace_id, live: true, label: typeof x.label === 'string' ? x.label : undefined }
    };
  }
  checkVersion(x);
  x = upgradeTrace(x);
  checkTables(x);
  if ('trace_id' in x) {
    if (typeof x.trace_id !== 'string') throw new TraceFormatError('trace_id should be a string');
    if (typeof x.seq !== 'number' || !(x.seq >= 0)) throw new TraceFormatError('seq should be a number ≥ 0');
    if (typeof x.final !== 'boolean') throw new TraceFormatError('final should be true or false');
    if (x.meta !== undefined) checkMeta(x.meta);
    return { kind: 'chunk', chunk: x as unknown as TraceChunk };
  }
  checkMeta(x.meta);
  return { kind: 'trace', trace: x as unknown as Trace };
}
