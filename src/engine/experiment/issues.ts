/**
 * Turns zod issues into sentences that name the bad field and the value that was given, e.g.
 * "population.size must be at most 64 (got 1000)". Zod's own messages ("Too big: expected number
 * to be <=64") omit both, and the person holding a broken link needs both.
 */
import type { z } from 'zod';
import { ExperimentError, type ExperimentErrorReason } from './errors';
import { formatPath } from './guard';

type Issue = z.core.$ZodIssue;

/** Throws one ExperimentError listing every issue (the message shows the first and a count). */
export function throwIssues(reason: ExperimentErrorReason, issues: readonly Issue[], input: unknown): never {
  const details = pickIssues(issues).map((issue) => describeIssue(issue, input));
  const first = details[0] ?? 'The experiment is invalid';
  const more =
    details.length > 1 ? ` (and ${details.length - 1} more problem${details.length > 2 ? 's' : ''})` : '';
  throw new ExperimentError(reason, first + more, details);
}

/**
 * A large integer fails both zod's safe-integer check and the field's own bound; only the field's
 * bound is worth reading, so the safe-integer issue is dropped when another issue names the path.
 */
function pickIssues(issues: readonly Issue[]): Issue[] {
  const key = (i: Issue): string =>
    JSON.stringify(i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)));
  const counts = new Map<string, number>();
  for (const i of issues) counts.set(key(i), (counts.get(key(i)) ?? 0) + 1);
  return issues.filter(
    (i) =>
      !((i.code === 'too_big' || i.code === 'too_small') && i.origin === 'int' && counts.get(key(i))! > 1),
  );
}

/** One readable sentence for one issue. */
export function describeIssue(issue: Issue, input: unknown): string {
  const path = formatPath(issue.path);
  const value = valueAt(input, issue.path);
  const got = `(got ${describeValue(value)})`;
  switch (issue.code) {
    case 'invalid_type': {
      if (value === undefined) return `${path} is required (${article(issue.expected)})`;
      return `${path} must be ${article(issue.expected)} ${got}`;
    }
    case 'too_big':
    case 'too_small': {
      const big = issue.code === 'too_big';
      const bound = Number(big ? issue.maximum : issue.minimum);
      const cmp =
        issue.inclusive === false ? (big ? 'less than' : 'more than') : big ? 'at most' : 'at least';
      if (issue.origin === 'array' || issue.origin === 'set') {
        const n = Array.isArray(value) ? value.length : '?';
        return `${path} must have ${cmp} ${bound} item${bound === 1 ? '' : 's'} (got ${n})`;
      }
      if (issue.origin === 'string') {
        const n = typeof value === 'string' ? value.length : '?';
        return `${path} must be ${cmp} ${bound} character${bound === 1 ? '' : 's'} long (got ${n})`;
      }
      return `${path} must be ${cmp} ${bound} ${got}`;
    }
    case 'invalid_value':
      return issue.values.length === 1
        ? `${path} must be ${quote(issue.values[0])} ${got}`
        : `${path} must be one of ${issue.values.map(quote).join(', ')} ${got}`;
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      if (Array.isArray(options)) return `${path} must be one of ${options.map(quote).join(', ')} ${got}`;
      return `${path} does not match any allowed form ${got}`;
    }
    case 'invalid_format':
    case 'custom':
      return `${path} ${issue.message} ${got}`;
    default:
      return `${path}: ${issue.message}`;
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, key))
      return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** Short, safe description of any value: strings are quoted and cut so a message stays short. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `a list of ${v.length} item${v.length === 1 ? '' : 's'}`;
  if (typeof v === 'object') return 'an object';
  return typeof v;
}

function quote(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : String(v);
}

function article(expected: string): string {
  switch (expected) {
    case 'int':
      return 'a whole number';
    case 'array':
      return 'a list';
    case 'object':
      return 'an object';
    default:
      return `a ${expected}`;
  }
}
