/**
 * The grading guard (kernel_guard.py): installed silently in each grading kernel before any
 * student code, it puts the kernel's machinery back before each test cell and forgets hidden
 * tests after them. The grader asks for each action with a message type of its own and checks
 * the answer, an HMAC of its nonce under a per-kernel secret.
 */
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const GUARD = fs.readFileSync(fileURLToPath(new URL('../../src/grader/kernel_guard.py', import.meta.url)), 'utf8');

/** The shell message type the guard answers. */
export const GUARD_REQUEST = 'threadline_guard_request';

/** restore: before a test cell; forget: after a cell with hidden tests. */
export type GuardAction = 'restore' | 'forget';

/** A fresh secret for one kernel's guard. */
export function guardSecret(): string {
  return randomBytes(24).toString('hex');
}

/** The code that installs the guard; `protectedPaths` can be neither opened nor listed from then on. */
export function guardSetup(protectedPaths: string[], secret: string): string {
  return `${GUARD}\n_threadline_guard_setup(${JSON.stringify(protectedPaths)}, ${JSON.stringify(secret)})\ndel _threadline_guard_setup\n`;
}

/** What the real guard answers to `nonce` for `action`. */
export function guardAnswer(secret: string, nonce: string, action: GuardAction): string {
  return createHmac('sha256', secret).update(nonce + action).digest('hex');
}
