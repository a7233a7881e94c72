/** execute() against one real ipykernel: outputs of every kind, ordering, timeouts, stdin, bad messages. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecuteResult, Output } from '../../src/kernel/kernelClient.js';
import { LocalKernel } from '../../src/kernel/localKernel.js';
import { kernelName } from './helpers.js';

let kernel: LocalKernel;
let runtimeDir: string;

beforeAll(async () => {
  runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-runtime-'));
  kernel = await LocalKernel.start({ kernelName, runtimeDir });
});

afterAll(async () => {
  await kernel?.shutdown();
  fs.rmSync(runtimeDir, { recursive: true, force: true });
});

const stream = (r: ExecuteResult, name: 'stdout' | 'stderr') =>
  r.outputs
    .filter((o): o is Extract<Output, { output_type: 'stream' }> => o.output_type === 'stream' && o.name === name)
    .map(o => o.text)
    .join('');

describe('LocalKernel.execute', () => {
  it('is ready with kernel info', async () => {
    const info = await kernel.ready();
    expect(info.languageInfo.name).toBe('python');
    expect(info.protocolVersion).toMatch(/^5\./);
    expect(kernel.alive).toBe(true);
  });

  it('writes a private connection file on 127.0.0.1 with a fresh key', () => {
    const file = kernel.connectionFilePath!;
    expect(path.dirname(file)).toBe(runtimeDir);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(info).toMatchObject({ ip: '127.0.0.1', transport: 'tcp', signature_scheme: 'hmac-sha256' });
    expect(String(info.key)).toMatch(/^[0-9a-f]{64}$/);
    const ports = ['shell_port', 'iopub_port', 'stdin_port', 'control_port', 'hb_port'].map(k => info[k]);
    expect(new Set(ports).size).toBe(5);
  });

  it('collects stdout and stderr as merged streams', async () => {
    const r = await kernel.execute(
      "import sys\nprint('a'); sys.stdout.flush()\nprint('b', file=sys.stderr); sys.stderr.flush()\nprint('c')"
    );
    expect(r.status).toBe('ok');
    expect(r.incomplete).toBe(false);
    expect(stream(r, 'stdout')).toBe('a\nc\n');
    expect(stream(r, 'stderr')).toBe('b\n');
  });

  it('returns display_data and execute_result with the execution count', async () => {
    const r = await kernel.execute("from IPython.display import display, HTML\ndisplay(HTML('<b>x</b>'))\n41 + 1");
    expect(r.outputs).toHaveLength(2);
    expect(r.outputs[0]).toMatchObject({ output_type: 'display_data', data: { 'text/html': '<b>x</b>' } });
    expect(r.outputs[1]).toMatchObject({
      output_type: 'execute_result',
      data: { 'text/plain': '42' },
      execution_count: r.executionCount
    });
    expect(r.executionCount).toBeGreaterThan(0);
  });

  it('applies update_display_data, also to outputs of earlier executions', async () => {
    const first = await kernel.execute("_h = display('first', display_id=True)\n_h.update('second')");
    expect(first.outputs).toHaveLength(1);
    expect(first.outputs[0]).toMatchObject({ output_type: 'display_data', data: { 'text/plain': "'second'" } });
    const second = await kernel.execute("_h.update('third')");
    expect(second.outputs).toEqual([]);
    expect(first.outputs[0]).toMatchObject({ data: { 'text/plain': "'third'" } });
  });

  it('applies clear_output, immediately and with wait=True', async () => {
    const now = await kernel.execute(
      "from IPython.display import clear_output\nprint('gone', flush=True)\nclear_output()\nprint('kept')"
    );
    expect(now.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'kept\n' }]);
    const wait = await kernel.execute("print('old', flush=True)\nclear_output(wait=True)\nprint('new')");
    expect(wait.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'new\n' }]);
    const waitAtEnd = await kernel.execute("print('stays', flush=True)\nclear_output(wait=True)");
    expect(stream(waitAtEnd, 'stdout')).toBe('stays\n');
  });

  it('reports an error with its traceback', async () => {
    const r = await kernel.execute("def f():\n    raise ValueError('bad value')\nf()");
    expect(r.status).toBe('error');
    expect(r.error).toMatchObject({ ename: 'ValueError', evalue: 'bad value' });
    expect(r.error!.traceback.join('\n')).toContain('f()');
    expect(r.outputs.at(-1)).toMatchObject({ output_type: 'error', ename: 'ValueError' });
  });

  it('aborts queued executions after an error unless stopOnError is false', async () => {
    const [fail, skipped] = await Promise.all([
      kernel.execute("import time; time.sleep(0.5); raise RuntimeError('stop')"),
      kernel.execute("print('should not run')")
    ]);
    expect(fail.status).toBe('error');
    expect(skipped.status).toBe('aborted');
    expect(skipped.outputs).toEqual([]);
    const [fail2, ran] = await Promise.all([
      kernel.execute("import time; time.sleep(0.5); raise RuntimeError('go on')", { stopOnError: false }),
      kernel.execute("print('ran')")
    ]);
    expect(fail2.status).toBe('error');
    expect(ran.status).toBe('ok');
    expect(stream(ran, 'stdout')).toBe('ran\n');
  });

  it('keeps 200 executions in order', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => kernel.execute(`print(${i})`)));
    results.forEach((r, i) => {
      expect(r.status).toBe('ok');
      expect(r.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: `${i}\n` }]);
      if (i > 0) expect(r.executionCount).toBe(results[i - 1]!.executionCount! + 1);
    });
  });

  it('interrupts a cell that exceeds its timeout, and the kernel stays usable', async () => {
    await kernel.execute('_state = 7');
    const r = await kernel.execute("import time\nprint('started', flush=True)\ntime.sleep(60)", { timeoutMs: 1500 });
    expect(r.status).toBe('timeout');
    expect(r.error?.ename).toBe('CellTimeoutError');
    expect(stream(r, 'stdout')).toBe('started\n');
    expect(r.outputs.some(o => o.output_type === 'error' && o.ename === 'KeyboardInterrupt')).toBe(true);
    const after = await kernel.execute('print(_state)');
    expect(after.status).toBe('ok');
    expect(stream(after, 'stdout')).toBe('7\n');
  });

  it('starts the timeout clock only when an execution is next in line', async () => {
    const [slow, quick] = await Promise.all([
      kernel.execute('import time; time.sleep(2)'),
      kernel.execute("print('quick')", { timeoutMs: 1000 })
    ]);
    expect(slow.status).toBe('ok');
    expect(quick.status).toBe('ok');
    expect(stream(quick, 'stdout')).toBe('quick\n');
  });

  it('interrupts on request', async () => {
    let started!: () => void;
    const sleeping = new Promise<void>(resolve => (started = resolve));
    // interrupt once the cell is surely running: it says so before sleeping
    const running = kernel.execute("import time\nprint('sleeping', flush=True)\ntime.sleep(60)", {
      onOutput: () => started()
    });
    await sleeping;
    await kernel.interrupt();
    const r = await running;
    expect(r.status).toBe('error');
    expect(r.error?.ename).toBe('KeyboardInterrupt');
    expect(stream(await kernel.execute("print('after')"), 'stdout')).toBe('after\n');
  });

  it('makes input() fail clearly without a stdin callback instead of hanging', async () => {
    const r = await kernel.execute("input('Name? ')", { timeoutMs: 30_000 });
    expect(r.status).toBe('error');
    expect(r.error?.ename).toBe('StdinNotImplementedError');
    expect(r.error?.evalue).toMatch(/input/i);
  });

  it('answers input() and getpass() through the stdin callback', async () => {
    const prompts: [string, boolean][] = [];
    const r = await kernel.execute(
      "import getpass\nname = input('Name? ')\npw = getpass.getpass('Secret: ')\nprint('hello', name, len(pw))",
      {
        stdin: (prompt, password) => {
          prompts.push([prompt, password]);
          return password ? 'hunter2' : 'Ada';
        }
      }
    );
    expect(r.status).toBe('ok');
    expect(prompts).toEqual([
      ['Name? ', false],
      ['Secret: ', true]
    ]);
    expect(stream(r, 'stdout')).toContain('hello Ada 7\n');
  });

  it('drops and counts messages with a forged or missing signature, and junk frames', async () => {
    const before = kernel.stats;
    const r = await kernel.execute(
      [
        'from jupyter_client.session import Session',
        '_k = get_ipython().kernel',
        "Session(key=b'not-the-key').send(_k.iopub_socket, 'stream', {'name': 'stdout', 'text': 'FORGED\\n'}, parent=_k.get_parent())",
        "Session(key=b'').send(_k.iopub_socket, 'stream', {'name': 'stdout', 'text': 'UNSIGNED\\n'}, parent=_k.get_parent())",
        "_k.iopub_socket.send_multipart([b'junk', b'frames'])",
        "print('real')"
      ].join('\n')
    );
    expect(r.status).toBe('ok');
    expect(stream(r, 'stdout')).toBe('real\n');
    expect(kernel.stats.badSignature - before.badSignature).toBe(2);
    expect(kernel.stats.malformed - before.malformed).toBe(1);
    expect(stream(await kernel.execute("print('still fine')"), 'stdout')).toBe('still fine\n');
  });

  it('delivers a 10 MB print whole', async () => {
    const r = await kernel.execute("print('x' * 10_000_000)");
    const out = stream(r, 'stdout');
    expect(out.length).toBe(10_000_001);
    expect(/^x+\n$/.test(out)).toBe(true);
    expect(r.incomplete).toBe(false);
  });

  it('delivers 100k lines in order', async () => {
    const r = await kernel.execute('for i in range(100_000): print(i)');
    const lines = stream(r, 'stdout').split('\n');
    expect(lines).toHaveLength(100_001);
    expect(lines.slice(0, -1).every((l, i) => l === String(i))).toBe(true);
  });

  it('caps kept output at maxOutputBytes and counts the rest', async () => {
    const r = await kernel.execute("print('y' * 1000)\nraise KeyError('k')", { maxOutputBytes: 100 });
    expect(stream(r, 'stdout')).toBe('y'.repeat(100));
    expect(r.droppedBytes).toBe(901);
    expect(r.outputs.at(-1)).toMatchObject({ output_type: 'error', ename: 'KeyError' });
  });

  it('streams outputs to onOutput as they arrive', async () => {
    const seen: Output[] = [];
    const r = await kernel.execute('import time\nfor i in range(3):\n    print(i, flush=True)\n    time.sleep(0.3)', {
      onOutput: o => seen.push(o)
    });
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.map(o => (o.output_type === 'stream' ? o.text : '')).join('')).toBe('0\n1\n2\n');
    expect(stream(r, 'stdout')).toBe('0\n1\n2\n');
  });
});
