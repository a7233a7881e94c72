/** The support files (modules, data) a grading kernel's working copy of the course gets. */
import fs from 'node:fs';
import path from 'node:path';

/** Instructor material at the top of a course folder (nbgrader's layout): never copied. */
const INSTRUCTOR_DIRS = new Set(['source', 'release', 'submitted', 'autograded', 'feedback']);
/** Never copied from anywhere: tooling, caches, environments. */
const TOOLING_DIRS = new Set(['node_modules', '__pycache__', '.git', '.ipynb_checkpoints']);
const NOTEBOOK_OR_GRADEBOOK = /(\.ipynb|^gradebook\.(db|sqlite3?))$/i;
const MAX_COPY_BYTES = 256 * 1024 * 1024;

/**
 * Copies the support files of a folder (modules, data) into `dest`, never notebooks, gradebooks
 * or the `hidden` paths. The course folder (`course: true`) also keeps its instructor folders
 * and its dotfiles (a `.env` may hold secrets) to itself; an assignment's source folder gives
 * everything else, as nbgrader does. Symbolic links to files are followed.
 */
export function copySupportFiles(fromDir: string, dest: string, options: { course: boolean; hidden?: string[] }): void {
  const hidden = new Set((options.hidden ?? []).map(p => path.resolve(p)));
  let budget = MAX_COPY_BYTES;
  const visit = (from: string, to: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(from, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const src = path.join(from, entry.name);
      const dst = path.join(to, entry.name);
      if ((options.course && entry.name.startsWith('.')) || hidden.has(src)) continue;
      let stat: fs.Stats;
      try {
        stat = fs.statSync(src);
      } catch {
        continue; // a dangling link
      }
      if (stat.isDirectory()) {
        if (entry.isSymbolicLink() || TOOLING_DIRS.has(entry.name) || entry.name.startsWith('.venv') || depth > 6)
          continue;
        if (options.course && depth === 0 && INSTRUCTOR_DIRS.has(entry.name)) continue;
        fs.mkdirSync(dst, { recursive: true });
        visit(src, dst, depth + 1);
      } else if (stat.isFile() && !NOTEBOOK_OR_GRADEBOOK.test(entry.name) && stat.size <= budget) {
        budget -= stat.size;
        fs.copyFileSync(src, dst);
      }
    }
  };
  visit(fromDir, dest, 0);
}
