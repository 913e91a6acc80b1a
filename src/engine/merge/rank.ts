/**
 * Magnitude ranks for the sparsifiers. Ties are broken by position (the earlier entry ranks
 * lower), so a merge is a function of its inputs alone; torch's sort leaves that order open.
 */

/** |x| of every entry. */
export function magnitudes(x: Float64Array): Float64Array {
  const a = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) a[i] = Math.abs(x[i]!);
  return a;
}

/** First index in sorted `s` whose value is ≥ v. */
function lowerBound(s: Float64Array, v: number): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A 0/1 mask keeping the entries whose ascending magnitude rank r satisfies lo ≤ r < hi. One
 * native sort of the magnitudes gives the two threshold values; entries equal to a threshold
 * get their rank from their position among equals.
 */
export function rankBandMask(abs: Float64Array, lo: number, hi: number): Uint8Array {
  const n = abs.length;
  const mask = new Uint8Array(n);
  if (hi <= lo || n === 0) return mask;
  const s = Float64Array.from(abs).sort();
  const vLo = s[lo]!;
  const vHi = s[hi - 1]!;
  const startLo = lowerBound(s, vLo);
  const startHi = lowerBound(s, vHi);
  let seenLo = 0;
  let seenHi = 0;
  for (let i = 0; i < n; i++) {
    const v = abs[i]!;
    if (v > vLo && v < vHi) {
      mask[i] = 1;
      continue;
    }
    if (v !== vLo && v !== vHi) continue;
    const r = v === vLo ? startLo + seenLo++ : startHi + seenHi++;
    if (r >= lo && r < hi) mask[i] = 1;
  }
  return mask;
}

/** Ascending magnitude rank (0-based) of each entry of one row. */
export function rowRanks(abs: Float64Array, start: number, len: number): Uint32Array {
  const idx = new Uint32Array(len);
  for (let i = 0; i < len; i++) idx[i] = i;
  idx.sort((a, b) => abs[start + a]! - abs[start + b]! || a - b);
  const rank = new Uint32Array(len);
  for (let r = 0; r < len; r++) rank[idx[r]!] = r;
  return rank;
}
