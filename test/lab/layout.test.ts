/**
 * The lab's layout as a map a newcomer can trust: folders import downwards only
 * (ui ← trace ← timeline/meters/grading ← index.ts/mimeExtension.ts), nothing imports in a
 * circle, the only code outside src/lab it uses is src/protocol and JupyterLab's packages,
 * and no file grows past 500 lines.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const lab = path.join(root, 'src', 'lab');
const protocol = path.join(root, 'src', 'protocol');

/** Lower layers never import higher ones (features of one layer may share code, without cycles). */
const LAYER: Record<string, number> = { ui: 0, trace: 1, timeline: 2, meters: 2, grading: 2, '.': 3 };
const PACKAGES = /^@(jupyterlab|lumino)\//;
const MAX_LINES = 500;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function specifiers(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const found: string[] = [];
  // import/export clauses hold only names, braces, commas, `*`, `as` and `type`
  for (const m of text.matchAll(/^(?:import|export)\s[\w\s{},*$]*?\bfrom\s*'([^']+)'/gm)) found.push(m[1]);
  for (const m of text.matchAll(/^import\s*'([^']+)'/gm)) found.push(m[1]);
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) found.push(m[1]);
  return found;
}

function folderOf(file: string): string {
  const rel = path.relative(lab, file);
  return rel.includes(path.sep) ? rel.split(path.sep)[0] : '.';
}

const files = sourceFiles(lab);
/** file → the lab files it imports */
const graph = new Map<string, string[]>();
const outside: string[] = [];
for (const file of files) {
  const targets: string[] = [];
  for (const spec of specifiers(file)) {
    if (!spec.startsWith('.')) {
      if (!PACKAGES.test(spec)) outside.push(`${path.relative(root, file)} imports ${spec}`);
      continue;
    }
    const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
    if (target.startsWith(lab + path.sep)) targets.push(target);
    else if (!target.startsWith(protocol + path.sep)) outside.push(`${path.relative(root, file)} imports ${spec}`);
  }
  graph.set(file, targets);
}

describe('src/lab layout', () => {
  it('has every file in a known folder', () => {
    const unknown = files.map(folderOf).filter(folder => !(folder in LAYER));
    expect(unknown).toEqual([]);
  });

  it('imports only src/protocol and JupyterLab packages from outside the lab', () => {
    expect(outside).toEqual([]);
  });

  it('imports downwards only: ui ← trace ← timeline, meters, grading ← the entry points', () => {
    const upwards: string[] = [];
    for (const [file, targets] of graph) {
      for (const target of targets) {
        const [from, to] = [folderOf(file), folderOf(target)];
        if (LAYER[to] > LAYER[from]) upwards.push(`${path.relative(lab, file)} → ${path.relative(lab, target)}`);
      }
    }
    expect(upwards).toEqual([]);
  });

  it('has no import cycles', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, trail: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(file)), file].map(f => path.relative(lab, f)).join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const target of graph.get(file) ?? []) visit(target, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it(`keeps every source file under ${MAX_LINES} lines`, () => {
    const long = files
      .map(file => ({ file: path.relative(lab, file), lines: fs.readFileSync(file, 'utf8').split('\n').length }))
      .filter(f => f.lines > MAX_LINES);
    expect(long).toEqual([]);
  });
});
