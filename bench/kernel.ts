/**
 * `npm run bench -- kernel [kernelName]`: our ZeroMQ kernel client vs Python's jupyter_client
 * (BlockingKernelClient), same kernel spec, side by side in one run:
 *   start -> ready (median of 10), execute round trip of `pass` (p50/p95 of 500),
 *   a 100k-line print (median of 12).
 * The runs are interleaved in ABBA order with one long-lived Python peer
 * (bench/kernel_peer.py) so both sides see the same machine load.
 * Ratios are ours / jupyter_client (lower is better; target <= 1.0).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalKernel } from '../src/kernel/localKernel.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const kernelName = process.argv[2] ?? 'python3';
const python = path.join(root, '.venv', 'bin', 'python');
const BULK_CODE = 'for i in range(100000): print(i)';
const N = { start: 10, roundtrip: 500, bulk: 12 };

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
const median = (xs: number[]) => quantile(xs, 0.5);
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

interface PeerResult {
  times_ms: number[];
  chars?: number;
  /** the client's own CPU per execution */
  cpu_ms?: number;
  /** the kernel process's CPU per execution */
  kernel_cpu_ms?: number;
}

/** CPU time (user + system, all threads) a process has used so far, from /proc. */
function processCpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ is 100 on Linux
}

/** The jupyter_client side, a long-lived Python process answering one command per line. */
class Peer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  private waiting?: { resolve: (line: string) => void; reject: (e: Error) => void };
  private stderr = '';
  private exitedWith?: string;

  constructor() {
    this.child = spawn(python, [path.join(root, 'bench', 'kernel_peer.py'), kernelName], { cwd: root });
    createInterface({ input: this.child.stdout }).on('line', line => {
      const w = this.waiting;
      this.waiting = undefined;
      if (w) w.resolve(line);
      else this.lines.push(line);
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.child.stdin.on('error', () => undefined); // a dead peer is reported by 'exit'
    this.child.once('exit', (code, signal) => {
      this.exitedWith = `code ${code} signal ${signal}`;
      this.waiting?.reject(this.failure());
      this.waiting = undefined;
    });
  }

  private failure(): Error {
    return new Error(`jupyter_client side exited (${this.exitedWith}):\n${this.stderr}`);
  }

  run(cmd: string, n: number): Promise<PeerResult> {
    if (this.exitedWith) return Promise.reject(this.failure());
    this.child.stdin.write(`${cmd} ${n}\n`);
    return new Promise<string>((resolve, reject) => {
      const queued = this.lines.shift();
      if (queued !== undefined) resolve(queued);
      else this.waiting = { resolve, reject };
    }).then(line => JSON.parse(line) as PeerResult);
  }

  async close(): Promise<void> {
    if (this.exitedWith) return;
    const exited = new Promise(r => this.child.once('exit', r));
    this.child.stdin.end('quit\n');
    await exited;
  }
}

async function oursStart(n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const k = await LocalKernel.start({ kernelName });
    times.push(performance.now() - t0);
    await k.shutdown();
  }
  return times;
}

async function oursRun(k: LocalKernel, code: string, n: number): Promise<Required<PeerResult>> {
  const times: number[] = [];
  let chars = 0;
  const cpu0 = process.cpuUsage();
  const kcpu0 = processCpuMs(k.pid!);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await k.execute(code);
    times.push(performance.now() - t0);
    if (r.status !== 'ok' || r.incomplete) throw new Error(`execute failed: ${JSON.stringify(r).slice(0, 500)}`);
    chars = r.outputs.reduce((sum, o) => sum + (o.output_type === 'stream' ? o.text.length : 0), 0);
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    times_ms: times,
    chars,
    cpu_ms: (cpu.user + cpu.system) / 1000 / n,
    kernel_cpu_ms: (processCpuMs(k.pid!) - kcpu0) / n
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

console.log(`kernel benchmark: spec "${kernelName}", ours (Node, zeromq) vs jupyter_client (Python), interleaved`);
const peer = new Peer();
const startOurs: number[] = [];
const startPeer: number[] = [];
const rtOurs: number[] = [];
const rtPeer: number[] = [];
const bulkOurs: number[] = [];
const bulkPeer: number[] = [];
const cpu = { rtOurs: [] as number[], rtPeer: [] as number[], bulkOurs: [] as number[], bulkPeer: [] as number[] };
const kernelCpu = { bulkOurs: [] as number[], bulkPeer: [] as number[] };
let charsOurs = 0;
let charsPeer: number | undefined;
let warm: LocalKernel | undefined;
/** Runs both sides in ABBA order (ours first on rounds 0 and 3 of every 4) to cancel drifts in machine load. */
async function abba(round: number, ours: () => Promise<void>, theirs: () => Promise<void>): Promise<void> {
  if (round % 4 === 0 || round % 4 === 3) {
    await ours();
    await theirs();
  } else {
    await theirs();
    await ours();
  }
}

try {
  for (let i = 0; i < N.start; i++) {
    await abba(
      i,
      async () => void startOurs.push(...(await oursStart(1))),
      async () => void startPeer.push(...(await peer.run('start', 1)).times_ms)
    );
  }
  console.log(
    `start->ready   median  ours ${median(startOurs).toFixed(1)} ms   jupyter_client ${median(startPeer).toFixed(1)} ms`
  );

  warm = await LocalKernel.start({ kernelName });
  const kernel = warm;
  await kernel.execute('pass');
  const blocks = 20;
  for (let b = 0; b < blocks; b++) {
    await abba(
      b,
      async () => {
        const r = await oursRun(kernel, 'pass', N.roundtrip / blocks);
        rtOurs.push(...r.times_ms);
        cpu.rtOurs.push(r.cpu_ms);
      },
      async () => {
        const r = await peer.run('roundtrip', N.roundtrip / blocks);
        rtPeer.push(...r.times_ms);
        if (r.cpu_ms !== undefined) cpu.rtPeer.push(r.cpu_ms);
      }
    );
  }
  console.log(
    `round trip     p50     ours ${median(rtOurs).toFixed(2)} ms   jupyter_client ${median(rtPeer).toFixed(2)} ms\n` +
      `               p95     ours ${quantile(rtOurs, 0.95).toFixed(2)} ms   jupyter_client ${quantile(rtPeer, 0.95).toFixed(2)} ms\n` +
      `               client CPU per execute  ours ${mean(cpu.rtOurs).toFixed(2)} ms   jupyter_client ${mean(cpu.rtPeer).toFixed(2)} ms`
  );

  // one untimed run each: JIT, allocator and kernel caches warm on both sides
  await oursRun(kernel, BULK_CODE, 1);
  await peer.run('bulk', 1);
  for (let i = 0; i < N.bulk; i++) {
    await abba(
      i,
      async () => {
        const ours = await oursRun(kernel, BULK_CODE, 1);
        bulkOurs.push(...ours.times_ms);
        cpu.bulkOurs.push(ours.cpu_ms);
        kernelCpu.bulkOurs.push(ours.kernel_cpu_ms);
        charsOurs = ours.chars;
      },
      async () => {
        const theirs = await peer.run('bulk', 1);
        bulkPeer.push(...theirs.times_ms);
        if (theirs.cpu_ms !== undefined) cpu.bulkPeer.push(theirs.cpu_ms);
        if (theirs.kernel_cpu_ms !== undefined) kernelCpu.bulkPeer.push(theirs.kernel_cpu_ms);
        charsPeer = theirs.chars;
      }
    );
  }
  if (charsPeer !== undefined && charsOurs !== charsPeer)
    throw new Error(`bulk output differs: ours ${charsOurs} chars, jupyter_client ${charsPeer}`);
  console.log(
    `100k-line print median  ours ${median(bulkOurs).toFixed(1)} ms   jupyter_client ${median(bulkPeer).toFixed(1)} ms   (${charsOurs} chars each)\n` +
      `               client CPU per print    ours ${mean(cpu.bulkOurs).toFixed(1)} ms   jupyter_client ${mean(cpu.bulkPeer).toFixed(1)} ms\n` +
      `               kernel CPU per print    ours ${mean(kernelCpu.bulkOurs).toFixed(1)} ms   jupyter_client ${mean(kernelCpu.bulkPeer).toFixed(1)} ms ` +
      '(the kernel printing dominates; the rest of the wall time is waiting for a CPU)'
  );
} finally {
  await warm?.shutdown();
  await peer.close();
}

const result = {
  kernel: kernelName,
  start_ms: { ours: round(median(startOurs), 1), jupyter_client: round(median(startPeer), 1) },
  roundtrip_p50_ms: { ours: round(median(rtOurs)), jupyter_client: round(median(rtPeer)) },
  roundtrip_p95_ms: { ours: round(quantile(rtOurs, 0.95)), jupyter_client: round(quantile(rtPeer, 0.95)) },
  bulk_ms: { ours: round(median(bulkOurs), 1), jupyter_client: round(median(bulkPeer), 1) },
  client_cpu_ms: {
    roundtrip: { ours: round(mean(cpu.rtOurs)), jupyter_client: round(mean(cpu.rtPeer)) },
    bulk: { ours: round(mean(cpu.bulkOurs), 1), jupyter_client: round(mean(cpu.bulkPeer), 1) }
  },
  kernel_cpu_ms: {
    bulk: { ours: round(mean(kernelCpu.bulkOurs), 1), jupyter_client: round(mean(kernelCpu.bulkPeer), 1) }
  },
  start_ratio: round(median(startOurs) / median(startPeer)),
  roundtrip_ratio: round(median(rtOurs) / median(rtPeer)),
  bulk_ratio: round(median(bulkOurs) / median(bulkPeer))
};
console.log(`BENCH kernel ${JSON.stringify(result)}`);
