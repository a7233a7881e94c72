// A copy of the repository as a fresh clone has it: tracked files plus new ones that are not
// ignored, without anything set-up built (node_modules, lib/, build/, .venv, compiled modules).
// Used by the Binder check (repo2docker builds from such a copy) and the release check.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Copies the repository at `root` into `destination` (made, or emptied first). */
export function cleanCopy(root, destination) {
  fs.rmSync(destination, { recursive: true, force: true });
  const files = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8'
  })
    .stdout.split('\0')
    .filter(Boolean);
  for (const file of files) {
    const from = path.join(root, file);
    if (!fs.existsSync(from)) continue;
    const to = path.join(destination, file);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
    fs.chmodSync(to, fs.statSync(from).mode);
  }
}
