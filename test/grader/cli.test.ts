/** The `threadline` command line as a script uses it: help, errors, exit codes, JSON, resume after kill -9. */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  courseDir,
  setSource,
  sourcePath,
  studentPath,
  submission,
  studentVersion,
  tempDir,
  writeSubmissions
} from './helpers.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const cli = path.join(root, 'src', 'grader', 'commands', 'cli.ts');
// by URL, so that the CLI can run from any working directory
const tsx = pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

// each test starts the CLI (tsx, a kernel) several times in a row: minutes on a loaded machine
const CLI_TIMEOUT_MS = 240_000;

function threadline(args: string[], cwd = root, env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(process.execPath, ['--import', tsx, cli, ...args], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: 180_000
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('threadline CLI', () => {
  it(
    'has --help on every command and rejects wrong usage with exit code 2',
    () => {
      for (const command of ['release', 'validate', 'grade', 'feedback', 'export']) {
        const help = threadline([command, '--help']);
        expect(help.code, command).toBe(0);
        expect(help.stdout).toContain(`usage: threadline ${command}`);
      }
      const bad = threadline(['grade', '--source', sourcePath, '--jobz', '2', 'x.ipynb']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/unknown option --jobz \(did you mean --jobs\?\)/);
      expect(threadline(['grade', 'x.ipynb']).stderr).toMatch(/--source SOURCE.ipynb is required/);
      expect(threadline(['frobnicate']).code).toBe(2);
      expect(threadline(['grade', '--source', sourcePath, '--timeout', 'soon', 'x.ipynb']).stderr).toMatch(
        /--timeout needs a positive number/
      );
      expect(threadline(['grade', '--source', sourcePath, '--server-cwd', 'course', 'x.ipynb']).stderr).toMatch(
        /--server-cwd needs --server URL/
      );
      const localFolder = threadline(['validate', sourcePath, '--server', 'http://127.0.0.1:9/', '--cwd', courseDir]);
      expect(localFolder.code).toBe(2);
      expect(localFolder.stderr).toMatch(/with --server, give the folder on the server with --server-cwd/);
    },
    CLI_TIMEOUT_MS
  );

  it(
    'validate passes the source, and scores the student version 0 without crashing',
    () => {
      const source = threadline(['validate', sourcePath, '--cwd', courseDir]);
      expect(source.code, source.stdout + source.stderr).toBe(0);
      expect(source.stdout).toMatch(/✓ test_gather/);
      const student = threadline(['validate', studentPath, '--json']);
      expect(student.code).toBe(1);
      const [report] = JSON.parse(student.stdout) as {
        score: number;
        exercises: { gradeId: string; passed: boolean; message: string }[];
      }[];
      expect(report!.score).toBe(0);
      expect(report!.exercises.find(e => e.gradeId === 'test_double')!.message).toBe('NotImplementedError');
      expect(threadline(['validate', studentPath, '--expect-fail']).code).toBe(0);
      expect(threadline(['validate', sourcePath, '--cwd', courseDir, '--expect-fail']).code).toBe(1);
    },
    CLI_TIMEOUT_MS
  );

  it(
    'grades into a gradebook, prints JSON, writes feedback without hidden tests and exports CSV',
    () => {
      const dir = tempDir('tl-cli-');
      writeSubmissions(path.join(dir, 'subs'), { ada: submission(), bo: studentVersion(), cy: '{"broken' });
      const db = path.join(dir, 'gb.sqlite');
      const graded = threadline([
        'grade',
        '--source',
        sourcePath,
        '--submissions',
        path.join(dir, 'subs'),
        '--db',
        db,
        '--cwd',
        courseDir,
        '--jobs',
        '2',
        '--json'
      ]);
      expect(graded.code, graded.stderr).toBe(1); // cy is not a notebook
      const results = JSON.parse(graded.stdout) as {
        student: string;
        score: number;
        status: string;
        grades: Record<string, { score: number }>;
      }[];
      expect(results.map(r => [r.student, r.score, r.status])).toEqual([
        ['ada', 7, 'ok'],
        ['bo', 0, 'ok'],
        ['cy', 0, 'invalid-notebook']
      ]);
      expect(results[0]!.grades.test_count!.score).toBe(3);

      const feedback = threadline(['feedback', '--db', db, '-o', path.join(dir, 'fb')]);
      expect(feedback.code).toBe(0);
      const page = fs.readFileSync(path.join(dir, 'fb', 'bo', 'tiny.html'), 'utf8');
      expect(page).toContain('NotImplementedError');
      expect(page).toContain('tiny: 0 / 8');
      expect(page).not.toContain('double(-3)');
      expect(page).not.toContain('HIDDEN');

      const csv = threadline(['export', '--csv', '--db', db]);
      expect(csv.code).toBe(0);
      const lines = csv.stdout.trim().split('\n');
      expect(lines[0]).toBe('assignment,student,grade_id,score,max_score,status,message');
      expect(lines).toContain('tiny,ada,total,7,8,ok,');
      expect(lines.filter(line => line.startsWith('tiny,bo,'))).toHaveLength(6);
    },
    CLI_TIMEOUT_MS
  );

  it(
    'grades an nbgrader course folder as is: support files come from the source folder',
    () => {
      const course = tempDir('tl-nbgrader-layout-');
      const assignmentDir = path.join(course, 'source', 'ps1');
      fs.mkdirSync(assignmentDir, { recursive: true });
      fs.copyFileSync(sourcePath, path.join(assignmentDir, 'tiny.ipynb'));
      fs.copyFileSync(path.join(courseDir, 'helper.py'), path.join(assignmentDir, 'helper.py'));
      for (const [student, nb] of Object.entries({ alice: submission(), bob: studentVersion() })) {
        fs.mkdirSync(path.join(course, 'submitted', student, 'ps1'), { recursive: true });
        fs.writeFileSync(path.join(course, 'submitted', student, 'ps1', 'tiny.ipynb'), JSON.stringify(nb));
      }
      // a file of the student's that would stand in for what the kernel loads at start-up
      fs.writeFileSync(path.join(course, 'submitted', 'bob', 'ps1', 'ipykernel_launcher.py'), 'raise SystemExit(1)\n');
      const graded = threadline(
        ['grade', '--source', 'source/ps1/tiny.ipynb', '--submissions', 'submitted', '--json', '--quiet'],
        course
      );
      const results = JSON.parse(graded.stdout) as { student: string; score: number; status: string }[];
      expect(results.map(r => [r.student, r.score, r.status])).toEqual([
        ['alice', 7, 'ok'],
        ['bob', 0, 'ok']
      ]);
      expect(fs.existsSync(path.join(course, 'gradebook.sqlite'))).toBe(true);
    },
    CLI_TIMEOUT_MS
  );

  it('leaves no working copy or kernel behind when stopped with SIGTERM', async () => {
    const dir = tempDir('tl-sigterm-');
    const tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp);
    writeSubmissions(path.join(dir, 'subs'), {
      s1: submission(nb => setSource(nb, 'double', 'import time\ntime.sleep(60)'))
    });
    const args = [
      'grade',
      '--source',
      sourcePath,
      '--submissions',
      path.join(dir, 'subs'),
      '--db',
      path.join(dir, 'gb.sqlite'),
      '--cwd',
      courseDir,
      '--quiet'
    ];
    const child = spawn(process.execPath, ['--import', tsx, cli, ...args], {
      cwd: root,
      stdio: 'ignore',
      env: { ...process.env, TMPDIR: tmp }
    });
    const copies = () => fs.readdirSync(tmp).filter(name => name.startsWith('threadline-grade-'));
    const started = Date.now();
    while (copies().length === 0 && Date.now() - started < 60_000) await new Promise(r => setTimeout(r, 100));
    expect(copies().length).toBeGreaterThan(0);
    // a kernel runs (its command line names the folder it must not see)
    const kernels = () => spawnSync('pgrep', ['-f', dir]).stdout.toString().trim();
    while (!kernels() && Date.now() - started < 60_000) await new Promise(r => setTimeout(r, 100));
    expect(kernels()).not.toBe('');
    child.kill('SIGTERM');
    await new Promise(r => child.once('exit', r));
    expect(copies()).toEqual([]);
    expect(spawnSync('pgrep', ['-f', dir]).stdout.toString().trim()).toBe('');
  }, 120_000);

  it('resumes after kill -9 without duplicates and without its working copies, and --regrade grades everything again', async () => {
    const dir = tempDir('tl-resume-');
    const tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp);
    const env = { ...process.env, TMPDIR: tmp };
    const slow = (name: string) =>
      submission(nb =>
        setSource(nb, 'double', `import time\ntime.sleep(1.5)\ndef double(x):\n    return 2 * x  # ${name}`)
      );
    const students = ['s1', 's2', 's3', 's4', 's5'];
    writeSubmissions(path.join(dir, 'subs'), Object.fromEntries(students.map(s => [s, slow(s)])));
    const db = path.join(dir, 'gb.sqlite');
    const args = [
      'grade',
      '--source',
      sourcePath,
      '--submissions',
      path.join(dir, 'subs'),
      '--db',
      db,
      '--cwd',
      courseDir,
      '--jobs',
      '1',
      '--json',
      '--quiet'
    ];
    const child = spawn(process.execPath, ['--import', tsx, cli, ...args], { cwd: root, stdio: 'ignore', env });
    const count = () => {
      if (!fs.existsSync(db)) return 0;
      const conn = new Database(db, { readonly: true, fileMustExist: true });
      try {
        return (
          conn.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'submission'").get() as { n: number }
        ).n
          ? (conn.prepare('SELECT count(*) AS n FROM submission').get() as { n: number }).n
          : 0;
      } finally {
        conn.close();
      }
    };
    const started = Date.now();
    while (count() < 2 && Date.now() - started < 120_000) await new Promise(r => setTimeout(r, 100));
    child.kill('SIGKILL');
    await new Promise(r => child.once('exit', r));
    // its kernels go with it (their command lines name the folder they must not see)
    const kernelsLeft = () => spawnSync('pgrep', ['-f', dir]).stdout.toString().trim();
    const killedAt = Date.now();
    while (kernelsLeft() && Date.now() - killedAt < 10_000) await new Promise(r => setTimeout(r, 100));
    expect(kernelsLeft()).toBe('');
    const before = count();
    expect(before).toBeGreaterThanOrEqual(2);
    expect(before).toBeLessThan(students.length);
    // SIGKILL runs no clean-up: its kernels' working copies are still there, named after it
    const copiesOf = (pid: number) =>
      fs.readdirSync(tmp).filter(name => new RegExp(`^threadline-\\w+-\\d+-${pid}-`).test(name));
    expect(copiesOf(child.pid!).length).toBeGreaterThan(0);

    const rerun = threadline(args, root, env);
    expect(copiesOf(child.pid!)).toEqual([]);
    expect(rerun.code, rerun.stderr).toBe(0);
    const results = JSON.parse(rerun.stdout) as { student: string; score: number; resumed: boolean }[];
    expect(results.map(r => [r.student, r.score])).toEqual(students.map(s => [s, 7]));
    expect(results.filter(r => r.resumed).length).toBe(before);
    const conn = new Database(db, { readonly: true });
    expect((conn.prepare('SELECT count(*) AS n FROM submission').get() as { n: number }).n).toBe(students.length);
    expect((conn.prepare('SELECT count(*) AS n FROM grade').get() as { n: number }).n).toBe(students.length * 5);
    conn.close();

    const again = threadline([...args, '--regrade']);
    expect((JSON.parse(again.stdout) as { resumed: boolean }[]).every(r => !r.resumed)).toBe(true);
  }, 240_000);
});
