/**
 * `npm run bench -- probe [reps]`: the overhead of tracing with Threadline vs VizTracer
 * (log_async=True), side by side in one run (bench/probe_workloads.py under .venv):
 *   (a) 20k asyncio tasks x 6 empty awaits (worst case for a task tracer),
 *   (b) a producer/consumer program with a bounded queue, a semaphore and a lock: I/O-bound
 *       producers (1 ms simulated fetch) and light hashing ("realistic"), plus the same pipeline
 *       with no I/O and heavier hashing in the loop ("cpu_heavy", reported beside it),
 *   (c) 4 threads x 100k `with lock` (uncontended: one lock each; contended: one shared lock).
 * Each runs uninstrumented, under Threadline and under VizTracer, interleaved; medians of `reps`.
 * Ratios are traced / uninstrumented process CPU time (lower is better).
 * Targets: worst <= 1.3, realistic <= 1.1, uncontended lock <= 2.5, vs_viztracer_overhead <= 0.33.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const python = path.join(root, '.venv', 'bin', 'python');
const reps = Number(process.argv[2] ?? 5);

interface ProbeBench {
  asyncio_worst_ratio: number;
  asyncio_real_ratio: number;
  lock_ratio: number;
  lock_contended_ratio: number;
  asyncio_cpu_heavy_ratio: number;
  viztracer_worst_ratio: number;
  viztracer_real_ratio: number;
  viztracer_lock_ratio: number;
  vs_viztracer_overhead: number | null;
  wall_ratios: Record<string, Record<string, number>>;
  cpu_medians_s: Record<string, Record<string, number>>;
  wall_medians_s: Record<string, Record<string, number>>;
  finish_s: Record<string, Record<string, number>>;
  reps: number;
}

class BenchFailedError extends Error {
  constructor(code: number | null, stderr: string) {
    super(`bench/probe_workloads.py exited with ${code}; is .venv set up (node scripts/setup.mjs)?\n${stderr.slice(-3000)}`);
  }
}

function runWorkloads(): Promise<ProbeBench> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [path.join(root, 'bench', 'probe_workloads.py'), String(reps)], { cwd: root });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      process.stderr.write(d);
    });
    child.on('exit', code => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new BenchFailedError(code, err));
      else resolve(JSON.parse(last) as ProbeBench);
    });
  });
}

const r = await runWorkloads();
const target = (value: number | null, max: number) => (value === null ? 'n/a' : value <= max ? 'ok' : `MISSED (target <= ${max})`);
console.log('\nworkload            plain CPU s  threadline  viztracer   (ratios to plain; wall-time ratios in brackets)');
for (const w of ['worst', 'realistic', 'cpu_heavy', 'lock_uncontended', 'lock_contended']) {
  const cpu = r.cpu_medians_s[w]!;
  const wall = r.wall_ratios[w]!;
  const fmt = (m: string) => `${(cpu[m]! / cpu.plain!).toFixed(3)} [${wall[m]!.toFixed(3)}]`;
  console.log(`${w.padEnd(20)}${cpu.plain!.toFixed(3).padStart(11)}  ${fmt('threadline').padEnd(18)}${fmt('viztracer')}`);
}
console.log(`\nThreadline finishing a trace after the region (median s): ${JSON.stringify(r.finish_s.worst?.threadline)} (worst case)`);
console.log(`asyncio worst ${r.asyncio_worst_ratio}: ${target(r.asyncio_worst_ratio, 1.3)}`);
console.log(`asyncio realistic ${r.asyncio_real_ratio}: ${target(r.asyncio_real_ratio, 1.1)}`);
console.log(`uncontended lock ${r.lock_ratio}: ${target(r.lock_ratio, 2.5)}`);
console.log(`vs VizTracer overhead ${r.vs_viztracer_overhead}: ${target(r.vs_viztracer_overhead, 0.33)}`);
const summary = {
  asyncio_worst_ratio: r.asyncio_worst_ratio,
  asyncio_real_ratio: r.asyncio_real_ratio,
  lock_ratio: r.lock_ratio,
  viztracer_worst_ratio: r.viztracer_worst_ratio,
  vs_viztracer_overhead: r.vs_viztracer_overhead,
  lock_contended_ratio: r.lock_contended_ratio,
  asyncio_cpu_heavy_ratio: r.asyncio_cpu_heavy_ratio,
  viztracer_real_ratio: r.viztracer_real_ratio,
  viztracer_lock_ratio: r.viztracer_lock_ratio,
  reps: r.reps
};
console.log(`BENCH probe ${JSON.stringify(summary)}`);
