/** A small strict command-line parser: known flags only, typed values, clear errors. */
import { UsageError } from '../engine/errors.js';

export interface FlagSpec {
  type: 'boolean' | 'string' | 'number';
  short?: string;
  /** may be given more than once (values collected in order) */
  multiple?: boolean;
}

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

export interface ParsedArgs {
  flags: FlagValues;
  positionals: string[];
  help: boolean;
}

export function parseArgs(command: string, argv: string[], specs: Record<string, FlagSpec>): ParsedArgs {
  const flags: FlagValues = {};
  const positionals: string[] = [];
  let help = false;
  const byShort = new Map(
    Object.entries(specs)
      .filter(([, spec]) => spec.short)
      .map(([name, spec]) => [spec.short!, name])
  );
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
    } else {
      const resolved = byShort.get(arg.slice(1));
      if (!resolved) throw new UsageError(`unknown option ${arg}`, command);
      name = resolved;
    }
    const spec = specs[name];
    if (!spec) {
      const close = Object.keys(specs).find(known => known.startsWith(name.slice(0, 3)));
      throw new UsageError(`unknown option --${name}${close ? ` (did you mean --${close}?)` : ''}`, command);
    }
    let value: string | number | boolean;
    if (spec.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`, command);
      value = true;
    } else {
      const raw = inline ?? argv[++i];
      if (raw === undefined || (inline === undefined && raw.startsWith('--')))
        throw new UsageError(`--${name} needs a value`, command);
      if (spec.type === 'number') {
        const n = Number(raw);
        if (!Number.isFinite(n) || n <= 0)
          throw new UsageError(`--${name} needs a positive number, got "${raw}"`, command);
        value = n;
      } else value = raw;
    }
    if (spec.multiple) {
      const list = (flags[name] as string[] | undefined) ?? [];
      list.push(String(value));
      flags[name] = list;
    } else {
      if (flags[name] !== undefined) throw new UsageError(`--${name} was given twice`, command);
      flags[name] = value;
    }
  }
  return { flags, positionals, help };
}
