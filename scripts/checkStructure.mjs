#!/usr/bin/env node
// The layout's rules, checked from the code's own imports (part of `npm run lint`):
//   - no import cycles, in the TypeScript under src/ and in each Python package under src/ (imports
//     inside functions count; imports under `if TYPE_CHECKING:` are for types only and do not);
//   - imports run down the layers (LAYERS below), never up;
//   - no source file under src/ longer than MAX_LINES (C sources and JSON aside).
// Prints what breaks a rule and exits 1, or prints a one-line summary.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAX_LINES = 500;

/**
 * Folder → the folders its files may import from (besides their own). The most specific folder
 * that contains a file decides; `src/` itself is the fallback.
 */
const LAYERS = {
  'src/protocol': [],
  'src/kernel': ['src/protocol'],
  'src/grader/sandbox': ['src/kernel', 'src/protocol'],
  'src/grader/engine': ['src/grader/sandbox', 'src/kernel', 'src/protocol'],
  // the bridge to an nbgrader course: what `autograde` needs beside the engine
  'src/grader/nbgrader': ['src/grader/engine', 'src/grader/sandbox', 'src/kernel', 'src/protocol'],
  'src/grader/commands': [
    'src/grader/nbgrader',
    'src/grader/engine',
    'src/grader/sandbox',
    'src/kernel',
    'src/protocol'
  ],
  'src/lab/ui': ['src/protocol'],
  'src/lab/trace': ['src/lab/ui', 'src/protocol'],
  'src/lab/meters': ['src/lab/trace', 'src/lab/ui', 'src/protocol'],
  // the timeline shows the lock meter's table under a trace
  'src/lab/timeline': ['src/lab/meters', 'src/lab/trace', 'src/lab/ui', 'src/protocol'],
  'src/lab/grading': ['src/lab/trace', 'src/lab/ui', 'src/protocol'],
  'src/lab': ['src/lab/timeline', 'src/lab/meters', 'src/lab/grading', 'src/lab/trace', 'src/lab/ui', 'src/protocol']
};

/** Folder → the packages its files may import (browser code must not reach Node-only ones). */
const PACKAGES = {
  'src/protocol': /^$/,
  'src/lab': /^@(jupyterlab|lumino)\//
};

const problems = [];

function walk(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === '__pycache__' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else out.push(full);
  }
  return out;
}

const rel = file => path.relative(root, file);
const files = walk(path.join(root, 'src'));

// ------------------------------------------------------------------ TypeScript imports
const TS_IMPORT =
  /(?:^|\n)\s*(?:import|export)\s(?:type\s)?[^'";]*?from\s*['"](\.[^'"]+)['"]|import\s*\(\s*['"](\.[^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"](\.[^'"]+)['"]/g;

const TS_PACKAGE_IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*['"]([^.'"][^'"]*)['"]|import\s*\(\s*['"]([^.'"][^'"]*)['"]\s*\)/g;

function checkPackages(file, text) {
  const folder = Object.keys(PACKAGES).find(prefix => rel(file).startsWith(`${prefix}/`));
  if (!folder) return;
  for (const match of text.matchAll(TS_PACKAGE_IMPORT)) {
    const name = match[1] ?? match[2];
    if (!PACKAGES[folder].test(name)) problems.push(`${rel(file)}: imports '${name}', which ${folder} may not use`);
  }
}

function tsImports(file) {
  const text = fs.readFileSync(file, 'utf8');
  checkPackages(file, text);
  const targets = [];
  for (const match of text.matchAll(TS_IMPORT)) {
    const spec = match[1] ?? match[2] ?? match[3];
    // `import type` needs no module at run time, but it still says which way the layers depend
    const resolved = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
    const candidates = [resolved, `${resolved}.ts`, path.join(resolved, 'index.ts'), resolved.replace(/\.ts$/, '.tsx')];
    const found = candidates.find(candidate => fs.existsSync(candidate) && fs.statSync(candidate).isFile());
    if (found) targets.push(found);
    else if (!/\.(json|css)$/.test(spec)) problems.push(`${rel(file)}: cannot resolve import '${spec}'`);
  }
  return targets;
}

// ------------------------------------------------------------------ Python imports
function pythonModuleFile(base) {
  if (fs.existsSync(`${base}.py`)) return `${base}.py`;
  if (fs.existsSync(path.join(base, '__init__.py'))) return path.join(base, '__init__.py');
  return undefined;
}

/** The top folder of the Python package a file belongs to (the last folder up with an __init__.py). */
function packageRoot(file) {
  let dir = path.dirname(file);
  while (fs.existsSync(path.join(path.dirname(dir), '__init__.py'))) dir = path.dirname(dir);
  return dir;
}

function pythonImports(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const pkgRoot = packageRoot(file);
  const pkgName = path.basename(pkgRoot);
  const targets = [];
  let typeOnlyIndent = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim() || line.trim().startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    if (typeOnlyIndent >= 0 && indent <= typeOnlyIndent) typeOnlyIndent = -1;
    if (/^\s*if\s+(typing\.)?TYPE_CHECKING\s*:/.test(line)) {
      typeOnlyIndent = indent;
      continue;
    }
    if (typeOnlyIndent >= 0) continue;
    let statement = line.trim();
    // a parenthesised name list may span lines
    while (statement.includes('(') && !statement.includes(')') && i + 1 < lines.length)
      statement += ' ' + lines[++i].trim();
    let base;
    let names = [];
    let m = /^from\s+(\.+)([\w.]*)\s+import\s+(.+)$/.exec(statement);
    if (m) {
      let dir = path.dirname(file);
      for (let up = 1; up < m[1].length; up++) dir = path.dirname(dir);
      base = m[2] ? path.join(dir, ...m[2].split('.')) : dir;
      names = m[3]
        .replace(/[()]/g, '')
        .split(',')
        .map(n => n.trim().split(/\s+as\s+/)[0]);
    } else if ((m = new RegExp(`^from\\s+${pkgName}((?:\\.\\w+)*)\\s+import\\s+(.+)$`).exec(statement))) {
      base = path.join(pkgRoot, ...m[1].split('.').filter(Boolean));
      names = m[2]
        .replace(/[()]/g, '')
        .split(',')
        .map(n => n.trim().split(/\s+as\s+/)[0]);
    } else if ((m = new RegExp(`^import\\s+${pkgName}((?:\\.\\w+)+)`).exec(statement))) {
      base = path.join(pkgRoot, ...m[1].split('.').filter(Boolean));
    } else {
      continue;
    }
    // `from .pkg import module` imports that module; `from .module import name` the module itself
    const submodules = names.map(name => pythonModuleFile(path.join(base, name))).filter(Boolean);
    if (submodules.length) targets.push(...submodules);
    else {
      const target = pythonModuleFile(base);
      if (target && target !== file) targets.push(target);
    }
  }
  return targets;
}

// ------------------------------------------------------------------ the graph and its rules
const graph = new Map();
for (const file of files) {
  if (/\.tsx?$/.test(file) && !file.endsWith('.d.ts')) graph.set(file, tsImports(file));
  else if (file.endsWith('.py')) graph.set(file, pythonImports(file));
}

function layerOf(file) {
  const relative = rel(path.dirname(file));
  const owner = Object.keys(LAYERS)
    .filter(layer => relative === layer || relative.startsWith(`${layer}/`))
    .sort((a, b) => b.length - a.length)[0];
  return owner;
}

for (const [file, targets] of graph) {
  if (!file.endsWith('.ts')) continue;
  const from = layerOf(file);
  if (!from) continue;
  for (const target of targets) {
    const to = layerOf(target);
    if (to && to !== from && !LAYERS[from].includes(to))
      problems.push(`${rel(file)} (${from}) imports ${rel(target)} (${to}): against the layers`);
  }
}

// cycles: Tarjan's strongly connected components
let counter = 0;
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
function connect(node) {
  index.set(node, counter);
  low.set(node, counter++);
  stack.push(node);
  onStack.add(node);
  for (const next of graph.get(node) ?? []) {
    if (!graph.has(next)) continue;
    if (!index.has(next)) {
      connect(next);
      low.set(node, Math.min(low.get(node), low.get(next)));
    } else if (onStack.has(next)) low.set(node, Math.min(low.get(node), index.get(next)));
  }
  if (low.get(node) === index.get(node)) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) {
      problems.push(`import cycle: ${component.map(rel).sort().join(' → ')}`);
    }
  }
}
for (const node of graph.keys()) if (!index.has(node)) connect(node);

for (const file of files) {
  if (!/\.(ts|tsx|py|mjs|js|css)$/.test(file)) continue; // sources only (C aside: one module a file)
  const lines = fs.readFileSync(file, 'utf8').split('\n').length;
  if (lines > MAX_LINES) problems.push(`${rel(file)}: ${lines} lines (at most ${MAX_LINES}: split it along its parts)`);
}

if (problems.length) {
  for (const problem of problems) console.error(`structure: ${problem}`);
  process.exit(1);
}
const edges = [...graph.values()].reduce((sum, targets) => sum + targets.length, 0);
console.log(
  `structure: ${graph.size} modules, ${edges} imports, no cycles, layers respected, no file over ${MAX_LINES} lines`
);
