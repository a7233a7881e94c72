/**
 * The SQLite gradebook's schema and its migrations. The stored version (meta.schema_version) is
 * read when a gradebook opens; every later migration runs in place, in a transaction of its own,
 * and only ever adds (tables, columns): no migration drops or rewrites what a gradebook holds.
 */
import type Database from 'better-sqlite3';

/** Version 1: what `threadline grade` wrote before migrations existed (also a fresh gradebook's start). */
const VERSION_1 = `
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
    PRIMARY KEY (assignment, student));
  CREATE TABLE IF NOT EXISTS grade (
    assignment TEXT NOT NULL, student TEXT NOT NULL, grade_id TEXT NOT NULL, position INTEGER NOT NULL,
    score REAL NOT NULL, max_score REAL NOT NULL, status TEXT NOT NULL, message TEXT NOT NULL,
    PRIMARY KEY (assignment, student, grade_id));
`;

/** Migration N brings a gradebook from version N-1 to N. */
const MIGRATIONS: Record<number, string> = {
  // points and a comment given by a person (threadline manual), kept across regrades
  2: `
    ALTER TABLE grade ADD COLUMN manual_score REAL;
    ALTER TABLE grade ADD COLUMN manual_comment TEXT NOT NULL DEFAULT '';
    ALTER TABLE grade ADD COLUMN manual_at TEXT;
  `,
  // what the grader repaired in each submission, and why (a gradebook from before keeps an empty list)
  3: `
    ALTER TABLE submission ADD COLUMN repairs_json TEXT NOT NULL DEFAULT '[]';
  `
};

export const SCHEMA_VERSION = Math.max(1, ...Object.keys(MIGRATIONS).map(Number));

/** A gradebook written by a newer threadline: opening it could lose what this version does not know. */
export class GradebookVersionError extends Error {
  override readonly name = 'GradebookVersionError';
  constructor(
    readonly file: string,
    readonly version: number
  ) {
    super(
      `${file}: gradebook schema version ${version} is newer than this threadline's (${SCHEMA_VERSION}); ` +
        'upgrade threadline (npm i -g threadline) to open it'
    );
  }
}

/** The stored schema version (1 for a gradebook from before migrations, or a fresh one). */
export function storedVersion(db: Database.Database): number {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
  return row ? Number(row.value) : 1;
}

/** Creates a fresh gradebook or upgrades an older one in place; returns the versions it went through. */
export function migrate(db: Database.Database, file: string): { from: number; to: number } {
  db.exec(VERSION_1);
  db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1')").run();
  const from = storedVersion(db);
  if (from > SCHEMA_VERSION) throw new GradebookVersionError(file, from);
  for (let version = from + 1; version <= SCHEMA_VERSION; version++) {
    // another grader may have migrated meanwhile: the version is read again under the write lock
    db.transaction(() => {
      if (storedVersion(db) >= version) return;
      db.exec(MIGRATIONS[version]!);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(version));
    }).immediate();
  }
  return { from, to: SCHEMA_VERSION };
}
