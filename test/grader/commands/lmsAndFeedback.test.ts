/**
 * What leaves Threadline's own gradebook: the LMS export (one row per student × assignment,
 * safe to open in a spreadsheet), the manual-grading command, and the feedback page (markdown
 * rendered, outputs like a notebook, dark-theme aware, no hidden tests, one student only).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { csvField, lmsCsv } from '../../../src/grader/commands/export.js';
import { feedbackHtml } from '../../../src/grader/commands/feedbackHtml.js';
import { Gradebook, type SubmissionRecord } from '../../../src/grader/engine/gradebook.js';
import { gradedRecord, tempDir } from '../helpers.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');
const tsx = pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const threadline = (args: string[]) =>
  spawnSync(process.execPath, ['--import', tsx, path.join(root, 'src', 'grader', 'commands', 'cli.ts'), ...args], {
    encoding: 'utf8',
    timeout: 120_000
  });

describe('LMS export', () => {
  it(
    'gives one row per student and assignment with score, maximum and percent, manual points included',
    { timeout: 120_000 },
    () => {
      const file = path.join(tempDir('nbgrader-lms-'), 'gradebook.sqlite');
      const gradebook = new Gradebook(file);
      gradebook.save(gradedRecord('ada', { q1: [2, 2], essay: [0, 2, 'manual'] }));
      gradebook.save(gradedRecord('=HYPERLINK("http://x")', { q1: [1, 2], essay: [0, 2, 'manual'] }));
      gradebook.setManual('week1', 'ada', 'essay', 1.5, undefined);
      gradebook.close();
      const result = threadline(['export', '--lms', '--db', file]);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout.trim().split('\n')).toEqual([
        'student_id,assignment,score,max_score,percent,status,graded_at',
        `"'=HYPERLINK(""http://x"")",week1,1,4,25,ok,2026-01-01T00:00:00.000Z`,
        'ada,week1,3.5,4,87.5,ok,2026-01-01T00:00:00.000Z'
      ]);
    }
  );

  it('never lets a cell start a spreadsheet formula', () => {
    for (const text of ['=1+1', '+1', '-2+3', '@SUM(A1)', '\tx', '\rx'])
      expect(csvField(text).replace(/^"/, '')).toMatch(/^'/);
    expect(csvField(-2)).toBe('-2'); // numbers stay numbers
    expect(csvField('plain')).toBe('plain');
    expect(lmsCsv([])).toBe('student_id,assignment,score,max_score,percent,status,graded_at\n');
  });
});

describe('threadline manual', () => {
  it(
    'grades a cell by hand, lists what waits for a person, and refuses what makes no sense',
    { timeout: 300_000 },
    () => {
      const file = path.join(tempDir('nbgrader-manual-'), 'gradebook.sqlite');
      const gradebook = new Gradebook(file);
      gradebook.save(gradedRecord('ada', { q1: [2, 2], essay: [0, 3, 'manual'] }));
      gradebook.close();
      const help = threadline(['manual', '--help']);
      expect(help.status).toBe(0);
      expect(help.stdout).toContain('usage: threadline manual');
      const waiting = threadline(['manual', '--list', '--db', file]);
      expect(waiting.stdout).toContain('week1\tada\tessay\t\t3\twaiting');
      const given = threadline([
        'manual',
        '--db',
        file,
        '--assignment',
        'week1',
        '--student',
        'ada',
        '--cell',
        'essay',
        '--points',
        '2',
        '--comment',
        'Good'
      ]);
      expect(given.status, given.stderr).toBe(0);
      expect(given.stdout.trim()).toBe('ada\tweek1\t4/5');
      expect(threadline(['manual', '--list', '--db', file]).stdout).toContain(
        'week1\tada\tessay\t2\t3\tgraded by hand'
      );
      const tooMany = threadline([
        'manual',
        '--db',
        file,
        '--assignment',
        'week1',
        '--student',
        'ada',
        '--cell',
        'essay',
        '--points',
        '4'
      ]);
      expect(tooMany.status).toBe(1);
      expect(tooMany.stderr).toContain('essay is worth 0 to 3 points');
      expect(
        threadline(['manual', '--db', file, '--assignment', 'week1', '--student', 'ada', '--cell', 'essay']).status
      ).toBe(2);
    }
  );
});

describe('feedback page', () => {
  const page = (edit: (record: SubmissionRecord) => void = () => {}) => {
    const record = gradedRecord('ada', { q1: [2, 2], essay: [0, 3, 'manual'] });
    record.runs = [
      {
        cellType: 'markdown',
        source: '# Week 1\nUse **locks** and `asyncio.gather`.\n\n- one\n- two\n\n<script>alert(1)</script>',
        outputs: [],
        status: 'skipped',
        hidden: false
      },
      {
        gradeId: 'q1',
        cellType: 'code',
        source: 'assert total() == 10',
        outputs: [
          { output_type: 'stream', name: 'stdout', text: 'counting\n' },
          {
            output_type: 'display_data',
            data: { 'text/markdown': '**done**', 'text/html': '<b onclick=x>done</b>' },
            metadata: {}
          }
        ],
        status: 'ok',
        hidden: true
      }
    ];
    edit(record);
    return feedbackHtml(record);
  };

  it('renders markdown cells and outputs like a notebook, without the student’s HTML', () => {
    const html = page();
    expect(html).toContain('<h1>Week 1</h1>');
    expect(html).toContain('<strong>locks</strong>');
    expect(html).toContain('<code>asyncio.gather</code>');
    expect(html).toContain('<ul><li>one</li><li>two</li></ul>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('onclick');
    expect(html).toContain('In [1]:');
    expect(html).toContain('<div class="out md"><p><strong>done</strong></p></div>');
    expect(html).toContain('(has hidden tests, not shown)');
  });

  it('follows the reader’s dark theme and shows a grader’s points and comment', () => {
    const html = page(record => {
      record.grades[1] = { ...record.grades[1]!, manualScore: 2, manualComment: 'Explain the race.' };
    });
    expect(html).toMatch(/@media \(prefers-color-scheme:dark\)/);
    expect(html).toContain('color-scheme:light dark');
    expect(html).toContain('<td>2 / 3</td><td>graded by hand</td>');
    expect(html).toContain('Explain the race.');
  });

  it('shows only this student', { timeout: 120_000 }, () => {
    const dir = tempDir('nbgrader-feedback-');
    const file = path.join(dir, 'gradebook.sqlite');
    const gradebook = new Gradebook(file);
    gradebook.save(gradedRecord('ada', { q1: [2, 2] }));
    gradebook.save(gradedRecord('bob', { q1: [0, 2] }));
    gradebook.close();
    expect(threadline(['feedback', '--db', file, '-o', path.join(dir, 'out')]).status).toBe(0);
    const ada = fs.readFileSync(path.join(dir, 'out', 'ada', 'week1.html'), 'utf8');
    expect(ada).toContain('ada');
    expect(ada).not.toContain('bob');
  });
});
