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

/**
 * A test cell's code as the grader sends it: a line calling the canary with `nonce`, then the
 * test. Cells that must start with something else (a cell magic, a __future__ import) are sent
 * as they are and rely on the guard's restore alone.
 */
export function withCanary(source: string, secret: string, nonce: string): string {
  if (source.trimStart().startsWith('%') || /^\s*from\s+__future__\s+import/m.test(source)) return source;
  // indented like the first line: IPython strips a cell's common leading indentation
  const indent = /^[ \t]*(?=\S)/m.exec(source)?.[0] ?? '';
  return `${indent}${canaryName(secret)}(${JSON.stringify(nonce)})\n${source}`;
}

/** What the real guard answers to `nonce` for `action`. */
export function guardAnswer(secret: string, nonce: string, action: GuardAction): string {
  return createHmac('sha256', secret)
    .update(nonce + action)
    .digest('hex');
}
