/** What a grading kernel's working copy gets from the course folder and the assignment's source folder. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copySupportFiles } from '../../../src/grader/engine/supportFiles.js';
import { tempDir } from '../helpers.js';

function tree(root: string, files: string[]): void {
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), file);
  }
}

function listing(root: string): string[] {
  return (fs.readdirSync(root, { recursive: true }) as string[])
    .filter(p => fs.statSync(path.join(root, p)).isFile())
    .sort();
}

describe('support files', () => {
  it('from the course folder: no instructor folders, notebooks, gradebooks, dotfiles or hidden paths', () => {
    const course = tempDir('tl-support-course-');
    tree(course, [
      'helper.py',
      'data/values.csv',
      'data/source/kept.txt',
      'source/ps1/ps1.ipynb',
      'submitted/a/ps1/ps1.ipynb',
      'gradebook.db',
      'grades.sqlite',
      '.env',
      'lesson.ipynb',
      'node_modules/x.js',
      'my.db'
    ]);
    const dest = tempDir('tl-support-dest-');
    copySupportFiles(course, dest, { course: true, hidden: [path.join(course, 'grades.sqlite')] });
    expect(listing(dest)).toEqual(['data/source/kept.txt', 'data/values.csv', 'helper.py', 'my.db']);
  });

  it("from an assignment's source folder: what nbgrader gives, dotfiles, data and linked files included", () => {
    const source = tempDir('tl-support-source-');
    tree(source, ['ps1.ipynb', 'words.txt', '.hidden.txt', 'source/x.txt', 'data.db']);
    const outside = tempDir('tl-support-outside-');
    tree(outside, ['target.txt']);
    fs.symlinkSync(path.join(outside, 'target.txt'), path.join(source, 'linked.txt'));
    const dest = tempDir('tl-support-dest-');
    copySupportFiles(source, dest, { course: false });
    expect(listing(dest)).toEqual(['.hidden.txt', 'data.db', 'linked.txt', 'source/x.txt', 'words.txt']);
    expect(fs.readFileSync(path.join(dest, 'linked.txt'), 'utf8')).toBe('target.txt');
  });
});
