/**
 * Links carry only what differs from the defaults: `{ "version": 2 }` is the whole default
 * experiment, and a typical link names a handful of keys. This is safe because the decoder fills
 * every missing key with the same version's default, and each version's defaults are frozen
 * (pinned by tests; changing one needs a new version and a migration).
 */
import { defaultExperiment, type ExperimentSpec } from './schema';

type Plain = Record<string, unknown>;

const isPlain = (v: unknown): v is Plain => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The keys of a valid spec that differ from the defaults, in the spec's (canonical) key order.
 * Lists and tagged unions (objects with a `kind`) are kept or dropped whole: a partial union
 * would not parse back, and a partial list would mean something else.
 */
export function compactExperiment(spec: ExperimentSpec): Plain {
  const diff = diffObject(spec as unknown as Plain, defaultExperiment() as unknown as Plain);
  return { version: spec.version, ...diff };
}

function diffObject(value: Plain, base: Plain): Plain {
  const out: Plain = {};
  for (const key of Object.keys(value)) {
    const v = value[key];
    const b = base[key];
    if (isPlain(v) && isPlain(b) && !('kind' in v) && !('kind' in b)) {
      const d = diffObject(v, b);
      if (Object.keys(d).length > 0) out[key] = d;
    } else if (!sameData(v, b)) {
      out[key] = v;
    }
  }
  return out;
}

/** Structural equality of JSON-like data (numbers by value, so -0 equals 0 as JSON writes it). */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => sameData(x, b[i]));
  if (isPlain(a) && isPlain(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && sameData(a[k], b[k]));
  }
  return false;
}
