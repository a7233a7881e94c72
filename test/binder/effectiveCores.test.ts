// The course sizes every pool from threadline.effective_cpus(): it must see the limits that a
// Binder or JupyterHub container really has, not os.cpu_count(). Each case runs a notebook in
// a real threadline kernel (nbconvert from .venv) under one kind of limit.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..');
const venvBin = path.join(root, '.venv', 'bin');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-cores-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const notebook = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: 'threadline', display_name: 'Python 3 (Threadline)', language: 'python' } },
  cells: [
    {
      cell_type: 'code',
      id: 'cores',
      metadata: {},
      execution_count: null,
      outputs: [],
      source:
        'import os, threadline\nprint("EFFECTIVE", threadline.effective_cpus(), "HOST", os.cpu_count(), "WHY", threadline.effective_cpus_reason())'
    }
  ]
};

/** Executes the notebook with `prefix` before the command (e.g. taskset) and returns what it printed. */
function effectiveCores(
  prefix: string[],
  extraEnv: Record<string, string> = {}
): { effective: number; host: number; reason: string } {
  const input = path.join(scratch, `cores-${Math.random().toString(36).slice(2)}.ipynb`);
  fs.writeFileSync(input, JSON.stringify(notebook));
  const command = [
    ...prefix,
    path.join(venvBin, 'jupyter'),
    'nbconvert',
    '--to',
    'notebook',
    '--execute',
    '--inplace',
    input
  ];
  const { CPU_LIMIT: _ignored, ...inherited } = process.env;
  const result = spawnSync(command[0], command.slice(1), { env: { ...inherited, ...extraEnv }, encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  const executed = JSON.parse(fs.readFileSync(input, 'utf8'));
  const text: string = executed.cells[0].outputs.map((o: { text?: string }) => o.text ?? '').join('');
  const match = /EFFECTIVE (\d+) HOST (\d+) WHY (.*)/.exec(text);
  expect(match, `unexpected output: ${text}`).not.toBeNull();
  return { effective: Number(match![1]), host: Number(match![2]), reason: match![3] };
}

/** A cgroup with a 1-CPU quota that this test may create (v2 or v1), or null. */
function quotaCgroup(): { enter: string[]; remove: () => void } | null {
  // Only real cgroup file systems: /sys/fs/cgroup may be a plain tmpfs holding v1 hierarchies.
  const candidates = [
    { root: '/sys/fs/cgroup', marker: 'cgroup.controllers', file: 'cpu.max', value: '100000 100000' },
    { root: '/sys/fs/cgroup/cpu', marker: 'cpu.cfs_quota_us', file: 'cpu.cfs_quota_us', value: '100000' }
  ];
  for (const { root: base, marker, file, value } of candidates) {
    if (!fs.existsSync(path.join(base, marker))) continue;
    const dir = path.join(base, `threadline-test-${process.pid}`);
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, file), value);
      return {
        enter: ['sh', '-c', `echo $$ > ${dir}/cgroup.procs && exec "$@"`, 'sh'],
        remove: () => fs.rmdirSync(dir)
      };
    } catch {
      if (fs.existsSync(dir)) fs.rmdirSync(dir);
    }
  }
  return null;
}

describe('effective cores', () => {
  it('sees the host when nothing limits it', () => {
    const { effective, host } = effectiveCores([]);
    expect(host).toBe(os.cpus().length);
    expect(effective).toBeGreaterThanOrEqual(1);
    expect(effective).toBeLessThanOrEqual(host);
  });

  it.runIf(os.cpus().length > 1 && spawnSync('taskset', ['--version']).status === 0)(
    'respects CPU affinity (taskset -c 0)',
    () => {
      const { effective, host, reason } = effectiveCores(['taskset', '-c', '0']);
      expect(effective).toBe(1);
      expect(host).toBeGreaterThan(1);
      expect(reason).toMatch(/affinity/i);
    }
  );

  it('respects CPU_LIMIT as Binder sets it', () => {
    const { effective, reason } = effectiveCores([], { CPU_LIMIT: '1.0' });
    expect(effective).toBe(1);
    expect(reason).toMatch(/CPU_LIMIT/);
  });

  const cgroup = os.cpus().length > 1 ? quotaCgroup() : null;
  it.runIf(cgroup !== null)('respects a cgroup CPU quota of one core', () => {
    try {
      const { effective, reason } = effectiveCores(cgroup!.enter);
      expect(effective).toBe(1);
      expect(reason).toMatch(/cgroup|quota|cpu\.max|cfs/i);
    } finally {
      cgroup!.remove();
    }
  });
});
