/** Grading kernels on a Jupyter Server (`--server URL --token T`): the server's limits apply there. */
import { startRemoteKernel } from '../../kernel/remoteKernel.js';
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
    const client = await startRemoteKernel({
      baseUrl: this.baseUrl,
      token: this.token,
      kernelName,
      path: this.serverCwd
    });
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
