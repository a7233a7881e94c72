/** Grading kernels on a Jupyter Server (`--server URL --token T`): the server's limits apply there. */
import { startRemoteKernel } from '../kernel/remoteKernel.js';
import type { FlagValues } from './args.js';
import { UsageError } from './errors.js';
import type { GradingKernel, KernelFactory } from './gradingKernel.js';

export class RemoteKernelFactory implements KernelFactory {
  readonly description: string;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string | undefined,
    /** folder the kernels start in, relative to the server's root (`--server-cwd`) */
    private readonly serverCwd?: string
  ) {
    this.description = `kernels on ${baseUrl}${serverCwd ? ` in ${serverCwd}` : ''}`;
    // @jupyterlab/services narrates every WebSocket (re)connection with console.debug, which
    // Node prints on stdout, where `--json` output goes
    console.debug = () => undefined;
  }

  async start(kernelName: string): Promise<GradingKernel> {
    const client = await startRemoteKernel({ baseUrl: this.baseUrl, token: this.token, kernelName, path: this.serverCwd });
    return {
      client,
      // a folder on the server, not on this machine
      cwd: '',
      memoryExceeded: () => false,
      resetCounters: () => undefined,
      processLimitHit: () => false,
      killAll: async () => undefined,
      dispose: () => client.shutdown()
    };
  }
}

/** The factory `--server URL [--token T] [--server-cwd PATH]` ask for, or undefined for local kernels. */
export function remoteFactoryFromFlags(flags: FlagValues, command: string): RemoteKernelFactory | undefined {
  const server = flags.server as string | undefined;
  if (!server) {
    if (flags.token) throw new UsageError('--token needs --server URL', command);
    if (flags['server-cwd']) throw new UsageError('--server-cwd needs --server URL', command);
    return undefined;
  }
  if (flags.cwd) throw new UsageError('--cwd is a folder on this machine; with --server, give the folder on the server with --server-cwd', command);
  return new RemoteKernelFactory(server, flags.token as string | undefined, flags['server-cwd'] as string | undefined);
}
