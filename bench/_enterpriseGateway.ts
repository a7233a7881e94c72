/**
 * A real Jupyter Enterprise Gateway on 127.0.0.1 for the grading benchmark and the remote tests:
 * its own venv (.venv-eg, bench/requirements-enterprise-gateway.txt: it needs jupyter_client 6 and
 * jupyter_server 1, which JupyterLab 4's .venv cannot have), the threadline kernel spec pinned to
 * the project's Python, and a process that stops by itself (`timeout`) if whoever started it dies.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const venv = path.join(root, '.venv-eg');
const gatewayBin = path.join(venv, 'bin', 'jupyter-enterprisegateway');

/** Creates .venv-eg when it is missing (a minute or two, once); returns the gateway's executable. */
export function ensureGatewayVenv(log: (message: string) => void = () => undefined): string {
  const requirements = path.join(root, 'bench', 'requirements-enterprise-gateway.txt');
  const stamp = path.join(venv, '.requirements');
  const wanted = fs.readFileSync(requirements, 'utf8');
  if (fs.existsSync(gatewayBin) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === wanted) return gatewayBin;
  log('creating .venv-eg with Jupyter Enterprise Gateway (bench/requirements-enterprise-gateway.txt)…');
  const run = (command: string, args: string[]) => {
    const result = spawnSync(command, args, { encoding: 'utf8', cwd: root });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  };
  if (!fs.existsSync(path.join(venv, 'bin', 'pip'))) run('python3', ['-m', 'venv', venv]);
  run(path.join(venv, 'bin', 'pip'), ['install', '-q', '-r', requirements]);
  fs.writeFileSync(stamp, wanted);
  return gatewayBin;
}

/** A Jupyter data folder whose only kernel spec is threadline's, on the project's .venv Python. */
export function threadlineKernelPath(dir: string): string {
  const kernelDir = path.join(dir, 'kernels', 'threadline');
  fs.mkdirSync(kernelDir, { recursive: true });
  const spec = JSON.parse(fs.readFileSync(path.join(root, 'kernel-spec', 'threadline', 'kernel.json'), 'utf8')) as {
    argv: string[];
  };
  spec.argv[0] = path.join(root, '.venv', 'bin', 'python');
  fs.writeFileSync(path.join(kernelDir, 'kernel.json'), JSON.stringify(spec));
  return dir;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

export interface RunningGateway {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts Enterprise Gateway with `token`, its kernels in `cwd`, kernel specs from `jupyterPath`;
 * it ends by itself after `lifetimeSeconds` whatever happens to the caller.
 */
export async function startGateway(options: {
  token: string;
  cwd: string;
  jupyterPath: string;
  lifetimeSeconds: number;
  maxKernels?: number;
}): Promise<RunningGateway> {
  const bin = ensureGatewayVenv();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const child = spawn(
    'timeout',
    [
      '-k',
      '5',
      String(options.lifetimeSeconds),
      bin,
      '--EnterpriseGatewayApp.ip=127.0.0.1',
      `--EnterpriseGatewayApp.port=${port}`,
      '--EnterpriseGatewayApp.port_retries=0',
      `--EnterpriseGatewayApp.auth_token=${options.token}`,
      // the gateway refuses kernels for root unless told otherwise (tests and CI run as root)
      ...(process.getuid?.() === 0 ? ['--EnterpriseGatewayApp.unauthorized_users=nobody'] : []),
      ...(options.maxKernels ? [`--EnterpriseGatewayApp.max_kernels=${options.maxKernels}`] : []),
      '--RemoteMappingKernelManager.cull_idle_timeout=300'
    ],
    {
      cwd: options.cwd,
      env: { ...process.env, JUPYTER_PATH: options.jupyterPath, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'ignore', 'pipe']
    }
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await new Promise(resolve => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(undefined);
      }, 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Enterprise Gateway exited (${child.exitCode}): ${stderr}`);
    try {
      const response = await fetch(`${url}api/kernelspecs`, { headers: { Authorization: `token ${options.token}` } });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Enterprise Gateway did not answer within 90 s: ${stderr}`);
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
  return { url, process: child, stop };
}
