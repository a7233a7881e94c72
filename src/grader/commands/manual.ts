/** `threadline manual`: points and comments given by a person, in Threadline's own gradebook. */
import fs from 'node:fs';
import { parseArgs } from './args.js';
import { UsageError } from '../engine/errors.js';
import { finalScore, Gradebook } from '../engine/gradebook.js';

export const manualHelp = `\
usage: threadline manual --assignment NAME --student ID --cell GRADE_ID (--points P | --clear) [--comment TEXT] [--db F]
       threadline manual --list [--assignment NAME] [--db F]

Grades a cell by hand in the gradebook \`threadline grade\` writes (nbgrader courses: use
\`threadline autograde\` and nbgrader's formgrader instead). A person's points replace the
autograder's for that cell, in totals, feedback and exports, and stay when the submission is
graded again (capped at the cell's points if the assignment changed). --list shows the cells
waiting for a person (written answers, task cells) and those already graded by hand.

options:
  --assignment NAME   the assignment (notebook name without .ipynb)
  --student ID        the student
  --cell GRADE_ID     the graded cell (its nbgrader grade_id)
  --points P          points between 0 and the cell's maximum
  --clear             remove the manual points (back to the autograder's score)
  --comment TEXT      a comment the student sees in the feedback page
  --list              list cells to grade by hand (tab-separated)
  --db FILE           gradebook (default gradebook.sqlite)
  -h, --help          show this help

exit codes: 0 ok, 1 no such submission or cell, points out of range, 2 wrong usage`;

export async function manualCommand(argv: string[]): Promise<number> {
  const args = parseArgs('manual', argv, {
    assignment: { type: 'string' },
    student: { type: 'string' },
    cell: { type: 'string' },
    points: { type: 'string' },
    clear: { type: 'boolean' },
    comment: { type: 'string' },
    list: { type: 'boolean' },
    db: { type: 'string' }
  });
  if (args.help) {
    console.log(manualHelp);
    return 0;
  }
  const f = args.flags;
  if (args.positionals.length) throw new UsageError(`unexpected argument ${args.positionals[0]}`, 'manual');
  const db = String(f.db ?? 'gradebook.sqlite');
  if (!fs.existsSync(db))
    throw new UsageError(`gradebook ${db} does not exist; run \`threadline grade\` first or pass --db`, 'manual');
  const gradebook = new Gradebook(db);
  try {
    if (f.list) {
      console.log('assignment\tstudent\tgrade_id\tpoints\tmax\tstate');
      for (const record of gradebook.submissions({ assignment: f.assignment as string | undefined }))
        for (const grade of record.grades) {
          const byHand = grade.manualScore !== null && grade.manualScore !== undefined;
          if (grade.status !== 'manual' && !byHand) continue;
          const state = byHand ? 'graded by hand' : 'waiting';
          const points = byHand ? String(finalScore(grade)) : '';
          console.log([record.assignment, record.student, grade.gradeId, points, grade.maxScore, state].join('\t'));
        }
      return 0;
    }
    for (const name of ['assignment', 'student', 'cell'])
      if (typeof f[name] !== 'string') throw new UsageError(`--${name} is required (or --list)`, 'manual');
    if ((f.points === undefined) === !f.clear) throw new UsageError('give either --points P or --clear', 'manual');
    let points: number | null = null;
    if (f.points !== undefined) {
      points = Number(f.points);
      if (String(f.points).trim() === '' || !Number.isFinite(points))
        throw new UsageError(`--points needs a number, got "${String(f.points)}"`, 'manual');
    }
    const record = gradebook.setManual(
      String(f.assignment),
      String(f.student),
      String(f.cell),
      points,
      f.comment as string | undefined
    );
    console.log(`${record.student}\t${record.assignment}\t${record.score}/${record.maxScore}`);
    return 0;
  } finally {
    gradebook.close();
  }
}
