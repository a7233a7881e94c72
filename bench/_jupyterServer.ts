/**
 * A real Jupyter Server (or JupyterLab: `app: 'lab'`) from a Python environment, on 127.0.0.1 with
 * a token, for the remote-kernel tests, the e2e tests and the benchmarks. It picks its own port
 * (port 0) and is ready when its log says where it runs; it stops by itself after
 * `idleSeconds` without kernels or requests if whoever started it dies.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess, type ServerProcess } from './_serverProcess.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface JupyterServerOptions {
  token: string;
  /** the server's root folder (kernels start there, as the server process's working folder too) */
  rootDir: string;
  /** `server` (default) or `lab` */
  app?: 'server' | 'lab';
  /** the Python environment whose `jupyter` runs (default: the project's .venv) */
  prefix?: string;
  env?: NodeJS.ProcessEnv;
  /** further --Flag=value arguments */
  args?: string[];
  /** stops by itself after this long without activity (default 180 s) */
  idleSeconds?: number;
  timeoutMs?: number;
}

export type JupyterServer = ServerProcess;

export function startJupyterServer(options: JupyterServerOptions): Promise<JupyterServer> {
  const prefix = options.prefix ?? path.join(root, '.venv');
  const app = options.app ?? 'server';
  return startServerProcess({
    name: app === 'lab' ? 'JupyterLab' : 'Jupyter Server',
    command: path.join(prefix, 'bin', 'jupyter'),
    args: () => [
      app,
      '--ServerApp.ip=127.0.0.1',
      // the server binds a port the system gives it, and logs which
      '--ServerApp.port=0',
      '--ServerApp.port_retries=0',
      `--IdentityProvider.token=${options.token}`,
      '--ServerApp.open_browser=False',
      `--ServerApp.root_dir=${options.rootDir}`,
      `--ServerApp.shutdown_no_activity_timeout=${options.idleSeconds ?? 180}`,
      ...(options.args ?? []),
      // tests and CI run as root in containers
      ...(process.getuid?.() === 0 ? ['--allow-root'] : [])
    ],
    cwd: options.rootDir,
    env: options.env,
    // "Jupyter Server 2.21.1 is running at:" and, on the next line, "http://127.0.0.1:PORT/…"
    ready: /is running at:[^\n]*\n[^\n]*?(http:\/\/127\.0\.0\.1:[1-9]\d*\/)/,
    timeoutMs: options.timeoutMs
  });
}
