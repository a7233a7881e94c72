/** Interpreter versions (`3.X.Y`) whose own garbage collector crashes now and then, and why (see pythons.mjs). */
export const CRASHING: Map<string, string>;
/** `3.X.Y` of an interpreter, or '' when it does not run. */
export function fullVersion(interpreter: string): string;
/** Every CPython 3.12+ on this machine, newest patch release of each minor version. */
export function otherPythons(): { version: string; interpreter: string }[];
/** `.venv-py<version>` made from requirements-dev.txt with this repository's package installed editable. */
export function ensureVenv(
  version: string,
  interpreter: string,
  log?: (message: string) => void
): { venv: string; python: string; problem?: undefined } | { problem: string; venv?: undefined; python?: undefined };
