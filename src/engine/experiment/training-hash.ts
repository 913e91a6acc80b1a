/**
 * A short, stable name for "the population these settings train": 64-bit FNV-1a over the
 * canonical JSON (keys sorted) of the settings. Not a security hash: it only has to tell two
 * experiments' populations apart in `member:<hash>/<i>` ids, and be the same in every browser.
 */

/** The settings that decide what a population trains to. */
export interface TrainingKey {
  data: { source: unknown; size: number };
  arch: unknown;
  population: unknown;
  training: unknown;
}

/** 16 lower-case hex digits. */
export function trainingHash(key: TrainingKey): string {
  const text = canonicalJson(key);
  const bytes = new TextEncoder().encode(text);
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = (1n << 64n) - 1n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * prime) & mask;
  return h.toString(16).padStart(16, '0');
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
