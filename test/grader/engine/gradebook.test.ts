/**
 * Threadline's own gradebook (real SQLite): a gradebook written before migrations existed is
 * upgraded in place without losing a row, points given by hand count and survive a regrade, and
 * a gradebook from a newer threadline is refused rather than damaged.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Gradebook, ManualGradeError } from '../../../src/grader/engine/gradebook.js';
import { GradebookVersionError, SCHEMA_VERSION } from '../../../src/grader/engine/gradebookSchema.js';
import { gradedRecord as record, tempDir } from '../helpers.js';

/** A gradebook as threadline 0.1 wrote it (schema 1, no migrations). */
function versionOneGradebook(file: string): void {
  const db = new Database(file);
  db.exec(`
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE assignment (name TEXT PRIMARY KEY, source_path TEXT NOT NULL, source_hash TEXT NOT NULL, max_score REAL NOT NULL);
    CREATE TABLE grade_cell (assignment TEXT NOT NULL, grade_id TEXT NOT NULL, position INTEGER NOT NULL, max_score REAL NOT NULL,
      PRIMARY KEY (assignment, grade_id));
    CREATE TABLE submission (assignment TEXT NOT NULL, student TEXT NOT NULL, path TEXT NOT NULL, file_hash TEXT NOT NULL,
      source_hash TEXT NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL, score REAL NOT NULL, max_score REAL NOT NULL,
      elapsed_ms INTEGER NOT NULL, graded_at TEXT NOT NULL, runs_json TEXT NOT NULL, PRIMARY KEY (assignment, student));
    CREATE TABLE grade (assignment TEXT NOT NULL, student TEXT NOT NULL, grade_id TEXT NOT NULL, position INTEGER NOT NULL,
      score REAL NOT NULL, max_score REAL NOT NULL, status TEXT NOT NULL, message TEXT NOT NULL,
      PRIMARY KEY (assignment, student, grade_id));
    INSERT INTO meta VALUES ('schema_version', '1');
    INSERT INTO submission VALUES ('week1', 'ada', 'ada.ipynb', 'f', 's', 'ok', '', 2, 5, 7, '2026-01-01', '[]');
    INSERT INTO grade VALUES ('week1', 'ada', 'q1', 0, 2, 2, 'passed', '');
    INSERT INTO grade VALUES ('week1', 'ada', 'essay', 1, 0, 3, 'manual', 'needs manual grading');
  `);
  db.close();
}

describe('gradebook migrations', () => {
  it('upgrades a version 1 gradebook in place, keeping every row', () => {
    const file = path.join(tempDir('nbgrader-gb-'), 'gradebook.sqlite');
    versionOneGradebook(file);
    const gradebook = new Gradebook(file);
    const [ada] = gradebook.submissions();
    expect(ada).toMatchObject({ student: 'ada', score: 2, maxScore: 5, elapsedMs: 7 });
    expect(ada!.grades.map(g => [g.gradeId, g.score, g.status, g.manualScore])).toEqual([
      ['q1', 2, 'passed', null],
      ['essay', 0, 'manual', null]
    ]);
    gradebook.close();
    const db = new Database(file);
    expect(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get()).toEqual({
      value: String(SCHEMA_VERSION)
    });
    db.close();
    // opening again is a no-op
    new Gradebook(file).close();
  });

  it('refuses a gradebook from a newer threadline and leaves it untouched', () => {
    const file = path.join(tempDir('nbgrader-gb-'), 'gradebook.sqlite');
    new Gradebook(file).close();
    const db = new Database(file);
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    db.close();
    expect(() => new Gradebook(file)).toThrow(GradebookVersionError);
    expect(() => new Gradebook(file)).toThrow(/version 99 is newer .* upgrade threadline/);
  });
});

describe('manual grades', () => {
  it('replace the autograder’s points in the total and stay when the submission is graded again', () => {
    const file = path.join(tempDir('nbgrader-gb-'), 'gradebook.sqlite');
    const gradebook = new Gradebook(file);
    gradebook.save(record('ada', { q1: [2, 2], essay: [0, 3, 'manual'] }));
    const graded = gradebook.setManual('week1', 'ada', 'essay', 2.5, 'Clear, but say why the lock is needed.');
    expect(graded.score).toBe(4.5);
    expect(graded.grades[1]).toMatchObject({
      manualScore: 2.5,
      manualComment: 'Clear, but say why the lock is needed.'
    });
    gradebook.save(record('ada', { q1: [0, 2], essay: [0, 3, 'manual'] })); // regraded: q1 now fails
    const [again] = gradebook.submissions();
    expect(again!.score).toBe(2.5);
    expect(again!.grades[1]).toMatchObject({
      manualScore: 2.5,
      manualComment: 'Clear, but say why the lock is needed.'
    });
    expect(gradebook.setManual('week1', 'ada', 'essay', null, undefined).score).toBe(0);
    gradebook.close();
  });

  it('refuses points out of range and cells the submission does not have, naming what exists', () => {
    const gradebook = new Gradebook(path.join(tempDir('nbgrader-gb-'), 'gradebook.sqlite'));
    gradebook.save(record('ada', { q1: [2, 2] }));
    expect(() => gradebook.setManual('week1', 'ada', 'q1', 3, undefined)).toThrow(/worth 0 to 2 points; 3/);
    expect(() => gradebook.setManual('week1', 'ada', 'q9', 1, undefined)).toThrow(ManualGradeError);
    expect(() => gradebook.setManual('week1', 'ada', 'q9', 1, undefined)).toThrow(/it has: q1/);
    expect(() => gradebook.setManual('week1', 'bob', 'q1', 1, undefined)).toThrow(/no graded submission/);
    gradebook.close();
  });
});
