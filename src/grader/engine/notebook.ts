/**
 * Notebook files in nbformat 4: reading with validation (size, UTF-8, JSON, shape) and writing
 * byte-for-byte the way nbformat does (sorted keys, one-space indent, multi-line strings split
 * into lists), so that writing the same notebook twice gives the same bytes.
 */
import fs from 'node:fs';
import type { Output } from '../../kernel/kernelClient.js';
import type { NbgraderMetadata } from '../../protocol/assignment.js';
import { InvalidNotebookError } from './errors.js';

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

function isMultiline(value: unknown): value is MultilineString {
  return typeof value === 'string' || (Array.isArray(value) && value.every(line => typeof line === 'string'));
}

/** Checks the nbformat 4 shape of parsed JSON; returns the notebook with sources joined into strings. */
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
  const metadata = nb.metadata === undefined ? {} : nb.metadata;
  if (!isRecord(metadata)) fail('"metadata" is not an object');
  const cells: Cell[] = (nb.cells as unknown[]).map((raw, index) => {
    const where = `cell ${index + 1}`;
    if (!isRecord(raw)) return fail(`${where} is not an object`);
    const type = raw.cell_type;
    if (type !== 'code' && type !== 'markdown' && type !== 'raw') {
      return fail(`${where} has cell_type ${JSON.stringify(type)}; expected "code", "markdown" or "raw"`);
    }
    if (!isMultiline(raw.source)) return fail(`${where} has no source string (or list of strings)`);
    const cellMetadata = raw.metadata === undefined ? {} : raw.metadata;
    if (!isRecord(cellMetadata)) return fail(`${where} has a metadata field that is not an object`);
    if (cellMetadata.nbgrader !== undefined && !isRecord(cellMetadata.nbgrader)) {
      return fail(`${where} has nbgrader metadata that is not an object`);
    }
    const cell: Cell = {
      ...raw,
      cell_type: type,
      source: sourceOf({ source: raw.source }),
      metadata: cellMetadata as CellMetadata
    };
    if (type === 'code') {
      if (raw.outputs !== undefined && !Array.isArray(raw.outputs))
        return fail(`${where} has outputs that are not a list`);
      cell.outputs = (raw.outputs as Output[] | undefined) ?? [];
      cell.execution_count = typeof raw.execution_count === 'number' ? raw.execution_count : null;
    }
    return cell;
  });
  return {
    ...(nb as object),
    nbformat: 4,
    nbformat_minor: typeof nb.nbformat_minor === 'number' ? nb.nbformat_minor : 0,
    metadata: metadata as Notebook['metadata'],
    cells
  };
}

/** Parses notebook bytes: size limit, strict UTF-8, JSON, nbformat 4 shape. */
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
