/**
 * The grader's folders in the temporary directory: each kernel's working copy and its ipc socket
 * folder. A grader stopped by a signal removes its own (processCleanup); one killed with SIGKILL
 * or by the OOM killer cannot, so the folders carry the process that made them (its PID
 * namespace and PID), and the next grader on the machine removes those of processes that are gone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type ScratchKind = 'grade' | 'ipc';

/** threadline-<kind>-<PID namespace>-<pid>-<random> */
const SCRATCH = /^threadline-(grade|ipc)-(\d+)-(\d+)-/;

/** This process's PID namespace (a container has its own, where the same PIDs mean other processes); 0 without /proc. */
function pidNamespace(): string {
  try {
    return /\d+/.exec(fs.readlinkSync('/proc/self/ns/pid'))?.[0] ?? '0';
  } catch {
    return '0';
  }
}

const namespace = pidNamespace();
let swept = false;

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's process
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the scratch folders of graders that are gone (same PID namespace, PID not running); returns their paths. */
export function removeStaleScratchDirs(dir = os.tmpdir()): string[] {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of entries) {
    const match = SCRATCH.exec(name);
    if (!match || match[2] !== namespace) continue;
    const pid = Number(match[3]);
    if (pid === process.pid || running(pid)) continue;
    try {
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
      removed.push(path.join(dir, name));
    } catch {
      // another user's, or being removed by another grader: not ours to insist on
    }
  }
  return removed;
}

/** A new scratch folder of this process; the first one made also sweeps away those of graders that are gone. */
export function makeScratchDir(kind: ScratchKind): string {
  if (!swept) {
    swept = true;
    removeStaleScratchDirs();
  }
  return fs.mkdtempSync(path.join(os.tmpdir(), `threadline-${kind}-${namespace}-${process.pid}-`));
}
