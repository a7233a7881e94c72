/**
 * `npm run bench -- probe_instructions [scale]`: the probe's overhead in instructions executed, which
 * this shared machine's noise does not move (elapsed-time medians of the same code swing by ±0.2 here;
 * see src/probe/README.md). Each workload of bench/probe_workloads.py runs under
 * `valgrind --tool=callgrind`: warmed up and then run again uninstrumented, under Threadline, or under
 * VizTracer (log_async=True), at `scale` of the timed bench's size (default 1/3) and at size 0; the
 * difference is one run's instructions, the trace's start, stop and conversion included (Threadline's
 * sampler does not start: under valgrind its ticks would come fifty times as often per unit of work).
 * Both traces are finished inside the count (VizTracer parses its buffer, Threadline converts its records).
 * Ratios: traced / uninstrumented instructions (lower is better). Needs valgrind (Debian: `apt-get install
 * valgrind`). The targets are the timed bench's; instructions leave out what the traced program waits
 * for, and memory effects (cache misses, GC passes), so they read lower than elapsed time for CPU-bound
 * workloads.
 */
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const python = path.join(root, '.venv', 'bin', 'python');
const scale = Number(process.argv.slice(2).find(a => /^[\d.]+$/.test(a)) ?? 1 / 3);
const WORKLOADS = { worst: 1.3, short_tasks: 1.3, short_loops: 1.1, subprocesses: 1.1 } as const;
type Workload = keyof typeof WORKLOADS;
const MODES = ['plain', 'threadline', 'viztracer'] as const;
type Mode = (typeof MODES)[number];

if (spawnSync('valgrind', ['--version']).status !== 0) {
  console.error('valgrind is not installed: `apt-get install valgrind` (Debian), then run this again.');
  process.exit(2);
}

/** Instructions one valgrind run of `probe_workloads.py --count` executed (the whole process). */
function instructions(workload: Workload, mode: Mode, at: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const args = ['--tool=callgrind', '--callgrind-out-file=/dev/null', python];
    args.push(path.join(root, 'bench', 'probe_workloads.py'), '--count', workload, mode, String(at));
    const child = spawn('valgrind', args, { cwd: root, env: { ...process.env, PYTHONHASHSEED: '0' } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', code => {
      const collected = /Collected : (\d+)/.exec(err);
      if (code !== 0 || !collected) reject(new Error(`${workload} ${mode} at ${at} failed:\n${err.slice(-2000)}`));
      else resolve(Number(collected[1]));
    });
  });
}

/** Runs the jobs two at a time (valgrind runs one thread at a time; this machine has 2 cores). */
async function inParallel<T>(jobs: (() => Promise<T>)[], width = Math.max(1, Math.min(2, os.cpus().length))) {
  const results: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

const ratios = {} as Record<Workload, Record<Mode, number>>;
for (const workload of Object.keys(WORKLOADS) as Workload[]) {
  const runs = MODES.flatMap(mode => [scale, 0].map(at => ({ mode, at })));
  const counts = await inParallel(
    runs.map(
      ({ mode, at }) =>
        () =>
          instructions(workload, mode, at)
    )
  );
  const count = (mode: Mode, at: number) => counts[runs.findIndex(r => r.mode === mode && r.at === at)]!;
  // plain runs the workload twice past its fixed costs; a traced mode once plain, once traced
  const once = (count('plain', scale) - count('plain', 0)) / 2;
  const traced = (mode: Mode) => (count(mode, scale) - count(mode, 0) - once) / once;
  ratios[workload] = Object.fromEntries(MODES.map(m => [m, Number(traced(m).toFixed(3))])) as Record<Mode, number>;
  console.log(
    `${workload.padEnd(14)} ${(once / 1e6).toFixed(1).padStart(8)}M instructions untraced   threadline ${ratios[workload].threadline}   viztracer ${ratios[workload].viztracer}`
  );
}
for (const [workload, target] of Object.entries(WORKLOADS) as [Workload, number][]) {
  const ratio = ratios[workload].threadline;
  console.log(`${workload} ${ratio}: ${ratio <= target ? 'ok' : `MISSED (target <= ${target})`}`);
}
console.log(`BENCH probe_instructions ${JSON.stringify({ scale, ratios })}`);
