/**
 * A real Jupyter Enterprise Gateway on 127.0.0.1 for the grading benchmark and the remote tests:
 * its own venv (.venv-eg, bench/requirements-enterprise-gateway.txt: it needs jupyter_client 6 and
 * jupyter_server 1, which JupyterLab 4's .venv cannot have), the threadline kernel spec pinned to
 * the project's Python, and a process that stops by itself (`timeout`) if whoever started it dies.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess, type ServerProcess } from './_serverProcess.js';

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

export type RunningGateway = ServerProcess;

/**
 * Starts Enterprise Gateway with `token`, its kernels in `cwd`, kernel specs from `jupyterPath`;
 * it ends by itself after `lifetimeSeconds` whatever happens to the caller. Ready when its log
 * says where it listens: it binds a free port near the one given itself (port_retries), so a port
 * another process took meanwhile only moves it to the next.
 */
export async function startGateway(options: {
  token: string;
  cwd: string;
  jupyterPath: string;
  lifetimeSeconds: number;
  maxKernels?: number;
  /** the user it refuses kernels to (default nobody: the gateway's own default, root, would refuse tests and CI run as root) */
  unauthorizedUser?: string;
  timeoutMs?: number;
}): Promise<RunningGateway> {
  const bin = ensureGatewayVenv();
  const server = await startServerProcess({
    name: 'Enterprise Gateway',
    command: 'timeout',
    args: async () => [
      '-k',
      '5',
      String(options.lifetimeSeconds),
      bin,
      '--EnterpriseGatewayApp.ip=127.0.0.1',
      // it logs the port it bound, but "0" when asked for port 0: a free port to start from instead
      `--EnterpriseGatewayApp.port=${await freePort()}`,
      '--EnterpriseGatewayApp.port_retries=20',
      `--EnterpriseGatewayApp.auth_token=${options.token}`,
      `--EnterpriseGatewayApp.unauthorized_users=${options.unauthorizedUser ?? 'nobody'}`,
      ...(options.maxKernels ? [`--EnterpriseGatewayApp.max_kernels=${options.maxKernels}`] : []),
      '--RemoteMappingKernelManager.cull_idle_timeout=300'
    ],
    cwd: options.cwd,
    env: { ...process.env, JUPYTER_PATH: options.jupyterPath, PYTHONUNBUFFERED: '1' },
    // "Jupyter Enterprise Gateway 3.3.0 is available at http://127.0.0.1:PORT"
    ready: /is available at (http:\/\/127\.0\.0\.1:\d+)/,
    timeoutMs: options.timeoutMs
  });
  return server;
}
