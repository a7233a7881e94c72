/**
 * The kernel connection file: five free TCP ports on 127.0.0.1 (or, with ipc, five Unix socket
 * paths in a folder of the caller's), a fresh HMAC key, written with mode 0600 into Jupyter's
 * runtime directory (the key is a secret: anyone who has it can run code in the kernel).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { jupyterRuntimeDir, type JupyterPathOptions } from './jupyterPaths.js';
import { onProcessEnd } from './processCleanup.js';

export interface ConnectionInfo {
  /** tcp on 127.0.0.1 by default; ipc (Unix sockets) for kernels without a network, and kernels started by others */
  transport: 'tcp' | 'ipc';
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: 'hmac-sha256';
  kernel_name?: string;
}

export type Channel = 'shell' | 'iopub' | 'stdin' | 'control' | 'hb';

export function channelUrl(info: ConnectionInfo, channel: Channel): string {
  const port = info[`${channel}_port`];
  // jupyter_client's ipc convention: the "ip" is a path prefix, the port a suffix
  return info.transport === 'ipc' ? `ipc://${info.ip}-${port}` : `tcp://${info.ip}:${port}`;
}

/**
 * `count` distinct free ports. All listeners stay open until every port is chosen so the OS
 * cannot hand out the same port twice (what jupyter_client does too); a later collision with
 * another process is still possible and handled by relaunching.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = Array.from({ length: count }, () => net.createServer());
  try {
    return await Promise.all(
      servers.map(
        server =>
          new Promise<number>((resolve, reject) => {
            server.once('error', reject);
            server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port));
          })
      )
    );
  } finally {
    await Promise.all(servers.map(s => new Promise<void>(resolve => s.close(() => resolve()))));
  }
}

/** Where a kernel's sockets go: tcp on 127.0.0.1, or ipc with the sockets `<dir>/k-1`…`k-5`. */
export type Transport = { transport: 'tcp' } | { transport: 'ipc'; dir: string };

export async function newConnectionInfo(
  kernelName?: string,
  where: Transport = { transport: 'tcp' }
): Promise<ConnectionInfo> {
  // a socket path is the kernel's alone (its own folder): nothing to probe, unlike a port
  const ports = where.transport === 'ipc' ? [1, 2, 3, 4, 5] : await freePorts(5, '127.0.0.1');
  const [shell, iopub, stdin, control, hb] = ports as [number, number, number, number, number];
  return {
    transport: where.transport,
    ip: where.transport === 'ipc' ? path.join(where.dir, 'k') : '127.0.0.1',
    shell_port: shell,
    iopub_port: iopub,
    stdin_port: stdin,
    control_port: control,
    hb_port: hb,
    key: crypto.randomBytes(32).toString('hex'),
    signature_scheme: 'hmac-sha256',
    ...(kernelName ? { kernel_name: kernelName } : {})
  };
}

/** A connection file on disk; `remove()` deletes it (idempotent). */
export class ConnectionFile {
  private constructor(
    readonly path: string,
    public info: ConnectionInfo
  ) {}

  /** Writes `info` to a new file kernel-<id>.json in the runtime dir (or `dir`), mode 0600. */
  static async create(
    info: ConnectionInfo,
    options: JupyterPathOptions & { dir?: string } = {}
  ): Promise<ConnectionFile> {
    const dir = options.dir ?? jupyterRuntimeDir(options);
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `kernel-${crypto.randomUUID()}.json`);
    await fs.promises.writeFile(file, JSON.stringify(info, null, 1), { mode: 0o600, flag: 'wx' });
    const created = new ConnectionFile(file, info);
    // deleted even if Node ends without shutting the kernel down
    created.forget = onProcessEnd(() => fs.rmSync(file, { force: true }));
    return created;
  }

  /** Reads an existing connection file (a kernel someone else started). */
  static async read(file: string): Promise<ConnectionInfo> {
    const raw = JSON.parse(await fs.promises.readFile(file, 'utf8')) as ConnectionInfo;
    return { ...raw, transport: raw.transport ?? 'tcp', signature_scheme: raw.signature_scheme ?? 'hmac-sha256' };
  }

  /** Replaces the contents (same path), e.g. with new ports after a port collision. */
  async rewrite(info: ConnectionInfo): Promise<void> {
    this.info = info;
    const tmp = `${this.path}.${process.pid}.tmp`;
    await fs.promises.writeFile(tmp, JSON.stringify(info, null, 1), { mode: 0o600 });
    await fs.promises.rename(tmp, this.path);
  }

  private forget: () => void = () => undefined;

  remove(): void {
    this.forget();
    try {
      fs.rmSync(this.path, { force: true });
    } catch {
      // already gone
    }
  }
}
