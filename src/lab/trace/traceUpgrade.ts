/**
 * Reading traces of an earlier schema version. Saved notebooks keep the trace of the version that
 * recorded them, so the reader upgrades instead of refusing: a v1 trace or chunk gains the v2
 * columns (`ends.reason`, `ends.by`) filled with -1 (unknown) and an empty `awaits` table.
 * Runs before the structural check, on the raw payload; it never changes its input. Pure.
 */
import type { TRACE_SCHEMA_VERSION } from '../../protocol/trace.js';

/** The oldest schema version this extension still reads. */
export const OLDEST_READABLE_VERSION = 1;

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** v1 → v2: the end columns that v2 added, unknown for every row, and no task → task awaits. */
function v1ToV2(x: Record<string, unknown>): Record<string, unknown> {
  const ends = x.ends;
  // a malformed table is left as it is, for the structural check to name what is wrong
  const rows = isObject(ends) && Array.isArray(ends.lane) ? ends.lane.length : -1;
  const unknown = (): number[] => new Array<number>(rows).fill(-1);
  return {
    ...x,
    version: 2 satisfies typeof TRACE_SCHEMA_VERSION,
    ...(rows >= 0 && isObject(ends) ? { ends: { ...ends, reason: unknown(), by: unknown() } } : {}),
    awaits: { lane: [], target: [], start: [], end: [] }
  };
}

/** The payload as the current schema version, or the payload itself when it is current (or not a trace). */
export function upgradeTrace(x: Record<string, unknown>): Record<string, unknown> {
  return x.version === 1 ? v1ToV2(x) : x;
}
