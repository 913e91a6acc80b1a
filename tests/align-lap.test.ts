import { describe, expect, it } from 'vitest';
import { AssignmentInputError, solveAssignment } from '../src/engine/align/lap';
import { createRng, type Rng } from '../src/engine/rng';

/** Best total over all n! assignments (Heap-free recursive swap enumeration). */
function bruteForce(m: Float64Array, n: number, maximize: boolean): number {
  const p = Array.from({ length: n }, (_, i) => i);
  let best = maximize ? -Infinity : Infinity;
  const rec = (k: number, sum: number): void => {
    if (k === n) {
      best = maximize ? Math.max(best, sum) : Math.min(best, sum);
      return;
    }
    for (let i = k; i < n; i++) {
      [p[k], p[i]] = [p[i]!, p[k]!];
      rec(k + 1, sum + m[k * n + p[k]!]!);
      [p[k], p[i]] = [p[i]!, p[k]!];
    }
  };
  rec(0, 0);
  return n === 0 ? 0 : best;
}

/**
 * An independent solver for cross-checking: the classic O(n³) Hungarian method with row/column
 * potentials (Kuhn–Munkres in the shortest-path form, 1-based with a virtual column 0),
 * minimising.
 */
function hungarianMin(cost: Float64Array, n: number): number {
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const p = new Int32Array(n + 1); // p[j] = row matched to column j (1-based), 0 = none
  const way = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(n + 1).fill(Infinity);
    const used = new Uint8Array(n + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = cost[(i0 - 1) * n + (j - 1)]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]!] = u[p[j]!]! + delta;
          v[j] = v[j]! - delta;
        } else {
          minv[j] = minv[j]! - delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  let total = 0;
  for (let j = 1; j <= n; j++) total += cost[(p[j]! - 1) * n + (j - 1)]!;
  return total;
}

function isPermutation(p: Int32Array): boolean {
  const seen = new Uint8Array(p.length);
  for (const x of p) {
    if (x < 0 || x >= p.length || seen[x]) return false;
    seen[x] = 1;
  }
  return true;
}

function randomMatrix(n: number, rng: Rng, kind: 'float' | 'ties' | 'wide'): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < m.length; i++) {
    if (kind === 'float') m[i] = rng.uniform(-1, 1);
    else if (kind === 'ties')
      m[i] = rng.int(4) - 2; // integers −2…1: many ties, negatives
    else m[i] = rng.uniform(-1e6, 1e6) * (rng.next() < 0.5 ? 1e-6 : 1);
  }
  return m;
}

describe('solveAssignment (Jonker–Volgenant)', () => {
  it('matches brute force on 300 random matrices with n ≤ 8, ties and negatives, both directions', () => {
    const rng = createRng(20230101);
    const kinds = ['float', 'ties', 'wide'] as const;
    for (let t = 0; t < 300; t++) {
      const n = t % 9;
      const kind = kinds[t % 3]!;
      const m = randomMatrix(n, rng, kind);
      const maximize = t % 2 === 0;
      const { rowToCol, total } = solveAssignment(m, n, maximize);
      expect(isPermutation(rowToCol)).toBe(true);
      let check = 0;
      for (let i = 0; i < n; i++) check += m[i * n + rowToCol[i]!]!;
      expect(total).toBe(check);
      const best = bruteForce(m, n, maximize);
      expect(Math.abs(total - best)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(best)));
    }
  });

  it('handles all-equal matrices, n = 0 and n = 1', () => {
    expect(solveAssignment(new Float64Array(0), 0)).toEqual({ rowToCol: new Int32Array(0), total: 0 });
    const one = solveAssignment(Float64Array.of(-3.5), 1);
    expect(Array.from(one.rowToCol)).toEqual([0]);
    expect(one.total).toBe(-3.5);
    const flat = solveAssignment(new Float64Array(36).fill(2), 6);
    expect(isPermutation(flat.rowToCol)).toBe(true);
    expect(flat.total).toBe(12);
  });

  it('recovers a planted permutation on a matrix with a dominant matching', () => {
    const n = 64;
    const rng = createRng(7);
    const planted = Int32Array.from({ length: n }, (_, i) => (i * 37 + 11) % n);
    const m = randomMatrix(n, rng, 'float');
    for (let i = 0; i < n; i++) m[i * n + planted[i]!] = 10;
    expect(Array.from(solveAssignment(m, n).rowToCol)).toEqual(Array.from(planted));
  });

  it('agrees with an independent Hungarian solver at n = 512', () => {
    const rng = createRng(512);
    for (const kind of ['float', 'ties'] as const) {
      const n = 512;
      const m = randomMatrix(n, rng, kind);
      const neg = m.map((x) => -x);
      const max = solveAssignment(m, n, true);
      expect(isPermutation(max.rowToCol)).toBe(true);
      const ref = -hungarianMin(neg, n);
      expect(Math.abs(max.total - ref)).toBeLessThanOrEqual(1e-9 * Math.abs(ref));
      const min = solveAssignment(m, n, false);
      const refMin = hungarianMin(m, n);
      expect(Math.abs(min.total - refMin)).toBeLessThanOrEqual(1e-9 * Math.abs(refMin));
    }
  });

  it('refuses non-finite entries and short buffers', () => {
    expect(() => solveAssignment(Float64Array.of(1, NaN, 0, 1), 2)).toThrow(AssignmentInputError);
    expect(() => solveAssignment(Float64Array.of(1, Infinity, 0, 1), 2)).toThrow(/0,1/);
    expect(() => solveAssignment(new Float64Array(3), 2)).toThrow(AssignmentInputError);
  });
});
