/**
 * The bridge to nbgrader: python/nbgrader_bridge.py, run with the Python nbgrader is installed
 * in, so that its configuration, its folders and its gradebook are read and written by nbgrader's
 * own code (traitlets config, CourseDirectory, nbgrader.api.Gradebook, its late-penalty plugin).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** nbgrader is not installed where the grader looks, or its Python failed. */
export class NbgraderBridgeError extends Error {
  override readonly name = 'NbgraderBridgeError';
}

export interface NbgraderMarkers {
  beginSolution: string;
  endSolution: string;
  codeStub: Record<string, string>;
  textStub: string;
  beginHiddenTests: string;
  endHiddenTests: string;
}

/** What the course's configuration says (nbgrader_config.py, Jupyter's config paths, flags). */
export interface NbgraderSettings {
  courseDir: string;
  courseId: string;
  dbUrl: string;
  /** the gradebook file, when the database is SQLite */
  dbFile: string | null;
  sourceDir: string;
  submittedDir: string;
  autogradedDir: string;
  releaseDir: string;
  feedbackDir: string;
  /** Execute.timeout in seconds; null means no limit */
  timeout: number | null;
  markers: NbgraderMarkers;
  /** configured settings Threadline does not honour (refused) */
  unsupported: string[];
}

export interface PreparedNotebook {
  name: string;
  submitted: string;
  autograded: string;
  source: string;
}

export interface PreparedSubmission {
  student: string;
  autogradedDir: string;
  notebooks: PreparedNotebook[];
}

export interface PrepareAnswer {
  submissions: PreparedSubmission[];
  /** already autograded, left as they are (nbgrader's rule: --force, or a newer timestamp) */
  skipped: string[];
  failed: { student: string; reason: string }[];
  /** nothing to grade at all (no submission matched) */
  error?: string;
}

export interface SavedNotebook {
  name: string;
  autograded: string;
  /** auto_score per grade_id: null for a cell that needs a person */
  scores: Record<string, number | null>;
  /** per grade_id, where Threadline deliberately differs from nbgrader (written as gradebook comments) */
  notes: Record<string, string[]>;
}

export interface SaveRequest {
  submissions: { student: string; notebooks: SavedNotebook[] }[];
}

const BRIDGE = path.join('src', 'grader', 'nbgrader', 'python', 'nbgrader_bridge.py');

/** The bridge script, found going up from this module (src/ with tsx, lib/ in the npm package). */
function bridgeScript(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, BRIDGE);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir)
      throw new NbgraderBridgeError(`${BRIDGE} is missing: reinstall threadline (npm i -g threadline)`);
  }
}

/** The interpreter of the `nbgrader` command on PATH (its shebang line), if there is one. */
function pythonOfNbgraderOnPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const script = path.join(dir, 'nbgrader');
    if (!dir || !fs.existsSync(script)) continue;
    const first = fs.readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
    const match = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
    if (!match) continue;
    return match[1]!.endsWith('/env') && match[2] ? match[2] : match[1];
  }
  return undefined;
}

/** nbgrader's Python: the one given, else the interpreter of `nbgrader` on PATH, else python3; checked to import nbgrader. */
export function nbgraderPython(explicit?: string): string {
  const python = explicit ?? process.env.THREADLINE_NBGRADER_PYTHON ?? pythonOfNbgraderOnPath() ?? 'python3';
  const check = spawnSync(python, ['-c', 'import nbgrader, sys; sys.stdout.write(nbgrader.__version__)'], {
    encoding: 'utf8'
  });
  if (check.status !== 0)
    throw new NbgraderBridgeError(
      `nbgrader cannot be imported by ${python}` +
        `${check.error ? ` (${check.error.message})` : ''}: install nbgrader (pip install nbgrader) ` +
        'or give its interpreter with --nbgrader-python PATH'
    );
  return python;
}

/** Runs one step of the bridge; nbgrader's warnings and errors are passed on to `log`. */
function runStep<T>(
  python: string,
  step: 'settings' | 'prepare' | 'save',
  request: object,
  log: (line: string) => void
): T {
  const result = spawnSync(python, [bridgeScript(), step], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024
  });
  for (const line of (result.stderr ?? '').split('\n'))
    if (/\b(WARNING|ERROR|CRITICAL)\b/.test(line) || (result.status !== 0 && line.trim())) log(line);
  if (result.status !== 0 || result.error)
    throw new NbgraderBridgeError(
      `nbgrader (${python}) failed in the ${step} step` +
        `${result.error ? `: ${result.error.message}` : ` with exit code ${String(result.status)}`}; ` +
        'its messages are above'
    );
  return JSON.parse(result.stdout) as T;
}

export class NbgraderBridge {
  constructor(
    readonly python: string,
    private readonly course: { assignment: string; courseDir?: string; force: boolean },
    private readonly log: (line: string) => void
  ) {}

  /** What the course's configuration says; changes nothing. */
  settings(): NbgraderSettings {
    return runStep<NbgraderSettings>(this.python, 'settings', this.course, this.log);
  }

  /** The submissions to grade; nbgrader makes their autograded/ folders ready (and the gradebook's rows). */
  prepare(students: string[]): PrepareAnswer {
    return runStep<PrepareAnswer>(this.python, 'prepare', { ...this.course, students }, this.log);
  }

  /** Writes the scores into nbgrader's gradebook, then its late penalties and permissions. */
  save(request: SaveRequest): void {
    runStep<{ saved: number }>(this.python, 'save', { ...this.course, ...request }, this.log);
  }
}
