/**
 * Kernels spread over several Jupyter servers (`--server URL` given more than once, or
 * `--servers FILE`): Jupyter Server, JupyterHub user servers or Enterprise Gateway. Each kernel
 * starts on the server with the fewest of our kernels running; a server that fails to start one is
 * left alone for a while and the kernel starts on the next. When every server fails, the
 * submission fails as a local kernel that cannot start does (status `error`, graded again by the
 * next run: the same resume rule).
 */
import type { GradingKernel, KernelFactory } from './gradingKernel.js';
import { RemoteKernelFactory } from './remoteKernelFactory.js';

export interface ServerAddress {
  url: string;
  token?: string;
}

/** A server that refused a kernel is skipped this long (ms), unless every server is. */
const COOLDOWN_MS = 30_000;

interface Member {
  address: ServerAddress;
  factory: KernelFactory;
  running: number;
  started: number;
  failedAt?: number;
}

export class ServerPoolFactory implements KernelFactory {
  readonly description: string;
  private readonly members: Member[];

  constructor(
    servers: ServerAddress[],
    serverCwd?: string,
    /** how a server's kernels start (tests give another) */
    factoryFor: (server: ServerAddress) => KernelFactory = server =>
      new RemoteKernelFactory(server.url, server.token, serverCwd)
  ) {
    if (servers.length === 0) throw new Error('ServerPoolFactory needs at least one server');
    this.members = servers.map(address => ({ address, factory: factoryFor(address), running: 0, started: 0 }));
    this.description =
      servers.length === 1
        ? this.members[0]!.factory.description
        : `kernels on ${servers.length} servers${serverCwd ? ` in ${serverCwd}` : ''}`;
  }

  /** Kernels each server started so far (the end summary). */
  spread(): { url: string; kernels: number }[] {
    return this.members.map(member => ({ url: member.address.url, kernels: member.started }));
  }

  async start(kernelName: string, templateDir: string | undefined, overlayDir?: string): Promise<GradingKernel> {
    const now = Date.now();
    const healthy = (member: Member) => member.failedAt === undefined || now - member.failedAt > COOLDOWN_MS;
    // healthy servers first, the least busy first; the others as a last resort
    const order = [...this.members].sort(
      (a, b) => Number(healthy(b)) - Number(healthy(a)) || a.running - b.running || a.started - b.started
    );
    let lastError: unknown;
    for (const member of order) {
      member.running++;
      member.started++;
      try {
        const kernel = await member.factory.start(kernelName, templateDir, overlayDir);
        member.failedAt = undefined;
        let disposed = false;
        return {
          client: kernel.client,
          cwd: kernel.cwd,
          memoryExceeded: () => kernel.memoryExceeded(),
          resetCounters: () => kernel.resetCounters(),
          processLimitHit: () => kernel.processLimitHit(),
          killAll: () => kernel.killAll(),
          dispose: async () => {
            if (disposed) return;
            disposed = true;
            member.running--;
            await kernel.dispose();
          }
        };
      } catch (error) {
        member.running--;
        member.started--;
        member.failedAt = Date.now();
        lastError = error;
      }
    }
    throw lastError;
  }
}
