/**
 * The grading guard (python/threadline_sandbox/guard.py): installed silently in each grading
 * kernel before any student code, it puts the kernel's machinery back before each test cell and
 * forgets hidden tests after them. The grader asks for each action with a message type of its own and checks
 * the answer, an HMAC of its nonce under a per-kernel secret.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { sandboxModuleText } from './pythonPackage.js';

/** The shell message type the guard answers. */
export const GUARD_REQUEST = 'threadline_guard_request';

/** restore: before a test cell; verify: did the test's canary call run; forget: after a cell with hidden tests. */
export type GuardAction = 'restore' | 'verify' | 'forget';

/** A fresh random token: a kernel's guard secret, a nonce. */
export function randomToken(): string {
  return randomBytes(24).toString('hex');
}

/** The builtin a test's first line calls with a nonce, so the guard can tell the test really ran. */
export function canaryName(secret: string): string {
  return `_threadline_${createHmac('sha256', secret).update('canary').digest('hex').slice(0, 16)}`;
}

/** The code that installs the guard; `protectedPaths` can be neither opened nor listed from then on. */
export function guardSetup(protectedPaths: string[], secret: string): string {
  const args = [protectedPaths, secret, canaryName(secret)].map(arg => JSON.stringify(arg)).join(', ');
  return `${sandboxModuleText('guard')}\n_threadline_guard_setup(${args})\ndel _threadline_guard_setup\n`;
}

/** Cell magics whose body is Python that runs once or more: the canary can be the body's first line. */
const PYTHON_CELL_MAGICS = new Set(['time', 'timeit', 'capture', 'prun']);

/**
 * A test cell's code as the grader sends it: the test with a line calling the canary with
 * `nonce`, first — or, where something must come first, right after it: a cell magic's line
 * (%%time, %%capture…: the canary is the first line of its Python body), `from __future__`
 * imports. Only a cell magic whose body is not Python (%%bash, %%writefile…) or that reads its
 * first line (%%timeline: its label) is sent as it is;
 * the guard then checks that nothing changed while it ran, without a canary.
 */
export function withCanary(source: string, secret: string, nonce: string): string {
  const lines = source.split('\n');
  let at = 0;
  const first = lines.findIndex(line => line.trim() !== '');
  const magic = first >= 0 ? /^\s*%%(\w+)/.exec(lines[first]!) : null;
  if (magic) {
    if (!PYTHON_CELL_MAGICS.has(magic[1]!)) return source;
    at = first + 1;
  }
  for (let i = at; i < lines.length; i++) {
    if (!/^\s*from\s+__future__\s+import\b/.test(lines[i]!)) continue;
    at = i + 1;
    // a parenthesised list of names may go on over several lines
    if (lines[i]!.includes('(')) while (at < lines.length && !lines[at - 1]!.includes(')')) at++;
  }
  // indented like the code it precedes: IPython strips a cell's common leading indentation
  const body = lines.slice(at).find(line => line.trim() !== '') ?? lines[at - 1] ?? '';
  const indent = /^[ \t]*/.exec(body)?.[0] ?? '';
  const call = `${indent}${canaryName(secret)}(${JSON.stringify(nonce)})`;
  return [...lines.slice(0, at), call, ...lines.slice(at)].join('\n');
}

/** What the real guard answers to `nonce` for `action`. */
export function guardAnswer(secret: string, nonce: string, action: GuardAction): string {
  return createHmac('sha256', secret)
    .update(nonce + action)
    .digest('hex');
}
