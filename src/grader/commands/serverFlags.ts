/**
 * `--server URL [--token T] [--server-cwd PATH]`: grading kernels on a Jupyter Server instead of
 * this machine; `--server` given more than once, or `--servers FILE`, spreads them over several.
 */
import fs from 'node:fs';
import { UsageError } from '../engine/errors.js';
import type { KernelFactory } from '../engine/gradingKernel.js';
import { ServerPoolFactory, type ServerAddress } from '../engine/serverPool.js';
import type { FlagValues } from './args.js';

/**
 * A servers file: one server a line, `URL [TOKEN]` (a token there keeps it off the command line,
 * where `ps` shows it); blank lines and `#` comments ignored. Without a token, `--token` applies.
 */
export function readServersFile(file: string, command: string, token?: string): ServerAddress[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--servers ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, command);
  }
  return text
    .split('\n')
    .map(line => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map(line => {
      const [url, own, extra] = line.split(/\s+/);
      if (extra !== undefined || !/^https?:\/\//.test(url!))
        throw new UsageError(`--servers ${file}: "${line}" is not "URL [TOKEN]" with an http(s) URL`, command);
      return { url: url!, token: own ?? token };
    });
}

/** The servers `--server` (once or more) and `--servers FILE` name, in that order. */
export function serversFromFlags(flags: FlagValues, command: string): ServerAddress[] {
  const token = flags.token as string | undefined;
  const given = flags.server;
  const urls = given === undefined ? [] : Array.isArray(given) ? given : [String(given)];
  const servers: ServerAddress[] = urls.map(url => ({ url, token }));
  if (flags.servers) servers.push(...readServersFile(String(flags.servers), command, token));
  return servers;
}

/** The factory the server flags ask for, or undefined for local kernels. */
export function remoteFactoryFromFlags(
  flags: FlagValues,
  command: string
): (KernelFactory & { spread?: () => { url: string; kernels: number }[] }) | undefined {
  const servers = serversFromFlags(flags, command);
  if (servers.length === 0) {
    if (flags.token) throw new UsageError('--token needs --server URL', command);
    if (flags['server-cwd']) throw new UsageError('--server-cwd needs --server URL', command);
    if (flags.servers) throw new UsageError(`--servers ${String(flags.servers)} names no server`, command);
    return undefined;
  }
  if (flags.cwd)
    throw new UsageError(
      '--cwd is a folder on this machine; with --server, give the folder on the server with --server-cwd',
      command
    );
  return new ServerPoolFactory(servers, flags['server-cwd'] as string | undefined);
}
