/** `threadline feedback`: one HTML page per student and assignment from the gradebook. */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from './args.js';
import { UsageError } from '../engine/errors.js';
import { feedbackHtml } from './feedbackHtml.js';
import { Gradebook } from '../engine/gradebook.js';

export const feedbackHelp = `\
usage: threadline feedback [--db gradebook.sqlite] -o DIR [--assignment NAME] [--student ID]

Writes DIR/<student>/<assignment>.html for every graded submission: the score, each exercise
with its points, status and the failing test's message, and the notebook's cells with their
outputs. Hidden tests are never shown (neither their code nor their tracebacks).

options:
  --db FILE          gradebook written by \`threadline grade\` (default gradebook.sqlite)
  -o, --output DIR   where the pages go (required)
  --assignment NAME  only this assignment (notebook name without .ipynb)
  --student ID       only this student
  -h, --help         show this help

exit codes: 0 ok (also when nothing matched, with a warning), 2 wrong usage`;

export async function feedbackCommand(argv: string[]): Promise<number> {
  const args = parseArgs('feedback', argv, {
    db: { type: 'string' },
    output: { type: 'string', short: 'o' },
    assignment: { type: 'string' },
    student: { type: 'string' }
  });
  if (args.help) {
    console.log(feedbackHelp);
    return 0;
  }
  if (args.positionals.length) throw new UsageError(`unexpected argument ${args.positionals[0]}`, 'feedback');
  const out = args.flags.output as string | undefined;
  if (!out) throw new UsageError('-o DIR is required', 'feedback');
  const db = String(args.flags.db ?? 'gradebook.sqlite');
  if (!fs.existsSync(db))
    throw new UsageError(`gradebook ${db} does not exist; run \`threadline grade\` first or pass --db`, 'feedback');
  const gradebook = new Gradebook(db);
  try {
    const records = gradebook.submissions({
      assignment: args.flags.assignment as string | undefined,
      student: args.flags.student as string | undefined
    });
    if (records.length === 0) console.error('threadline feedback: no graded submissions matched');
    for (const record of records) {
      const safe = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, '_');
      const dir = path.join(out, safe(record.student));
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${safe(record.assignment)}.html`), feedbackHtml(record));
    }
    console.error(`wrote ${records.length} feedback page(s) to ${out}`);
    return 0;
  } finally {
    gradebook.close();
  }
}
