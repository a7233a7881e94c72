/**
 * The grader's Python package, `threadline_sandbox` (python/threadline_sandbox/): its modules are
 * sent to Python as text, so a kernel never imports them from a folder a submission could reach.
 * The package ships as source beside the compiled code: it is found from src/grader/sandbox (tsx)
 * and from lib/grader/sandbox (the npm package) alike.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the package sits, relative to the project's (or the installed npm package's) root. */
const PACKAGE_PATH = path.join('src', 'grader', 'sandbox', 'python', 'threadline_sandbox');

/** The package's modules the grader sends. */
export type SandboxModule = 'launcher' | 'guard' | 'output_cap';

/** The Python package is not where the grader looks: a broken install. */
export class SandboxPackageMissingError extends Error {
  override readonly name = 'SandboxPackageMissingError';
  constructor(readonly searchedFrom: string) {
    super(
      `the grader's Python package (${PACKAGE_PATH}) was not found above ${searchedFrom}; ` +
        'reinstall threadline (npm i -g threadline), or run `npm run build` in a clone'
    );
  }
}

/** The package folder: the first `PACKAGE_PATH` found going up from this module. */
function packageDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, PACKAGE_PATH);
    if (fs.existsSync(path.join(candidate, '__init__.py'))) return candidate;
    if (path.dirname(dir) === dir) throw new SandboxPackageMissingError(here);
  }
}

const texts = new Map<SandboxModule, string>();

/** The source text of one of the package's modules (read once). */
export function sandboxModuleText(module: SandboxModule): string {
  let text = texts.get(module);
  if (text === undefined) {
    text = fs.readFileSync(path.join(packageDir(), `${module}.py`), 'utf8');
    texts.set(module, text);
  }
  return text;
}
