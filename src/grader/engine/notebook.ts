/**
 * Notebook files in nbformat 4: reading with validation (size, UTF-8, JSON, nbformat's JSON Schema) and writing
 * byte-for-byte the way nbformat does (sorted keys, one-space indent, multi-line strings split
 * into lists), so that writing the same notebook twice gives the same bytes.
 */
import fs from 'node:fs';
import type { Output } from '../../kernel/kernelClient.js';
import type { NbgraderMetadata } from '../../protocol/assignment.js';
import { InvalidNotebookError } from './errors.js';
import { schemaProblem } from './nbformatSchema.js';

export type MultilineString = string | string[];

export interface CellMetadata {
  nbgrader?: NbgraderMetadata;
  deletable?: boolean;
  editable?: boolean;
  [key: string]: unknown;
}

export interface Cell {
  cell_type: 'code' | 'markdown' | 'raw';
  id?: string;
  source: MultilineString;
  metadata: CellMetadata;
  outputs?: Output[];
  execution_count?: number | null;
  attachments?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface KernelSpecMetadata {
  name: string;
  display_name?: string;
  language?: string;
}

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: { kernelspec?: KernelSpecMetadata; [key: string]: unknown };
  cells: Cell[];
}

/** Notebooks above this size are refused: a class's submissions are a few hundred kB each. */
export const DEFAULT_MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024;

/** The source of a cell as one string (nbformat stores it as a string or a list of lines). */
export function sourceOf(cell: { source: MultilineString }): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Fields of one cell type that another keeps when its type is changed (JupyterLab ignores them). */
const CODE_ONLY = ['outputs', 'execution_count'];

/**
 * What Jupyter repairs silently when it opens a file is repaired before checking: missing cell
 * metadata, outputs, execution counts and nbformat 4.5 cell ids are filled in, a code cell turned
 * into markdown loses its outputs; a notebook older than 4.5 is checked as its 4.5 upgrade.
 * nbgrader grades such notebooks, so refusing them would take points from students.
 */
function withDefaults(nb: Record<string, unknown>): Record<string, unknown> {
  const cells = (nb.cells as unknown[]).map((raw, index) => {
    if (!isRecord(raw)) return raw;
    const cell: Record<string, unknown> = { metadata: {}, id: `cell-${index}`, ...raw };
    if (raw.cell_type === 'code') {
      cell.outputs ??= [];
      if (cell.execution_count === undefined) cell.execution_count = null;
      delete cell.attachments;
    } else for (const key of CODE_ONLY) delete cell[key];
    return cell;
  });
  const minor = typeof nb.nbformat_minor === 'number' ? nb.nbformat_minor : 0;
  return { metadata: {}, ...nb, nbformat_minor: Math.max(5, minor), cells };
}

/** Checks parsed JSON against nbformat's JSON Schema (v4); returns the notebook with sources joined into strings. */
export function validateNotebook(data: unknown, path = '<notebook>'): Notebook {
  const fail = (reason: string): never => {
    throw new InvalidNotebookError(path, reason);
  };
  if (!isRecord(data)) fail('the top level is not a JSON object; save it from Jupyter as a notebook (.ipynb)');
  const nb = data as Record<string, unknown>;
  if (nb.nbformat !== 4) {
    fail(
      nb.nbformat === undefined
        ? 'there is no "nbformat" field; this JSON file is not a Jupyter notebook'
        : `nbformat ${JSON.stringify(nb.nbformat)} is not supported; ` +
            'open and save it in JupyterLab to convert it to nbformat 4'
    );
  }
  if (!Array.isArray(nb.cells)) fail('"cells" is missing or not a list');
  const problem = schemaProblem(withDefaults(nb));
  if (problem) fail(`${problem} (nbformat 4 schema); open and save it in JupyterLab to repair it`);
  (nb.cells as Record<string, unknown>[]).forEach((raw, index) => {
    const meta = raw.metadata as Record<string, unknown> | undefined;
    if (meta?.nbgrader !== undefined && !isRecord(meta.nbgrader))
      fail(`cell ${index + 1} has nbgrader metadata that is not an object`);
  });
  const cells: Cell[] = (nb.cells as Record<string, unknown>[]).map(raw => {
    const cell = { metadata: {}, ...raw, source: sourceOf({ source: raw.source as MultilineString }) } as Cell;
    if (cell.cell_type === 'code') {
      cell.outputs ??= [];
      cell.execution_count = typeof raw.execution_count === 'number' ? raw.execution_count : null;
    } else for (const key of CODE_ONLY) delete cell[key];
    return cell;
  });
  return {
    ...(nb as object),
    nbformat: 4,
    nbformat_minor: typeof nb.nbformat_minor === 'number' ? nb.nbformat_minor : 0,
    metadata: (nb.metadata ?? {}) as Notebook['metadata'],
    cells
  };
}

/** Parses notebook bytes: size limit, strict UTF-8, JSON, nbformat 4 schema. */
export function parseNotebook(bytes: Uint8Array, path = '<notebook>', maxBytes = DEFAULT_MAX_NOTEBOOK_BYTES): Notebook {
  if (bytes.byteLength > maxBytes) {
    throw new InvalidNotebookError(
      path,
      `it is ${(bytes.byteLength / 1048576).toFixed(1)} MB, over the ${(maxBytes / 1048576).toFixed(0)} MB limit; ` +
        'clear its outputs (Edit → Clear Outputs of All Cells) and save again'
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InvalidNotebookError(
      path,
      'it is not UTF-8 text; notebooks are UTF-8 JSON files — re-save it from Jupyter'
    );
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new InvalidNotebookError(path, `it is not valid JSON (${detail}); was it edited by hand or truncated?`);
  }
  return validateNotebook(data, path);
}

/** Reads and validates a notebook file. */
export function readNotebook(path: string, maxBytes = DEFAULT_MAX_NOTEBOOK_BYTES): Notebook {
  let size: number;
  try {
    size = fs.statSync(path).size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidNotebookError(
      path,
      code === 'ENOENT' ? 'the file does not exist' : `it cannot be read (${code ?? String(error)})`
    );
  }
  if (size > maxBytes) return parseNotebook(new Uint8Array(maxBytes + 1), path, maxBytes);
  return parseNotebook(fs.readFileSync(path), path, maxBytes);
}

/** Splits a string into lines keeping the line ends, as nbformat does (Python's splitlines(True) on \n). */
function splitLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines.length === 1 && lines[0] === '' ? [] : lines;
}

/** nbformat's split_lines: multi-line strings of cells and text outputs become lists of lines. */
function splitForDisk(nb: Notebook): unknown {
  const textLike = (mime: string) => !(mime === 'application/json' || mime.endsWith('+json'));
  const splitBundle = (bundle: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(bundle).map(([mime, value]) => [
        mime,
        typeof value === 'string' && textLike(mime) ? splitLines(value) : value
      ])
    );
  return {
    ...nb,
    cells: nb.cells.map(cell => {
      const out: Record<string, unknown> = { ...cell, source: splitLines(sourceOf(cell)) };
      if (cell.outputs) {
        out.outputs = cell.outputs.map(output => {
          const o = { ...output } as Record<string, unknown>;
          if (typeof o.text === 'string') o.text = splitLines(o.text);
          if (isRecord(o.data)) o.data = splitBundle(o.data);
          return o;
        });
      }
      return out;
    })
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .filter(key => value[key] !== undefined)
        .sort()
        .map(key => [key, sortKeys(value[key])])
    );
  }
  return value;
}

/** The bytes nbformat.write would produce: sorted keys, indent 1, non-ASCII kept, trailing newline. */
export function serializeNotebook(nb: Notebook): string {
  return JSON.stringify(sortKeys(splitForDisk(nb)), null, 1) + '\n';
}

export function writeNotebook(path: string, nb: Notebook): void {
  fs.writeFileSync(path, serializeNotebook(nb), 'utf8');
}
