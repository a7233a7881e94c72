/** `threadline export --csv`: the gradebook as CSV, one row per student × exercise plus totals. */
import fs from 'node:fs';
import { parseArgs } from './args.js';
import { UsageError } from '../engine/errors.js';
import { Gradebook, type SubmissionRecord } from '../engine/gradebook.js';

export const exportHelp = `usage: threadline export --csv [FILE] [--db gradebook.sqlite] [--assignment NAME]

Prints (or writes to FILE) one CSV row per student and exercise —
assignment,student,grade_id,score,max_score,status,message — and, per student, a row with
grade_id "total" holding the submission's total, its status and the reason, followed by every
repair the grader made to the submission ("repaired test_1: the locked cell was edited…"); an
exercise's own repairs are in its message.

options:
  --csv [FILE]       CSV output (to stdout when FILE is omitted or "-"); the only format for now
  --db FILE          gradebook (default gradebook.sqlite)
  --assignment NAME  only this assignment
  -h, --help         show this help

exit codes: 0 ok, 2 wrong usage`;

const field = (value: string | number) => {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export function gradesCsv(records: SubmissionRecord[]): string {
  const lines = ['assignment,student,grade_id,score,max_score,status,message'];
  for (const r of records) {
    for (const g of r.grades)
      lines.push([r.assignment, r.student, g.gradeId, g.score, g.maxScore, g.status, g.message].map(field).join(','));
    const repaired = r.repairs.map(repair => `repaired ${repair.gradeId}: ${repair.reason}`);
    const message = [r.reason, ...repaired].filter(Boolean).join('; ');
    lines.push([r.assignment, r.student, 'total', r.score, r.maxScore, r.status, message].map(field).join(','));
  }
  return lines.join('\n') + '\n';
}

export async function exportCommand(argv: string[]): Promise<number> {
  // --csv takes an optional file: accept "--csv", "--csv FILE", "--csv=FILE"
  const normalized = argv.flatMap((arg, i) =>
    arg === '--csv' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--')) ? ['--csv=-'] : [arg]
  );
  const args = parseArgs('export', normalized, {
    csv: { type: 'string' },
    db: { type: 'string' },
    assignment: { type: 'string' }
  });
  if (args.help) {
    console.log(exportHelp);
    return 0;
  }
  if (args.flags.csv === undefined) throw new UsageError('choose a format: --csv [FILE]', 'export');
  if (args.positionals.length) throw new UsageError(`unexpected argument ${args.positionals[0]}`, 'export');
  const db = String(args.flags.db ?? 'gradebook.sqlite');
  if (!fs.existsSync(db))
    throw new UsageError(`gradebook ${db} does not exist; run \`threadline grade\` first or pass --db`, 'export');
  const gradebook = new Gradebook(db);
  try {
    const csv = gradesCsv(gradebook.submissions({ assignment: args.flags.assignment as string | undefined }));
    const target = String(args.flags.csv);
    if (target === '-') process.stdout.write(csv);
    else fs.writeFileSync(target, csv);
    return 0;
  } finally {
    gradebook.close();
  }
}
