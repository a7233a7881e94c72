/** `threadline release SOURCE.ipynb… -o DIR`: write the student version of each instructor source. */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from './args.js';
import { buildAssignment } from '../engine/assignment.js';
import { UsageError } from '../engine/errors.js';
import { readNotebook, serializeNotebook } from '../engine/notebook.js';

export const releaseHelp = `usage: threadline release SOURCE.ipynb… -o DIR

Writes the student version of each instructor source notebook into DIR (same file name), the
way \`nbgrader generate_assignment\` does: code between "### BEGIN SOLUTION" and "### END SOLUTION"
becomes "# YOUR CODE HERE / raise NotImplementedError()" (indented like the marker), markdown
solution cells become "YOUR ANSWER HERE", "### BEGIN HIDDEN TESTS"…"### END HIDDEN TESTS" regions
are removed, outputs are cleared, grade and locked cells are made read-only, nbgrader checksums
and cell ids are recorded. The output is deterministic: releasing twice gives identical bytes.

options:
  -o, --output DIR   folder for the student versions (created if missing; required)
  --check            write nothing; exit 1 if DIR's files differ from a fresh release
  -h, --help         show this help

exit codes: 0 ok, 1 a source is invalid (or --check found a difference), 2 wrong usage`;

export function releaseToString(sourcePath: string): string {
  return serializeNotebook(buildAssignment(readNotebook(sourcePath), sourcePath).release);
}

export async function releaseCommand(argv: string[]): Promise<number> {
  const args = parseArgs('release', argv, { output: { type: 'string', short: 'o' }, check: { type: 'boolean' } });
  if (args.help) {
    console.log(releaseHelp);
    return 0;
  }
  if (args.positionals.length === 0) throw new UsageError('give at least one SOURCE.ipynb', 'release');
  const out = args.flags.output as string | undefined;
  if (!out) throw new UsageError('-o DIR is required (where the student versions go)', 'release');
  let status = 0;
  for (const source of args.positionals) {
    const text = releaseToString(source);
    const target = path.join(out, path.basename(source));
    if (path.resolve(target) === path.resolve(source))
      throw new UsageError(`${source}: the release would overwrite the source; choose another -o DIR`, 'release');
    if (args.flags.check) {
      const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
      if (current !== text) {
        console.error(`${target}: ${current === undefined ? 'missing' : 'differs from the release of ' + source}`);
        status = 1;
      }
      continue;
    }
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(target, text, 'utf8');
    console.error(`released ${source} → ${target}`);
  }
  return status;
}
