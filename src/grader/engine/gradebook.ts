/**
 * The SQLite gradebook: one row per (assignment, student) submission and one per graded cell.
 * Each submission is written in one transaction, so a grader killed with `kill -9` leaves every
 * submission either fully recorded or absent, and a rerun finishes the rest without duplicates.
 */
import Database from 'better-sqlite3';
import type { Repair } from './matching.js';
import type { CellScore } from './scoring.js';
import type { CellRun, SubmissionStatus } from './runner/runResult.js';
import { migrate } from './gradebookSchema.js';

/** Points a person gave a cell (threadline manual): they replace the autograder's score. */
export interface ManualGrade {
  manualScore: number | null;
  manualComment: string;
}

/** A cell's grade as the gradebook holds it: the autograder's, and a person's when there is one. */
export type GradeRow = CellScore & Partial<ManualGrade>;

/** What counts for a cell: a person's points when given, else the autograder's. */
export function finalScore(grade: GradeRow): number {
  return grade.manualScore ?? grade.score;
}

/** A grade_id the gradebook does not have for that submission, or points out of range. */
export class ManualGradeError extends Error {
  override readonly name = 'ManualGradeError';
}

export interface SubmissionRecord {
  assignment: string;
  student: string;
  path: string;
  /** sha256 of the submission file: a changed file is regraded on resume */
  fileHash: string;
  /** sha256 of the source notebook: a changed source regrades everything */
  sourceHash: string;
  status: SubmissionStatus;
  reason: string;
  score: number;
  maxScore: number;
  elapsedMs: number;
  gradedAt: string;
  grades: GradeRow[];
  /** what each cell did, for feedback (hidden tests already redacted) */
  runs: CellRun[];
  /** what the grader repaired in the submission (a restored test cell, a duplicate counted once…), and why */
  repairs: Repair[];
}

export class Gradebook {
  private readonly db: Database.Database;

  constructor(readonly file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 10000');
    migrate(this.db, file);
  }

  /** Records the assignment; returns true when its source changed since the last run. */
  upsertAssignment(
    name: string,
    sourcePath: string,
    sourceHash: string,
    cells: { gradeId: string; points: number }[]
  ): boolean {
    const previous = this.db.prepare('SELECT source_hash AS hash FROM assignment WHERE name = ?').get(name) as
      { hash: string } | undefined;
    const maxScore = cells.reduce((sum, cell) => sum + cell.points, 0);
    this.db.transaction(() => {
      this.db
        .prepare('INSERT OR REPLACE INTO assignment (name, source_path, source_hash, max_score) VALUES (?, ?, ?, ?)')
        .run(name, sourcePath, sourceHash, maxScore);
      this.db.prepare('DELETE FROM grade_cell WHERE assignment = ?').run(name);
      const insert = this.db.prepare(
        'INSERT INTO grade_cell (assignment, grade_id, position, max_score) VALUES (?, ?, ?, ?)'
      );
      cells.forEach((cell, position) => insert.run(name, cell.gradeId, position, cell.points));
    })();
    return previous !== undefined && previous.hash !== sourceHash;
  }

  /** The already graded submission, if its file and source are unchanged (what resume skips). */
  finished(assignment: string, student: string, fileHash: string, sourceHash: string): SubmissionRecord | undefined {
    const row = this.db
      .prepare(
        `SELECT * FROM submission
         WHERE assignment = ? AND student = ? AND file_hash = ? AND source_hash = ? AND status != 'error'`
      )
      .get(assignment, student, fileHash, sourceHash) as Record<string, unknown> | undefined;
    return row ? this.toRecord(row) : undefined;
  }

  /** Writes one submission and its grades in a single transaction (replacing an earlier grading). */
  save(record: SubmissionRecord): void {
    this.db.transaction(() => {
      // what a person graded stays when the autograder grades the submission again
      const manual = new Map(
        (
          this.db
            .prepare(
              `SELECT grade_id, manual_score, manual_comment, manual_at FROM grade
               WHERE assignment = ? AND student = ? AND (manual_score IS NOT NULL OR manual_comment != '')`
            )
            .all(record.assignment, record.student) as {
            grade_id: string;
            manual_score: number | null;
            manual_comment: string;
            manual_at: string | null;
          }[]
        ).map(row => [row.grade_id, row])
      );
      this.db.prepare('DELETE FROM grade WHERE assignment = ? AND student = ?').run(record.assignment, record.student);
      this.db
        .prepare(
          `INSERT OR REPLACE INTO submission (assignment, student, path, file_hash, source_hash, status, reason, score,
                                               max_score, elapsed_ms, graded_at, runs_json, repairs_json)
           VALUES (@assignment, @student, @path, @fileHash, @sourceHash, @status, @reason, @score,
                   @maxScore, @elapsedMs, @gradedAt, @runsJson, @repairsJson)`
        )
        .run({ ...record, runsJson: JSON.stringify(record.runs), repairsJson: JSON.stringify(record.repairs) });
      const insert = this.db.prepare(
        `INSERT INTO grade (assignment, student, grade_id, position, score, max_score, status, message,
                            manual_score, manual_comment, manual_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
      );
      record.grades.forEach((grade, position) => {
        const kept = manual.get(grade.gradeId);
        const manualScore = kept?.manual_score == null ? null : Math.min(kept.manual_score, grade.maxScore);
        insert.run(
          record.assignment,
          record.student,
          grade.gradeId,
          position,
          grade.score,
          grade.maxScore,
          grade.status,
          grade.message,
          manualScore,
          kept?.manual_comment ?? '',
          kept?.manual_at ?? null
        );
      });
    })();
  }

  private toRecord(row: Record<string, unknown>): SubmissionRecord {
    const grades = this.db
      .prepare(
        `SELECT grade_id AS gradeId, score, max_score AS maxScore, status, message,
                manual_score AS manualScore, manual_comment AS manualComment
         FROM grade WHERE assignment = ? AND student = ? ORDER BY position`
      )
      .all(row.assignment, row.student) as GradeRow[];
    return {
      assignment: String(row.assignment),
      student: String(row.student),
      path: String(row.path),
      fileHash: String(row.file_hash),
      sourceHash: String(row.source_hash),
      status: row.status as SubmissionStatus,
      reason: String(row.reason),
      // a person's points replace the autograder's
      score: grades.length ? grades.reduce((sum, grade) => sum + finalScore(grade), 0) : Number(row.score),
      maxScore: Number(row.max_score),
      elapsedMs: Number(row.elapsed_ms),
      gradedAt: String(row.graded_at),
      grades,
      runs: JSON.parse(String(row.runs_json)) as CellRun[],
      repairs: JSON.parse(String(row.repairs_json ?? '[]')) as Repair[]
    };
  }

  /**
   * Gives a cell of one submission points by hand (null: back to the autograder's score) and a
   * comment; returns the submission as it now stands.
   */
  setManual(
    assignment: string,
    student: string,
    gradeId: string,
    points: number | null,
    comment: string | undefined
  ): SubmissionRecord {
    this.db.transaction(() => {
      const row = this.db
        .prepare('SELECT max_score AS maxScore FROM grade WHERE assignment = ? AND student = ? AND grade_id = ?')
        .get(assignment, student, gradeId) as { maxScore: number } | undefined;
      if (!row) {
        const known = (
          this.db
            .prepare('SELECT grade_id FROM grade WHERE assignment = ? AND student = ? ORDER BY position')
            .all(assignment, student) as { grade_id: string }[]
        ).map(r => r.grade_id);
        throw new ManualGradeError(
          known.length
            ? `${assignment}/${student} has no graded cell "${gradeId}"; it has: ${known.join(', ')}`
            : `the gradebook has no graded submission of ${assignment} by ${student}; grade it first (threadline grade)`
        );
      }
      if (points !== null && !(points >= 0 && points <= row.maxScore))
        throw new ManualGradeError(`${gradeId} is worth 0 to ${row.maxScore} points; ${points} is out of range`);
      this.db
        .prepare(
          `UPDATE grade SET manual_score = ?, manual_comment = COALESCE(?, manual_comment), manual_at = ?
           WHERE assignment = ? AND student = ? AND grade_id = ?`
        )
        .run(points, comment ?? null, new Date().toISOString(), assignment, student, gradeId);
    })();
    return this.submissions({ assignment, student })[0]!;
  }

  submissions(filter: { assignment?: string; student?: string } = {}): SubmissionRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM submission
         WHERE (@assignment IS NULL OR assignment = @assignment) AND (@student IS NULL OR student = @student)
         ORDER BY assignment, student`
      )
      .all({ assignment: filter.assignment ?? null, student: filter.student ?? null }) as Record<string, unknown>[];
    return rows.map(row => this.toRecord(row));
  }

  close(): void {
    this.db.close();
  }
}
