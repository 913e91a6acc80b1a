/**
 * The experiment in a URL: `#x=` + base64url(deflateRaw(JSON)), unpadded. Decoding is the boundary for
 * links from anywhere, so every stage is capped before it runs: the encoded length, the inflated
 * size (inflation stops at the cap instead of allocating a deflate bomb), the JSON shape, then
 * the schema. Every failure is an ExperimentError with a reason code.
 */
import { Inflate, deflateSync } from 'fflate';
import { decodeBase64Url, encodeBase64Url } from './base64url';
import { compactExperiment } from './compact';
import { ExperimentError } from './errors';
import { parseJsonText } from './guard';
import { parseExperiment, type ExperimentSpec } from './schema';

/** What every experiment hash starts with. */
export const HASH_PREFIX = '#x=';
/** Most base64url characters after the prefix (16 KiB; browsers accept far longer URLs). */
export const MAX_ENCODED_CHARS = 16 * 1024;
/** Most bytes of JSON a link may inflate to (a real spec is under 20 KiB). */
export const MAX_INFLATED_BYTES = 256 * 1024;
/**
 * Compressed bytes fed to the inflater per step. fflate inflates everything pushed in one go, and
 * DEFLATE expands at most ~1032×, so 64-byte steps bound the overshoot past the cap to ~66 KiB.
 */
const INFLATE_STEP = 64;

/**
 * Encodes an experiment as a URL hash fragment (`#x=…`). The spec is validated and put in
 * canonical key order first, and only keys that differ from the defaults are written
 * (compact.ts), so equal experiments give equal, short links. Throws ExperimentError ('invalid',
 * or 'too-long' when it would not fit the cap a receiver accepts).
 */
export function encodeExperiment(spec: ExperimentSpec): string {
  const canonical = compactExperiment(parseExperiment(spec));
  const json = new TextEncoder().encode(JSON.stringify(canonical));
  const payload = encodeBase64Url(deflateSync(json, { level: 9, mem: 8 }));
  if (payload.length > MAX_ENCODED_CHARS) {
    throw new ExperimentError(
      'too-long',
      `This experiment is too large to share as a link (${payload.length} characters; the limit is ${MAX_ENCODED_CHARS})`,
    );
  }
  return HASH_PREFIX + payload;
}

/**
 * Decodes a URL hash fragment (as in `location.hash`) into a validated experiment.
 * Throws ExperimentError; its `reason` says which stage refused the link.
 */
export function decodeExperimentHash(hash: string, notes?: string[]): ExperimentSpec {
  if (typeof hash !== 'string' || !hash.startsWith(HASH_PREFIX)) {
    throw new ExperimentError(
      'not-experiment',
      `The link holds no experiment (it must start with "${HASH_PREFIX}")`,
    );
  }
  const payload = hash.slice(HASH_PREFIX.length);
  if (payload.length > MAX_ENCODED_CHARS) {
    throw new ExperimentError(
      'too-long',
      `The link's experiment data is too long (${payload.length} characters; the limit is ${MAX_ENCODED_CHARS})`,
    );
  }
  const bytes = inflateCapped(decodeBase64Url(payload), MAX_INFLATED_BYTES);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ExperimentError('bad-json', "The link's experiment data is not UTF-8 text");
  }
  return parseExperiment(parseJsonText(text), notes);
}

/** What a URL hash holds. */
export type HashContent =
  | { kind: 'none' }
  /** `notes`: what a migration from an older version could not carry over, in words. */
  | { kind: 'spec'; spec: ExperimentSpec; notes: string[] }
  | { kind: 'error'; error: ExperimentError };

/**
 * Convenience for URL sync: a hash without `#x=` (including '' and '#') is 'none', so other
 * fragments do not raise errors; a `#x=` hash is decoded, and a failure is returned, not thrown.
 */
export function readHash(hash: string): HashContent {
  if (typeof hash !== 'string' || !hash.startsWith(HASH_PREFIX)) return { kind: 'none' };
  try {
    const notes: string[] = [];
    return { kind: 'spec', spec: decodeExperimentHash(hash, notes), notes };
  } catch (e) {
    const error =
      e instanceof ExperimentError
        ? e
        : new ExperimentError('invalid', `The experiment could not be read (${String(e)})`);
    return { kind: 'error', error };
  }
}

/**
 * Inflates raw DEFLATE bytes, refusing ('too-large') as soon as the output passes `maxBytes`:
 * the input is fed in small steps to fflate's streaming Inflate, so a bomb is never expanded
 * whole. Corrupt or truncated input is 'bad-deflate'.
 */
export function inflateCapped(bytes: Uint8Array, maxBytes: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const inflater = new Inflate((chunk) => {
    chunks.push(chunk);
    total += chunk.length;
  });
  try {
    for (let i = 0; i < bytes.length || i === 0; i += INFLATE_STEP) {
      const end = Math.min(i + INFLATE_STEP, bytes.length);
      inflater.push(bytes.subarray(i, end), end >= bytes.length);
      if (total > maxBytes) {
        throw new ExperimentError(
          'too-large',
          `The link's experiment data inflates to more than ${maxBytes} bytes (a deflate bomb?); refused`,
        );
      }
    }
  } catch (e) {
    if (e instanceof ExperimentError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new ExperimentError('bad-deflate', `The link's experiment data is corrupt or cut short (${why})`);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
