/**
 * Finding submissions and who they belong to: nbgrader's layout
 * `DIR/<student>/<assignment>/<notebook>.ipynb`, `DIR/<student>/<notebook>.ipynb`, or files
 * whose stem is the student id (`DIR/<student>.ipynb`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors.js';

export interface SubmissionFile {
  student: string;
  path: string;
  /** support files copied over the submission's folder for this submission only (nbgrader's autograded/<student>/<assignment>) */
  overlay?: string;
}

/**
 * Student id of a submission file given on the command line: its stem, unless it is named like
 * the assignment's notebook — then its folder (`<student>/<notebook>.ipynb`), or the folder above
 * when the folder is the assignment's (`<student>/<assignment>/<notebook>.ipynb`, nbgrader).
 */
export function studentOf(file: string, notebookFileName: string, assignmentDirName?: string): string {
  const resolved = path.resolve(file);
  if (path.basename(resolved) !== notebookFileName) return path.basename(resolved).replace(/\.ipynb$/i, '');
  const parent = path.dirname(resolved);
  if (assignmentDirName && path.basename(parent) === assignmentDirName) return path.basename(path.dirname(parent));
  return path.basename(parent);
}

/**
 * All submissions of `notebookFileName` below DIR, sorted by student id. In nbgrader's layout a
 * student folder holds one folder per assignment, and notebooks of different assignments may share
 * a name (ps1/problem1.ipynb, ps2/problem1.ipynb): the one in `assignmentDirName` (the source's
 * folder name, as nbgrader's source/<assignment>/) is taken when it is there.
 */
export function findSubmissions(dir: string, notebookFileName: string, assignmentDirName?: string): SubmissionFile[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new UsageError(`--submissions ${dir}: not a folder`, 'grade');
  const found = new Map<string, string>();
  const add = (student: string, file: string) => {
    if (found.has(student))
      throw new UsageError(
        `student "${student}" has two submissions: ${found.get(student)} and ${file}; keep one`,
        'grade'
      );
    found.set(student, file);
  };
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isFile() && /\.ipynb$/i.test(entry.name)) {
      add(entry.name.replace(/\.ipynb$/i, ''), full);
    } else if (entry.isDirectory()) {
      const direct = path.join(full, notebookFileName);
      if (fs.existsSync(direct)) {
        add(entry.name, direct);
        continue;
      }
      const ownAssignment = assignmentDirName ? path.join(full, assignmentDirName, notebookFileName) : undefined;
      if (ownAssignment && fs.existsSync(ownAssignment)) {
        add(entry.name, ownAssignment);
        continue;
      }
      for (const sub of fs.readdirSync(full, { withFileTypes: true })) {
        const nested = path.join(full, sub.name, notebookFileName);
        if (sub.isDirectory() && fs.existsSync(nested)) add(entry.name, nested);
      }
    }
  }
  return [...found]
    .map(([student, file]) => ({ student, path: file }))
    .sort((a, b) => (a.student < b.student ? -1 : a.student > b.student ? 1 : 0));
}
