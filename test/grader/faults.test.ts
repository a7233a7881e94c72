/**
 * Grading real kernels through every fault a class of submissions brings: each case states its
 * expected score (of 7 autograded points) and status. The fixture has four exercises:
 * test_double (1), test_gather (2), test_count (3, partial credit), test_unique (1).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAssignment } from '../../src/grader/engine/assignment.js';
import { Gradebook, type SubmissionRecord } from '../../src/grader/engine/gradebook.js';
import { gradeSubmissions, sha256 } from '../../src/grader/engine/gradeRun.js';
import { LocalKernelFactory } from '../../src/grader/engine/localKernelFactory.js';
import { isolationProblem } from '../../src/grader/sandbox/isolation.js';
import { KernelSandbox } from '../../src/grader/sandbox/kernelSandbox.js';
import { readNotebook, type Notebook } from '../../src/grader/engine/notebook.js';
import { DEFAULT_RUN_OPTIONS } from '../../src/grader/engine/runner/runOptions.js';
import { findSubmissions } from '../../src/grader/engine/submissions.js';
import { venvPython } from '../kernel/helpers.js';
import {
  cellIndex,
  courseDir,
  setSource,
  sourcePath,
  streamText,
  submission,
  studentVersion,
  tempDir,
  writeSubmissions
} from './helpers.js';

// a secret in the grader's environment that submissions must not see
process.env.THREADLINE_TEST_TOKEN = 'not-for-students';
process.env.DATABASE_URL = 'postgres://grader:hunter2@db/grades';

const LIMITS = { memoryMb: 512, maxProcesses: 64, cpuSeconds: 300, maxFileMb: 64 };

const sandboxProbe = new KernelSandbox(LIMITS, 'python3', 'probe');
const forkBombIsContained = sandboxProbe.pidsCgroup || process.getuid?.() !== 0;
await sandboxProbe.dispose();

/** The student version (every test fails) plus one cell after the imports. */
function forged(code: string): Case {
  const nb = studentVersion();
  nb.cells.splice(cellIndex(nb, 'imports') + 1, 0, {
    cell_type: 'code',
    id: 'forge',
    metadata: {},
    source: code,
    outputs: [],
    execution_count: null
  });
  return { nb, score: 0, status: 'ok' };
}

const DAEMON_MARKER = path.join(os.tmpdir(), `tl-daemon-${process.pid}.txt`);

type Case = {
  nb: Notebook | string | Uint8Array;
  score: number;
  status: string;
  cells?: Record<string, [number, string]>;
  alsoStatus?: string;
};
const cases: Record<string, Case> = {
  correct: { nb: submission(), score: 7, status: 'ok' },
  stub: {
    nb: studentVersion(),
    score: 0,
    status: 'ok',
    cells: { test_double: [0, 'failed'], test_count: [0, 'failed'] }
  },
  partial: {
    nb: submission(nb => setSource(nb, 'count_words', "def count_words(text):\n    return len(text.split(' '))")),
    score: 5,
    status: 'ok',
    cells: { test_count: [1, 'partial'] }
  },
  os_exit: {
    nb: submission(nb => setSource(nb, 'double', 'import os\ndef double(x):\n    os._exit(1)')),
    score: 6,
    status: 'kernel-died',
    cells: { test_double: [0, 'kernel-died'], test_gather: [2, 'passed'] }
  },
  segfault: {
    nb: submission(nb => setSource(nb, 'double', 'import ctypes\ndef double(x):\n    return ctypes.string_at(0)')),
    score: 6,
    status: 'kernel-died',
    cells: { test_double: [0, 'kernel-died'] }
  },
  memory_bomb: {
    nb: submission(nb =>
      setSource(nb, 'double', "def double(x):\n    hog = [b'x' * (1 << 20) for _ in range(100_000)]\n    return 2 * x")
    ),
    score: 6,
    status: 'memory-limit',
    cells: { test_double: [0, 'memory-limit'], test_count: [3, 'passed'] }
  },
  big_output: {
    nb: submission(nb =>
      setSource(nb, 'double', "for _ in range(1000):\n    print('x' * 100_000)\ndef double(x):\n    return 2 * x")
    ),
    score: 7,
    status: 'ok'
  },
  input_call: {
    nb: submission(nb => setSource(nb, 'double', "def double(x):\n    return int(input('x? ')) * 0 + 2 * x")),
    score: 6,
    status: 'ok',
    cells: { test_double: [0, 'failed'] }
  },
  sys_exit: {
    nb: submission(nb => setSource(nb, 'double', 'import sys\ndef double(x):\n    sys.exit(3)')),
    score: 6,
    status: 'ok',
    cells: { test_double: [0, 'failed'] }
  },
  tampered: {
    nb: submission(nb => {
      setSource(nb, 'double', 'def double(x):\n    return x');
      setSource(nb, 'test_double', 'pass  # nothing to see');
    }),
    score: 6,
    status: 'ok',
    cells: { test_double: [0, 'failed'] }
  },
  deleted_test: {
    nb: submission(nb => nb.cells.splice(cellIndex(nb, 'test_gather'), 1)),
    score: 7,
    status: 'ok',
    cells: { test_gather: [2, 'passed'] }
  },
  deleted_solution: {
    nb: submission(nb => nb.cells.splice(cellIndex(nb, 'count_words'), 1)),
    score: 4,
    status: 'ok',
    cells: { test_count: [0, 'failed'] }
  },
  duplicated: {
    nb: submission(nb => {
      const i = cellIndex(nb, 'double');
      const copy = structuredClone(nb.cells[i]!);
      copy.source = 'def double(x):\n    return x';
      nb.cells.splice(i + 1, 0, copy);
      const t = cellIndex(nb, 'test_gather');
      const fake = structuredClone(nb.cells[t]!);
      fake.source = 'pass';
      nb.cells.splice(t, 0, fake);
    }),
    score: 6,
    status: 'ok',
    cells: { test_double: [0, 'failed'], test_gather: [2, 'passed'] }
  },
  // the notebook runs in the student's order (as nbgrader and their own Run All): a test moved
  // above its answer fails, an answer moved to the top still works
  test_moved_up: {
    nb: submission(nb => {
      const [test] = nb.cells.splice(cellIndex(nb, 'test_double'), 1);
      nb.cells.unshift(test!);
    }),
    score: 6,
    status: 'ok',
    cells: { test_double: [0, 'failed'] }
  },
  answer_moved_up: {
    nb: submission(nb => {
      const [answer] = nb.cells.splice(cellIndex(nb, 'count_words'), 1);
      nb.cells.unshift(answer!);
    }),
    score: 7,
    status: 'ok'
  },
  // cells pasted into a new notebook: the tests are recognised by their content
  // (the written answer cannot be recognised: it waits for a person, as nbgrader has it)
  metadata_stripped: {
    nb: submission(nb => nb.cells.forEach(cell => delete cell.metadata.nbgrader)),
    score: 7,
    status: 'ok',
    cells: { test_count: [3, 'passed'], explain: [0, 'manual'] }
  },
  type_changed: {
    nb: submission(nb => {
      const cell = nb.cells[cellIndex(nb, 'test_count')]!;
      cell.cell_type = 'markdown';
      delete cell.outputs;
      delete cell.execution_count;
    }),
    score: 7,
    status: 'ok'
  },
  split: {
    nb: submission(nb => {
      const i = cellIndex(nb, 'gather_squares');
      const first = structuredClone(nb.cells[i]!);
      first.source = 'def _square(i):\n    return i * i';
      first.id = 'split-part';
      nb.cells[i]!.source = 'async def gather_squares(n):\n    return [_square(i) for i in range(n)]';
      nb.cells.splice(i, 0, first);
    }),
    score: 7,
    status: 'ok'
  },
  builtins_patched: {
    nb: submission(nb =>
      setSource(
        nb,
        'unique_words',
        "import builtins\nbuiltins.sorted = lambda *a, **k: ['a', 'b']\ndef unique_words(text):\n    return None"
      )
    ),
    score: 6,
    status: 'ok',
    cells: { test_unique: [0, 'failed'], test_count: [3, 'passed'] }
  },
  // one student cell that patches the kernel's machinery to turn failing tests into passes: the
  // guard puts it all back before each test, outside the cell pipeline the patches control
  forged_line_transform: forged(
    "get_ipython().input_transformer_manager.line_transforms.append(lambda lines: ['pass\\n'])"
  ),
  forged_compiler_class: forged(
    'import ast\n' +
      'from IPython.core.compilerop import CachingCompiler\n' +
      "CachingCompiler.ast_parse = lambda self, source, *a, **k: ast.parse('pass')"
  ),
  forged_do_execute: forged(
    '_k = get_ipython().kernel\n' +
      '_run = _k.do_execute\n' +
      'async def _quiet(code, silent, *a, **k):\n' +
      "    return await _run('pass' if not silent else code, silent, *a, **k)\n" +
      '_k.do_execute = _quiet'
  ),
  // a thread that patches again right after the guard restored, before the test runs
  forged_thread_race: {
    ...forged(
      'import threading, time\n' +
        '_tm = get_ipython().input_transformer_manager\n' +
        'def _again():\n' +
        '    while True:\n' +
        "        if not any(getattr(f, '__name__', '') == '_nothing' for f in _tm.line_transforms):\n" +
        '            _tm.line_transforms.append(_nothing)\n' +
        '        time.sleep(0.001)\n' +
        'def _nothing(lines):\n' +
        "    return ['pass\\n']\n" +
        'threading.Thread(target=_again, daemon=True).start()'
    ),
    cells: { test_double: [0, 'failed'] }
  },
  // no thread: a timer signal puts back an AST transformer that drops every assert
  forged_ast_by_timer: {
    ...forged(
      'import ast, signal\n' +
        'class _NoAsserts(ast.NodeTransformer):\n' +
        '    def visit_Assert(self, node):\n' +
        '        return ast.Pass()\n' +
        '_t = _NoAsserts()\n' +
        'def _again(*_):\n' +
        '    if _t not in get_ipython().ast_transformers:\n' +
        '        get_ipython().ast_transformers.append(_t)\n' +
        'signal.signal(signal.SIGALRM, _again)\n' +
        'signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)'
    ),
    cells: { test_double: [0, 'failed'] }
  },
  // a stand-in for the guard itself, which cannot give the real guard's answer
  forged_guard: {
    ...forged(
      '_k = get_ipython().kernel\n' +
        'def _fake(stream, ident, parent):\n' +
        "    _k.session.send(stream, 'threadline_guard_reply', {'status': 'ok', 'answer': 'ok'}, parent, ident)\n" +
        "_k.shell_handlers['threadline_guard_request'] = _fake\n" +
        "get_ipython().input_transformer_manager.line_transforms.append(lambda lines: ['pass\\n'])"
    ),
    cells: { test_double: [0, 'failed'], test_count: [0, 'failed'] }
  },
  // partial credit: the fixture's test_count ends with its score; shown as -1 it would mean "full"
  forged_int_printer: forged(
    "get_ipython().display_formatter.formatters['text/plain'].for_type(int, lambda o, p, c: p.text('-1'))"
  ),
  forged_result: forged(
    '_ip = get_ipython()\n' +
      'def _fake(info):\n' +
      '    k = _ip.kernel\n' +
      "    k.session.send(k.iopub_socket, 'execute_result', {'data': {'text/plain': '-1'}, 'metadata': {}, " +
      "'execution_count': 1}, parent=k.get_parent(), ident=b'execute_result')\n" +
      "_ip.events.register('pre_run_cell', _fake)"
  ),
  // reads the source with a child process, rewrites the gradebook, leaves its cgroup, leaves a daemon
  escapes_the_kernel: {
    nb: submission(nb =>
      setSource(
        nb,
        'double',
        [
          'import glob, os, subprocess, sqlite3, tempfile, time',
          `leak = 'double(' + '-3)' in subprocess.run(['cat', ${JSON.stringify(sourcePath)}], ` +
            'capture_output=True, text=True).stdout',
          'changed = 0',
          "for db in glob.glob(os.path.join(tempfile.gettempdir(), 'tl-faults-*', 'gradebook.sqlite')):",
          '    try:',
          '        con = sqlite3.connect(db, timeout=5)',
          '        changed += con.execute("update submission set score = 0").rowcount',
          '        con.commit()',
          '    except Exception:',
          '        pass',
          'child = os.fork()',
          'if child == 0:  # leave the cgroup (in a child: the kernel itself stays put)',
          "    moved = any(os.system(f'echo {os.getpid()} > {p} 2>/dev/null') == 0 for p in " +
            "('/sys/fs/cgroup/cgroup.procs', '/sys/fs/cgroup/pids/cgroup.procs'))",
          '    os._exit(1 if moved else 0)',
          'escaped = os.waitpid(child, 0)[1] != 0',
          'if os.fork() == 0:',
          '    os.setsid()',
          '    if os.fork() == 0:',
          '        for _ in range(300):',
          `            with open(${JSON.stringify(DAEMON_MARKER)}, 'a') as f:`,
          "                f.write('.')",
          '            time.sleep(0.1)',
          '    os._exit(0)',
          'os.wait()',
          "seen = len([p for p in os.listdir('/proc') if p.isdigit()])",
          'def writes(path):',
          '    try:',
          "        with open(path, 'a') as f:",
          "            f.write('x')",
          '        return True',
          '    except OSError:',
          '        return False',
          'import ipykernel, sys',
          'runtime = os.listdir(os.path.dirname(ipykernel.get_connection_file()))',
          "print('ESCAPE', leak, changed, escaped, 'PID', os.getpid(), 'SEES', seen)",
          "print('WRITES', writes('/proc/sys/kernel/hostname'), writes(os.path.join(sys.prefix, 'evil.pth')), " +
            "writes('/etc/evil'), 'KERNELS', len(runtime))",
          'def fills(folder):  # 32 MB files until the folder refuses: it must, well before 1 GB',
          '    try:',
          '        for i in range(32):',
          "            with open(os.path.join(folder, f'fill{i}'), 'wb') as f:",
          "                f.write(b'x' * (32 << 20))",
          '        return False',
          '    except OSError:',
          '        return True',
          '    finally:',
          "        for name in glob.glob(os.path.join(folder, 'fill*')):",
          '            os.remove(name)',
          "print('FULL', fills('.'), fills('/tmp'))",
          'def double(x):',
          '    return 2 * x'
        ].join('\n')
      )
    ),
    score: 7,
    status: 'ok'
  },
  // honest code the guard and the sandbox must leave alone: a builtin added the way
  // gettext.install adds `_`, and IPython's `!cmd` (it needs a terminal)
  added_builtin: {
    nb: submission(nb =>
      setSource(nb, 'double', 'import builtins\nbuiltins.twice = 2\ndef double(x):\n    return twice * x')
    ),
    score: 7,
    status: 'ok'
  },
  shell_escape: {
    nb: submission(nb => setSource(nb, 'double', 'said = !echo 2\ndef double(x):\n    return int(said[0]) * x')),
    score: 7,
    status: 'ok'
  },
  // hooks a package registers (matplotlib's inline backend) survive the guard; a student's do not
  library_hooks: {
    nb: submission(nb => {
      setSource(
        nb,
        'double',
        'import linecache\n' +
          "get_ipython().events.register('post_execute', linecache.checkcache)\n" +
          "get_ipython().events.register('post_execute', lambda: None)\n" +
          'def double(x):\n' +
          '    return 2 * x'
      );
      const later = structuredClone(nb.cells[cellIndex(nb, 'q')]!);
      Object.assign(later, {
        cell_type: 'code',
        id: 'hooks',
        outputs: [],
        execution_count: null,
        metadata: {},
        source: "print('HOOKS', sorted(f.__name__ for f in get_ipython().events.callbacks['post_execute']))"
      });
      nb.cells.splice(cellIndex(nb, 'test_count'), 0, later);
    }),
    score: 7,
    status: 'ok'
  },
  // student code called by a hidden test prints and raises its caller's source
  echoes_hidden_tests: {
    nb: submission(nb => {
      setSource(
        nb,
        'double',
        'import sys, linecache\n' +
          'def double(x):\n' +
          "    caller = ''.join(linecache.getlines(sys._getframe(1).f_code.co_filename))\n" +
          '    sys.kept = caller\n' +
          "    print('ECHO', caller, repr(caller))\n" +
          '    if x < 0:\n' +
          '        raise ValueError(caller)\n' +
          '    return 2 * x'
      );
      // and prints what it kept in a later cell, each line but its first character
      const later = structuredClone(nb.cells[cellIndex(nb, 'q')]!);
      Object.assign(later, {
        cell_type: 'code',
        id: 'later',
        outputs: [],
        execution_count: null,
        metadata: {},
        source: "import sys\nprint('LATER', *[line[1:] for line in sys.kept.splitlines()], sep='\\n')"
      });
      nb.cells.splice(cellIndex(nb, 'test_count'), 0, later);
    }),
    score: 6,
    status: 'ok',
    cells: { test_double: [0, 'failed'] }
  },
  reads_hidden_tests: {
    nb: submission(nb => {
      setSource(
        nb,
        'double',
        [
          'import os',
          'def _read(p):',
          '    try:',
          '        with open(p) as f:',
          '            return f.read()',
          '    except Exception:',
          "        return ''",
          `paths = ['source/tiny.ipynb', '../source/tiny.ipynb', ${JSON.stringify(sourcePath)}]`,
          'try:',
          `    paths += [os.path.join(${JSON.stringify(path.dirname(sourcePath))}, n) ` +
            `for n in os.listdir(${JSON.stringify(path.dirname(sourcePath))})]`,
          'except Exception:',
          '    pass',
          "needle = 'double(' + '-3)'",
          "print('LEAKED', any(needle in _read(p) for p in paths), 'SOURCE_DIR', os.path.exists('source'), 'TOKEN', " +
            "os.environ.get('THREADLINE_TEST_TOKEN'), os.environ.get('DATABASE_URL'))",
          'def double(x):',
          '    return 2 * x'
        ].join('\n')
      );
      const after = structuredClone(nb.cells[cellIndex(nb, 'q')]!);
      Object.assign(after, {
        cell_type: 'code',
        id: 'snoop',
        outputs: [],
        execution_count: null,
        metadata: {},
        source:
          'import linecache, sys\n' +
          "needle = 'double(' + '-3)'\n" +
          "cached = any(needle in ''.join(v[2]) for v in list(linecache.cache.values()) if isinstance(v, tuple) and " +
          'len(v) > 2 and v[2])\n' +
          "print('CACHE', cached, 'HISTORY', any(needle in h for h in In), 'TRACEBACK', needle in repr(getattr(sys, " +
          "'last_value', '')))"
      });
      nb.cells.splice(cellIndex(nb, 'test_count'), 0, after);
    }),
    score: 7,
    status: 'ok'
  },
  not_json: { nb: '{"cells": [', score: 0, status: 'invalid-notebook' },
  not_utf8: { nb: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), score: 0, status: 'invalid-notebook' },
  nbformat3: {
    nb: '{"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}',
    score: 0,
    status: 'invalid-notebook'
  },
  empty_file: { nb: '', score: 0, status: 'invalid-notebook' },
  too_large: {
    nb: JSON.stringify({ ...submission(), metadata: { padding: 'x'.repeat(2 * 1048576) } }),
    score: 0,
    status: 'invalid-notebook'
  }
};

const slowCases: typeof cases = {
  infinite_loop: {
    nb: submission(nb => setSource(nb, 'double', 'def double(x):\n    while True:\n        pass')),
    score: 6,
    status: 'timeout',
    cells: { test_double: [0, 'timeout'], test_gather: [2, 'passed'] }
  },
  swallows_interrupt: {
    nb: submission(nb =>
      setSource(
        nb,
        'double',
        'def double(x):\n' +
          '    while True:\n' +
          '        try:\n' +
          '            while True:\n' +
          '                pass\n' +
          '        except BaseException:\n' +
          '            pass'
      )
    ),
    score: 6,
    status: 'timeout',
    cells: { test_double: [0, 'timeout'], test_unique: [1, 'passed'] }
  },
  thread_spin: {
    nb: submission(nb =>
      setSource(
        nb,
        'double',
        'import threading\n' +
          'threading.Thread(target=lambda: [None for _ in iter(int, 1)], daemon=True).start()\n' +
          'def double(x):\n' +
          '    return 2 * x'
      )
    ),
    score: 7,
    status: 'ok'
  }
};
if (forkBombIsContained) {
  slowCases.fork_bomb = {
    nb: submission(nb => setSource(nb, 'double', 'import os\ndef double(x):\n    while True:\n        os.fork()')),
    score: 6,
    status: 'process-limit',
    cells: { test_double: [0, 'process-limit'], test_gather: [2, 'passed'] }
  };
}

/** working directories of the kernels these tests started (other graders may run on the machine) */
const kernelDirs = new Set<string>();

async function gradeAll(
  subs: typeof cases,
  cellTimeoutMs: number,
  notebookTimeoutMs = 120_000
): Promise<Map<string, SubmissionRecord>> {
  const dir = tempDir('tl-faults-');
  writeSubmissions(dir, Object.fromEntries(Object.entries(subs).map(([k, v]) => [k, v.nb])));
  const assignment = buildAssignment(readNotebook(sourcePath), sourcePath);
  const db = new Gradebook(path.join(dir, 'gradebook.sqlite'));
  try {
    const hidden = [sourcePath, path.dirname(sourcePath), dir];
    const factory = new LocalKernelFactory(LIMITS, {}, false, hidden);
    const start = factory.start.bind(factory);
    factory.start = async (name, template) => {
      const kernel = await start(name, template);
      kernelDirs.add(kernel.cwd);
      return kernel;
    };
    const outcomes = await gradeSubmissions(
      assignment,
      sha256(fs.readFileSync(sourcePath)),
      findSubmissions(dir, 'tiny.ipynb'),
      factory,
      db,
      {
        ...DEFAULT_RUN_OPTIONS,
        cellTimeoutMs,
        notebookTimeoutMs,
        protectedPaths: [sourcePath, path.dirname(sourcePath)],
        jobs: 2,
        regrade: false,
        cwd: courseDir,
        maxNotebookBytes: 1048576
      }
    );
    return new Map(outcomes.map(o => [o.record.student, o.record]));
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function check(results: Map<string, SubmissionRecord>, subs: typeof cases) {
  for (const [student, want] of Object.entries(subs)) {
    const got = results.get(student);
    expect(got, student).toBeDefined();
    const cells = Object.fromEntries(got!.grades.map(g => [g.gradeId, [g.score, g.status]]));
    const status = want.alsoStatus === got!.status ? want.status : got!.status;
    expect({ student, score: got!.score, status }, JSON.stringify({ reason: got!.reason, cells })).toEqual({
      student,
      score: want.score,
      status: want.status
    });
    for (const [id, expected] of Object.entries(want.cells ?? {})) {
      const [score, cellStatus] = cells[id]!;
      const accepted = want.alsoStatus === cellStatus ? expected[1] : cellStatus;
      expect([student, id, score, accepted]).toEqual([student, id, ...expected]);
    }
    expect(got!.maxScore).toBe(8);
  }
}

// each cell on its own is fine, together they overrun the notebook's limit
const notebookCases: typeof cases = {
  slow_notebook: {
    nb: submission(nb => {
      setSource(nb, 'double', 'import time\ntime.sleep(4)\ndef double(x):\n    return 2 * x');
      setSource(
        nb,
        'gather_squares',
        'import time\ntime.sleep(30)\nasync def gather_squares(n):\n    return [i * i for i in range(n)]'
      );
    }),
    score: 1,
    status: 'timeout',
    cells: { test_double: [1, 'passed'], test_gather: [0, 'timeout'], test_unique: [0, 'timeout'] }
  }
};

describe('grading faulty submissions with real kernels', () => {
  let fast: Map<string, SubmissionRecord>;
  let slow: Map<string, SubmissionRecord>;
  let overrun: Map<string, SubmissionRecord>;
  beforeAll(async () => {
    [fast, slow, overrun] = await Promise.all([
      gradeAll(cases, 20_000),
      gradeAll(slowCases, 4_000),
      gradeAll(notebookCases, 20_000, 9_000)
    ]);
  }, 300_000);
  afterAll(() => undefined);

  it('scores every quick fault as expected', () => check(fast, cases));
  it('scores timeouts, stuck threads and fork bombs as expected', () => check(slow, slowCases));
  it('stops a notebook at its time limit and keeps what ran before', () => check(overrun, notebookCases));

  it('keeps at most the output cap of a 100 MB print, and says why it is missing', () => {
    const record = fast.get('big_output')!;
    const text = streamText(record.runs);
    expect(text.length).toBeGreaterThan(0);
    expect(text.length).toBeLessThanOrEqual(DEFAULT_RUN_OPTIONS.maxOutputBytes);
  });

  it('never lets a submission read the hidden tests (disk, linecache, history, traceback)', () => {
    const record = fast.get('reads_hidden_tests')!;
    const text = streamText(record.runs);
    expect(text).toContain('LEAKED False SOURCE_DIR False TOKEN None None');
    expect(text).toContain('CACHE False HISTORY False TRACEBACK False');
    expect(JSON.stringify(record.runs)).not.toContain('double(-3)');
    const echoed = fast.get('echoes_hidden_tests')!;
    expect(streamText(echoed.runs)).toContain('ECHO');
    expect(streamText(echoed.runs)).toContain('LATER');
    expect(JSON.stringify(echoed)).not.toContain('ouble(-3)');
  });

  it.skipIf(isolationProblem(venvPython) !== null)(
    'isolates each kernel: no hidden file, no gradebook, no cgroup escape, nothing left running',
    async () => {
      const said = streamText(fast.get('escapes_the_kernel')!.runs);
      expect(said).toMatch(/ESCAPE False 0 False PID 1 SEES \d\b/);
      // the system and its Python read-only, other kernels' connection files out of sight
      expect(said).toContain('WRITES False False False KERNELS 1');
      // its working copy and /tmp are capped: it cannot fill a disk
      expect(said).toContain('FULL True True');
      const size = () => (fs.existsSync(DAEMON_MARKER) ? fs.statSync(DAEMON_MARKER).size : 0);
      const before = size();
      await new Promise(resolve => setTimeout(resolve, 1000));
      expect(size()).toBe(before);
      fs.rmSync(DAEMON_MARKER, { force: true });
    }
  );

  it("keeps the hooks of installed packages, not the student's own", () => {
    const hooks = streamText(fast.get('library_hooks')!.runs);
    expect(hooks).toContain("'checkcache'");
    expect(hooks).not.toContain('<lambda>');
  });

  it('does not trust a test whose guard gave the wrong answer, or that did not run as written', () => {
    expect(fast.get('forged_guard')!.grades.find(g => g.gradeId === 'test_double')!.message).toMatch(/not trusted/);
    expect(fast.get('forged_thread_race')!.grades.find(g => g.gradeId === 'test_double')!.message).toMatch(
      /did not run as written/
    );
    expect(fast.get('forged_ast_by_timer')!.grades.find(g => g.gradeId === 'test_double')!.message).toMatch(
      /did not run as written/
    );
  });

  it('explains input() and restored cells to the learner', () => {
    expect(fast.get('input_call')!.grades.find(g => g.gradeId === 'test_double')!.message).toMatch(
      /StdinNotImplemented|input/i
    );
    expect(fast.get('tampered')!.grades.find(g => g.gradeId === 'test_double')!.message).toMatch(/restored/);
    expect(fast.get('deleted_test')!.grades.find(g => g.gradeId === 'test_gather')!.message).toMatch(/deleted/);
    expect(fast.get('not_utf8')!.reason).toMatch(/UTF-8/);
    expect(fast.get('too_large')!.reason).toMatch(/MB/);
  });

  it('leaves no grading processes behind', () => {
    expect(kernelDirs.size).toBeGreaterThan(0);
    const mine = fs
      .readdirSync('/proc')
      .filter(pid => /^\d+$/.test(pid))
      .filter(pid => {
        try {
          const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          const cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
          return [...kernelDirs].some(dir => cwd.startsWith(dir) || cmdline.includes(dir));
        } catch {
          return false;
        }
      });
    expect(mine).toEqual([]);
  });
});

void os;
