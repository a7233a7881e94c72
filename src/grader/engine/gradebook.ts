/**
 * The SQLite gradebook: one row per (assignment, student) submission and one per graded cell.
 * Each submission is written in one transaction, so a grader killed with `kill -9` leaves every
 * submission either fully recorded or absent, and a rerun finishes the rest without duplicates.
 */
import Database from 'better-sqlite3';
import type { Repair } from './matching.js';
import type { CellScore } from './scoring.js';
import type { CellRun, SubmissionStatus } from './runner/runResult.js';

const SCHEMA_VERSION = 2;

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
  grades: CellScore[];
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
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS assignment (
        name TEXT PRIMARY KEY, source_path TEXT NOT NULL, source_hash TEXT NOT NULL, max_score REAL NOT NULL);
      CREATE TABLE IF NOT EXISTS grade_cell (
        assignment TEXT NOT NULL, grade_id TEXT NOT NULL, position INTEGER NOT NULL, max_score REAL NOT NULL,
        PRIMARY KEY (assignment, grade_id));
      CREATE TABLE IF NOT EXISTS submission (
        assignment TEXT NOT NULL, student TEXT NOT NULL, path TEXT NOT NULL, file_hash TEXT NOT NULL,
        source_hash TEXT NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL, score REAL NOT NULL,
        max_score REAL NOT NULL, elapsed_ms INTEGER NOT NULL, graded_at TEXT NOT NULL, runs_json TEXT NOT NULL,
        repairs_json TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (assignment, student));
      CREATE TABLE IF NOT EXISTS grade (
        assignment TEXT NOT NULL, student TEXT NOT NULL, grade_id TEXT NOT NULL, position INTEGER NOT NULL,
        score REAL NOT NULL, max_score REAL NOT NULL, status TEXT NOT NULL, message TEXT NOT NULL,
        PRIMARY KEY (assignment, student, grade_id));
    `);
    // version 1 had no repairs: its submissions keep an empty list
    const columns = this.db.prepare('PRAGMA table_info(submission)').all() as { name: string }[];
    if (!columns.some(column => column.name === 'repairs_json'))
      this.db.exec("ALTER TABLE submission ADD COLUMN repairs_json TEXT NOT NULL DEFAULT '[]'");
    this.db
      .prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)')
      .run('schema_version', String(SCHEMA_VERSION));
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
        `INSERT INTO grade (assignment, student, grade_id, position, score, max_score, status, message)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
      );
      record.grades.forEach((grade, position) =>
        insert.run(
          record.assignment,
          record.student,
          grade.gradeId,
          position,
          grade.score,
          grade.maxScore,
          grade.status,
          grade.message
        )
      );
    })();
  }

  private toRecord(row: Record<string, unknown>): SubmissionRecord {
    const grades = this.db
      .prepare(
        `SELECT grade_id AS gradeId, score, max_score AS maxScore, status, message
         FROM grade WHERE assignment = ? AND student = ? ORDER BY position`
      )
      .all(row.assignment, row.student) as CellScore[];
    return {
      assignment: String(row.assignment),
      student: String(row.student),
      path: String(row.path),
      fileHash: String(row.file_hash),
      sourceHash: String(row.source_hash),
      status: row.status as SubmissionStatus,
      reason: String(row.reason),
      score: Number(row.score),
      maxScore: Number(row.max_score),
      elapsedMs: Number(row.elapsed_ms),
      gradedAt: String(row.graded_at),
      grades,
      runs: JSON.parse(String(row.runs_json)) as CellRun[],
      repairs: JSON.parse(String(row.repairs_json ?? '[]')) as Repair[]
    };
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
