/**
 * Structural checks that run on untrusted values *before* the schema sees them: prototype-
 * pollution keys, nesting depth, array lengths and key counts. Zod would strip a `__proto__` key
 * silently, but a link carrying one is an attack, not a typo, so it is refused and said so; and
 * bounding the shape first keeps the validator's work proportional to a real spec.
 */
import { ExperimentError } from './errors';

/** Deepest nesting a spec may have; a real one is 4 levels deep. */
export const MAX_DEPTH = 16;
/** Longest array anywhere (the longest real one, `models`, holds 64). */
export const MAX_ARRAY_LENGTH = 256;
/** Most keys in one object (a real object has at most 9). */
export const MAX_OBJECT_KEYS = 256;

/** Keys that reach an object's prototype when assigned or merged naively. */
const POLLUTION_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Formats a path like `views.landscape.anchors[2]` (the empty path is "the experiment"). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    // Unknown keys come from the link's author: cut long ones so a message stays readable.
    const name = String(key).length > 40 ? `${String(key).slice(0, 40)}…` : String(key);
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? name : `.${name}`;
  }
  return out === '' ? 'the experiment' : out;
}

/**
 * Refuses JSON text nested deeper than MAX_DEPTH before JSON.parse runs, so a 256 KiB run of `[`
 * never builds a deep tree (or overflows a recursive walk).
 */
export function checkJsonTextDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) throw tooDeep();
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
}

/** Parses JSON text from a link: depth-checked, then parsed, then walked by guardValue. */
export function parseJsonText(text: string): unknown {
  checkJsonTextDepth(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ExperimentError('bad-json', `The experiment is not valid JSON (${why})`);
  }
  guardValue(value);
  return value;
}

/**
 * Walks a value and throws ExperimentError on a pollution key ('pollution') or on a shape beyond
 * the caps ('too-complex'). Cycles are caught by the depth cap.
 */
export function guardValue(value: unknown): void {
  try {
    walk(value, [], 0);
  } catch (e) {
    if (e instanceof ExperimentError) throw e;
    // A hostile object (throwing getter, revoked proxy) is still this boundary's error.
    throw new ExperimentError(
      'invalid',
      `The experiment could not be read (${e instanceof Error ? e.message : String(e)})`,
    );
  }
}

function walk(value: unknown, path: PropertyKey[], depth: number): void {
  if (value === null || typeof value !== 'object') return;
  if (depth >= MAX_DEPTH) throw tooDeep();
  if (Array.isArray(value)) {
    if (value.length > MAX_ARRAY_LENGTH) {
      throw new ExperimentError(
        'too-complex',
        `${formatPath(path)} has ${value.length} items; no list in an experiment may exceed ${MAX_ARRAY_LENGTH}`,
      );
    }
    for (let i = 0; i < value.length; i++) walk(value[i], [...path, i], depth + 1);
    return;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    // Class instances, Maps, Dates, objects with a crafted prototype: zod would read inherited
    // properties from them, so only plain data crosses the boundary.
    throw new ExperimentError(
      'invalid',
      `${formatPath(path)} must be plain data (got ${value.constructor?.name ?? 'an exotic object'})`,
    );
  }
  const keys = Object.keys(value);
  if (keys.length > MAX_OBJECT_KEYS) {
    throw new ExperimentError(
      'too-complex',
      `${formatPath(path)} has ${keys.length} keys; no object in an experiment may exceed ${MAX_OBJECT_KEYS}`,
    );
  }
  for (const key of keys) {
    if (POLLUTION_KEYS.has(key)) {
      throw new ExperimentError(
        'pollution',
        `Refused a key named "${key}" at ${formatPath([...path, key])}: it could tamper with object prototypes (prototype pollution)`,
      );
    }
    walk((value as Record<string, unknown>)[key], [...path, key], depth + 1);
  }
}

function tooDeep(): ExperimentError {
  return new ExperimentError('too-complex', `The experiment is nested more than ${MAX_DEPTH} levels deep`);
}
