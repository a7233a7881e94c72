/**
 * `threadline export`: the gradebook as CSV — per student × exercise (--csv), or one row per
 * student × assignment for an LMS gradebook import (--lms: Canvas, Moodle). Every cell is safe
 * to open in a spreadsheet: text that would start a formula is prefixed with an apostrophe.
 */
import fs from 'node:fs';
import { parseArgs } from './args.js';
import { UsageError } from '../engine/errors.js';
import { finalScore, Gradebook, type SubmissionRecord } from '../engine/gradebook.js';

export const exportHelp = `usage: threadline export (--csv [FILE] | --lms [FILE]) [--db gradebook.sqlite] [--assignment NAME]

--csv: one row per student and exercise —
assignment,student,grade_id,score,max_score,status,message — and, per student, a row with
grade_id "total" holding the submission's total, its status and the reason, followed by every
repair the grader made to the submission ("repaired test_1: the locked cell was edited…"); an
exercise's own repairs are in its message.
--lms: one row per student and assignment, for an LMS gradebook import (Canvas, Moodle: map the
columns when importing) — student_id,assignment,score,max_score,percent,status,graded_at.
Scores include points given by hand (threadline manual). Text that a spreadsheet would read as
a formula (starting with = + - @, a tab or a carriage return) is prefixed with an apostrophe.

options:
  --csv [FILE]       per-exercise CSV (to stdout when FILE is omitted or "-")
  --lms [FILE]       per-assignment CSV for an LMS (to stdout when FILE is omitted or "-")
  --db FILE          gradebook (default gradebook.sqlite)
  --assignment NAME  only this assignment
  -h, --help         show this help

exit codes: 0 ok, 2 wrong usage`;

/** A CSV field: quoted when needed, and never read as a formula by a spreadsheet (CSV injection). */
export function csvField(value: string | number): string {
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const round = (value: number) => Math.round(value * 1000) / 1000;

export function gradesCsv(records: SubmissionRecord[]): string {
  const lines = ['assignment,student,grade_id,score,max_score,status,message'];
  for (const r of records) {
    for (const g of r.grades)
      lines.push(
        [r.assignment, r.student, g.gradeId, finalScore(g), g.maxScore, g.status, g.message].map(csvField).join(',')
      );
    const repaired = r.repairs.map(repair => `repaired ${repair.gradeId}: ${repair.reason}`);
    const message = [r.reason, ...repaired].filter(Boolean).join('; ');
    lines.push([r.assignment, r.student, 'total', r.score, r.maxScore, r.status, message].map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}

/** One row per student × assignment: what an LMS gradebook imports. */
export function lmsCsv(records: SubmissionRecord[]): string {
  const lines = ['student_id,assignment,score,max_score,percent,status,graded_at'];
  for (const r of records) {
    const percent = r.maxScore > 0 ? round((100 * r.score) / r.maxScore) : 0;
    lines.push(
      [r.student, r.assignment, round(r.score), round(r.maxScore), percent, r.status, r.gradedAt]
        .map(csvField)
        .join(',')
    );
  }
  return lines.join('\n') + '\n';
}

export async function exportCommand(argv: string[]): Promise<number> {
  // --csv and --lms take an optional file: accept "--csv", "--csv FILE", "--csv=FILE"
  const normalized = argv.flatMap((arg, i) =>
    (arg === '--csv' || arg === '--lms') && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--'))
      ? [`${arg}=-`]
      : [arg]
  );
  const args = parseArgs('export', normalized, {
    csv: { type: 'string' },
    lms: { type: 'string' },
    db: { type: 'string' },
    assignment: { type: 'string' }
  });
  if (args.help) {
    console.log(exportHelp);
    return 0;
  }
  const { csv: perExercise, lms } = args.flags;
  if ((perExercise === undefined) === (lms === undefined))
    throw new UsageError('choose one format: --csv [FILE] or --lms [FILE]', 'export');
  if (args.positionals.length) throw new UsageError(`unexpected argument ${args.positionals[0]}`, 'export');
  const db = String(args.flags.db ?? 'gradebook.sqlite');
  if (!fs.existsSync(db))
    throw new UsageError(`gradebook ${db} does not exist; run \`threadline grade\` first or pass --db`, 'export');
  const gradebook = new Gradebook(db);
  try {
    const records = gradebook.submissions({ assignment: args.flags.assignment as string | undefined });
    const csv = lms !== undefined ? lmsCsv(records) : gradesCsv(records);
    const target = String(lms ?? perExercise);
    if (target === '-') process.stdout.write(csv);
    else fs.writeFileSync(target, csv);
    return 0;
  } finally {
    gradebook.close();
  }
}
