/**
 * The CLI's argument parser: a small typed table per command, so that every command refuses an
 * unknown flag or a malformed value the same way (exit 2) before it touches any file.
 */

/** A mistake in how the command was called (unknown flag, bad value): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure a person can act on (missing file, wrong format, mismatched models): exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/** What one flag accepts. `ints` is a comma-separated list of positive integers ("64,64,64"). */
export type FlagSpec =
  | { kind: 'bool'; help: string }
  | { kind: 'string'; help: string; arg: string }
  | { kind: 'choice'; help: string; choices: readonly string[] }
  | { kind: 'number'; help: string; arg: string; min?: number; max?: number }
  | { kind: 'int'; help: string; arg: string; min?: number; max?: number }
  | { kind: 'ints'; help: string; arg: string; min?: number; max?: number };

/** A command's arguments: named positionals (the last may repeat) and flags. */
export interface ArgSpec {
  positionals: { names: string[]; min: number; variadic?: boolean };
  flags: Record<string, FlagSpec>;
}

/** Flags every command takes. */
export const COMMON_FLAGS: Record<string, FlagSpec> = {
  json: { kind: 'bool', help: 'print exactly one JSON object on stdout' },
  help: { kind: 'bool', help: 'show this help' },
};

/** Parsed arguments with typed getters; values were validated while parsing. */
export class ParsedArgs {
  constructor(
    readonly positionals: string[],
    private readonly values: Map<string, string | number | boolean | number[]>,
  ) {}

  has(name: string): boolean {
    return this.values.has(name);
  }
  flag(name: string): boolean {
    return this.values.get(name) === true;
  }
  string(name: string): string | undefined {
    return this.values.get(name) as string | undefined;
  }
  number(name: string): number | undefined {
    return this.values.get(name) as number | undefined;
  }
  ints(name: string): number[] | undefined {
    return this.values.get(name) as number[] | undefined;
  }
}

/** Throws the usage error for a flag the command cannot run without. */
export function missing(name: string): never {
  throw new UsageError(`--${name} is required`);
}

function parseNumber(
  name: string,
  raw: string,
  spec: { min?: number; max?: number },
  integer: boolean,
): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v))
    throw new UsageError(`--${name} takes a number, got "${raw}"`);
  if (integer && !Number.isSafeInteger(v)) throw new UsageError(`--${name} takes an integer, got "${raw}"`);
  if (spec.min !== undefined && v < spec.min)
    throw new UsageError(`--${name} must be at least ${spec.min}, got ${raw}`);
  if (spec.max !== undefined && v > spec.max)
    throw new UsageError(`--${name} must be at most ${spec.max}, got ${raw}`);
  return v;
}

function parseValue(name: string, spec: FlagSpec, raw: string): string | number | number[] {
  switch (spec.kind) {
    case 'string':
      return raw;
    case 'choice':
      if (!spec.choices.includes(raw))
        throw new UsageError(`--${name} must be one of ${spec.choices.join(', ')}; got "${raw}"`);
      return raw;
    case 'number':
      return parseNumber(name, raw, spec, false);
    case 'int':
      return parseNumber(name, raw, spec, true);
    case 'ints':
      return raw.split(',').map((p) => parseNumber(name, p, spec, true));
    default:
      throw new UsageError(`--${name} takes no value`);
  }
}

/**
 * Parses `argv` (after the command name) against `spec`: `--flag value`, `--flag=value`, and
 * `--` to end flags. A value is always taken from the next word, so `--alpha -0.5` works.
 */
export function parseArgs(argv: readonly string[], spec: ArgSpec): ParsedArgs {
  const flags = { ...spec.flags, ...COMMON_FLAGS };
  const positionals: string[] = [];
  const values = new Map<string, string | number | boolean | number[]>();
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (onlyPositionals || !word.startsWith('--') || word === '-') {
      if (!onlyPositionals && word.startsWith('-') && word.length > 1 && !/^-\d/.test(word)) {
        throw new UsageError(`unknown option ${word} (options are spelled --name)`);
      }
      positionals.push(word);
      continue;
    }
    if (word === '--') {
      onlyPositionals = true;
      continue;
    }
    const eq = word.indexOf('=');
    const name = word.slice(2, eq < 0 ? undefined : eq);
    const fs = Object.hasOwn(flags, name) ? flags[name] : undefined;
    if (!fs) throw new UsageError(`unknown option --${name}`);
    if (fs.kind === 'bool') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      values.set(name, true);
      continue;
    }
    let raw: string | undefined;
    if (eq >= 0) raw = word.slice(eq + 1);
    else raw = argv[++i];
    if (raw === undefined) throw new UsageError(`--${name} needs a value`);
    values.set(name, parseValue(name, fs, raw));
  }
  if (values.get('help') === true) return new ParsedArgs(positionals, values);
  const { names, min, variadic } = spec.positionals;
  if (positionals.length < min) {
    throw new UsageError(
      `missing ${names.slice(positionals.length, Math.max(min, positionals.length + 1)).join(' ') || 'arguments'}`,
    );
  }
  if (!variadic && positionals.length > names.length) {
    throw new UsageError(`unexpected argument "${positionals[names.length]}"`);
  }
  return new ParsedArgs(positionals, values);
}

/** The flag table as help text lines. */
export function flagHelp(spec: ArgSpec): string {
  const rows = Object.entries({ ...spec.flags, ...COMMON_FLAGS }).map(([name, f]) => {
    let left = `--${name}`;
    if (f.kind === 'choice') left += ` ${f.choices.join('|')}`;
    else if (f.kind !== 'bool') left += ` ${f.arg}`;
    return [left, f.help] as const;
  });
  const w = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, h]) => `  ${l.padEnd(w)}  ${h}`).join('\n');
}
