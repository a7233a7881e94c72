// The contract is written once, in src/protocol/: the probe's Python face of it
// (src/probe/threadline/schema.py) must hold exactly the same values. Every public constant of
// schema.py is compared, so a name added on either side without the other fails here too.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as names from '../../src/protocol/names.js';
import { KERNEL_NAME, METER_COMM_TARGET, TRACE_COMM_TARGET, TRACE_MIME } from '../../src/protocol/names.js';
import * as trace from '../../src/protocol/trace.js';
import {
  LANE_KIND_LABELS,
  LaneKind,
  Outcome,
  OUTCOME_LABELS,
  SPAN_KIND_LABELS,
  SpanKind,
  TABLE_COLUMNS,
  TRACE_SCHEMA_VERSION
} from '../../src/protocol/trace.js';

const root = path.resolve(__dirname, '..', '..');
const python = path.join(root, '.venv', 'bin', 'python');

const dump = String.raw`
import json, sys
from threadline import schema
json.dump({name: value for name, value in vars(schema).items() if name.isupper()}, sys.stdout)
`;

function schemaPy(): Record<string, unknown> {
  const run = spawnSync(python, ['-c', dump], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: path.join(root, 'src', 'probe') },
    timeout: 60_000
  });
  if (run.status !== 0) throw new Error(`could not read schema.py (exit ${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

describe('src/probe/threadline/schema.py against src/protocol', () => {
  it('holds the same names, codes, labels and columns', () => {
    expect(schemaPy()).toEqual({
      TRACE_MIME,
      TRACE_COMM_TARGET,
      METER_COMM_TARGET,
      KERNEL_NAME,
      TRACE_SCHEMA_VERSION,
      LANE_KIND: LaneKind,
      LANE_TASK: LaneKind.task,
      LANE_THREAD: LaneKind.thread,
      LANE_PROCESS: LaneKind.process,
      SPAN_KIND: SpanKind,
      SPAN_RUN: SpanKind.run,
      SPAN_SUSPENDED: SpanKind.suspended,
      SPAN_LOCK_WAIT: SpanKind.lockWait,
      SPAN_LOCK_HOLD: SpanKind.lockHold,
      SPAN_BLOCKED: SpanKind.blocked,
      SPAN_KIND_LABELS,
      LANE_KIND_LABELS,
      OUTCOME: Outcome,
      OUTCOME_LABELS,
      OUT_OK: Outcome.ok,
      OUT_ERROR: Outcome.error,
      OUT_CANCELLED: Outcome.cancelled,
      OUT_DESTROYED: Outcome.destroyed,
      OUT_NEVER_AWAITED: Outcome.neverAwaited,
      TABLE_COLUMNS
    });
  });

  it('has a Python twin for every constant src/protocol exports', () => {
    const twin: Record<string, string> = { LaneKind: 'LANE_KIND', SpanKind: 'SPAN_KIND', Outcome: 'OUTCOME' };
    const python = schemaPy();
    for (const [name, value] of Object.entries({ ...names, ...trace })) {
      expect(python[twin[name] ?? name], `schema.py lacks ${twin[name] ?? name} (src/protocol's ${name})`).toEqual(
        value
      );
    }
  });
});
