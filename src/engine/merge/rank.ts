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
 * The value of rank k (0-based, ascending) in `a`, by Hoare's quickselect; reorders `a`.
 * Linear time on average, where a full sort of a 512×784 tensor per model dominated a merge.
 */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/**
 * A 0/1 mask keeping the entries whose ascending magnitude rank r satisfies lo ≤ r < hi. Two
 * selections give the threshold values; entries equal to a threshold get their rank from their
 * position among equals.
 */
export function rankBandMask(abs: Float64Array, lo: number, hi: number): Uint8Array {
  const n = abs.length;
  const mask = new Uint8Array(n);
  if (hi <= lo || n === 0) return mask;
  const work = Float64Array.from(abs);
  const vLo = select(work, lo);
  const vHi = select(work, hi - 1);
  let startLo = 0;
  let startHi = 0;
  for (let i = 0; i < n; i++) {
    if (abs[i]! < vLo) startLo++;
    if (abs[i]! < vHi) startHi++;
  }
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

/** Ascending magnitude rank (0-based) of each entry of one row; equal entries rank by position. */
export function rowRanks(abs: Float64Array, start: number, len: number): Uint32Array {
  const sorted = abs.slice(start, start + len).sort();
  const rank = new Uint32Array(len);
  const seen = new Map<number, number>();
  for (let j = 0; j < len; j++) {
    const v = abs[start + j]!;
    const before = lowerBound(sorted, v);
    // Only repeated values need the counter; distinct ones are the common case.
    const dup = (before + 1 < len && sorted[before + 1] === v) || seen.has(v);
    if (dup) {
      const k = seen.get(v) ?? 0;
      seen.set(v, k + 1);
      rank[j] = before + k;
    } else rank[j] = before;
  }
  return rank;
}
