/** `--server URL [--token T] [--server-cwd PATH]`: grading kernels on a Jupyter Server instead of this machine. */
import { RemoteKernelFactory } from '../engine/remoteKernelFactory.js';
import { UsageError } from '../engine/errors.js';
import type { FlagValues } from './args.js';

/** The factory `--server URL [--token T] [--server-cwd PATH]` ask for, or undefined for local kernels. */
export function remoteFactoryFromFlags(flags: FlagValues, command: string): RemoteKernelFactory | undefined {
  const server = flags.server as string | undefined;
  if (!server) {
    if (flags.token) throw new UsageError('--token needs --server URL', command);
    if (flags['server-cwd']) throw new UsageError('--server-cwd needs --server URL', command);
    return undefined;
  }
  if (flags.cwd)
    throw new UsageError(
      '--cwd is a folder on this machine; with --server, give the folder on the server with --server-cwd',
      command
    );
  return new RemoteKernelFactory(server, flags.token as string | undefined, flags['server-cwd'] as string | undefined);
}
