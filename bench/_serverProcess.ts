/**
 * A server process on 127.0.0.1 for tests and benchmarks (Jupyter Server, JupyterLab, Enterprise
 * Gateway): started on a port it picks itself, ready when its own log says where it listens, and
 * started again on a fresh port when another process took the port between choosing and binding.
 * Whatever goes wrong, the error says what the server printed.
 *
 * Its output goes to a file, never to a pipe: a test that waits in spawnSync does not read a
 * pipe, and a server whose pipe is full blocks in its next log line (every request then hangs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * How long a server may take to say it is ready. Jupyter Server takes 2–5 s on an idle machine
 * and was seen taking over 60 s at a load average of 28 on 2 cores: minutes, not seconds.
 */
export const SERVER_START_TIMEOUT_MS = 240_000;

/** starts on a fresh port after this many "port already in use" exits in a row, then gives up */
const PORT_ATTEMPTS = 4;

/** what servers print when the port they meant to bind is taken */
const PORT_TAKEN = /already in use|could not be started because .*port|no available port/i;

/** how often the log is read while waiting for the ready line */
const POLL_MS = 200;

export interface ServerProcess {
  /** where it listens, from its own log, ending in / */
  url: string;
  process: ChildProcess;
  /** the last `chars` characters it printed (stdout and stderr), 200 000 by default */
  output(chars?: number): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves once it exited (its log file is removed then) */
  stop(): Promise<void>;
}

export interface ServerProcessOptions {
  /** for messages: "Jupyter Server" */
  name: string;
  command: string;
  /** the arguments of each attempt (a server that cannot pick its own port gets a new one each time) */
  args: () => string[] | Promise<string[]>;
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** matched against everything it printed: its first group is the URL it listens on */
  ready: RegExp;
  timeoutMs?: number;
}

function tail(file: string, chars = 200_000): string {
  try {
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r');
    try {
      const length = Math.min(size, chars * 4);
      const buffer = Buffer.alloc(length);
      fs.readSync(fd, buffer, 0, length, size - length);
      return buffer.toString('utf8').slice(-chars);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  const gone = new Promise(resolve => child.once('exit', resolve));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([gone, new Promise(resolve => (timer = setTimeout(resolve, 10_000)))]);
  clearTimeout(timer);
  if (!exited(child)) {
    child.kill('SIGKILL');
    await gone;
  }
}

class StartError extends Error {
  constructor(
    message: string,
    readonly portTaken: boolean
  ) {
    super(message);
  }
}

/** One start: resolves when the server says where it listens, rejects with what it printed. */
async function attempt(options: ServerProcessOptions, deadline: number): Promise<ServerProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-server-'));
  const logFile = path.join(dir, 'output.log');
  const fd = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.command, await options.args(), {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', fd, fd]
    });
  } finally {
    fs.closeSync(fd);
  }
  let spawnError: Error | undefined;
  child.once('error', error => (spawnError = error));
  const output = (chars?: number) => tail(logFile, chars);
  const stop = async () => {
    await stopChild(child);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const fail = async (message: string, portTaken = false): Promise<never> => {
    const printed = output(3000);
    await stop();
    throw new StartError(`${message}; it printed:\n${printed}`, portTaken);
  };
  for (;;) {
    const printed = output();
    const url = options.ready.exec(printed)?.[1];
    if (url) return { url: url.endsWith('/') ? url : `${url}/`, process: child, output, stop };
    if (spawnError) return fail(`${options.name} could not be run (${options.command}): ${spawnError.message}`);
    if (exited(child))
      return fail(
        `${options.name} exited (${child.signalCode ?? `code ${child.exitCode}`}) before it was ready`,
        PORT_TAKEN.test(printed)
      );
    if (Date.now() > deadline) {
      const seconds = Math.round((options.timeoutMs ?? SERVER_START_TIMEOUT_MS) / 1000);
      const load = `load average ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} cores`;
      return fail(`${options.name} did not say it was ready within ${seconds} s (${load})`);
    }
    await new Promise(resolve => setTimeout(resolve, POLL_MS));
  }
}

/** Starts the server, again on a fresh port when its port was taken, until it is ready or the time is up. */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const deadline = Date.now() + (options.timeoutMs ?? SERVER_START_TIMEOUT_MS);
  for (let tries = 1; ; tries++) {
    try {
      return await attempt(options, deadline);
    } catch (error) {
      const retry = error instanceof StartError && error.portTaken && tries < PORT_ATTEMPTS && Date.now() < deadline;
      if (!retry) throw error;
    }
  }
}
