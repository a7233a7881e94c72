#!/usr/bin/env node
// `npm start [-- jupyter lab args]`: JupyterLab from .venv, on the course, with the threadline kernel
// as the default (set by setup in .venv/etc/jupyter). JUPYTER_TOKEN is honoured by Jupyter Server itself.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const jupyter = path.join(root, '.venv', 'bin', 'jupyter');
const args = [
  'lab',
  `--notebook-dir=${path.join(root, 'notebooks')}`,
  // Jupyter Server refuses to run as root unless told; containers and CI often are root.
  ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
  ...process.argv.slice(2)
];
const env = { ...process.env, PATH: `${path.join(root, '.venv', 'bin')}${path.delimiter}${process.env.PATH ?? ''}` };
const lab = spawn(jupyter, args, { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => lab.kill(signal));
lab.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
