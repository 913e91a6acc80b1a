/**
 * Eigendecomposition of a real symmetric matrix in two classical stages (Golub & Van Loan,
 * "Matrix Computations", 4th ed.):
 *   1. Householder tridiagonalisation A = Q T Qᵀ (Alg. 8.3.1), accumulating Q;
 *   2. implicit symmetric QR steps with the Wilkinson shift on T (Alg. 8.3.2, within the
 *      deflation loop of Alg. 8.3.3), each a chase of one bulge by Givens rotations.
 * O(n³) with small constants: a 256×256 Gram matrix takes tens of milliseconds, where cyclic
 * Jacobi took over half a second. Q is kept transposed (rows are the eigenvectors) so that every
 * update runs along contiguous rows.
 */

export interface SymmetricEigen {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** Eigenvectors: vectors[j] is the unit eigenvector of values[j]. */
  vectors: Float64Array[];
  /** Implicit QR steps taken. */
  steps: number;
}

/**
 * Householder reduction of the symmetric n×n `m` (row-major, overwritten) to tridiagonal form.
 * Returns the diagonal d, the off-diagonal e (e[i] = T[i, i+1]) and V = Qᵀ with A = Q T Qᵀ.
 */
function tridiagonalise(m: Float64Array, n: number): { d: Float64Array; e: Float64Array; v: Float64Array } {
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const h = new Float64Array(n); // the Householder vector, on indices k+1..n-1
  const p = new Float64Array(n);
  const w = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    let sigma = 0;
    for (let i = k + 1; i < n; i++) sigma += m[i * n + k]! * m[i * n + k]!;
    if (sigma === 0) continue; // the column is already reduced
    const x0 = m[(k + 1) * n + k]!;
    const alpha = x0 >= 0 ? -Math.sqrt(sigma) : Math.sqrt(sigma);
    for (let i = k + 1; i < n; i++) h[i] = m[i * n + k]!;
    h[k + 1] = x0 - alpha;
    // vᵀv = σ − 2αx₀ + α² = 2(σ − αx₀) > 0, since α has the opposite sign of x₀.
    const beta = 1 / (sigma - alpha * x0);
    // p = β M₂₂ h, then w = p − (β/2)(pᵀh) h; M₂₂ ← M₂₂ − h wᵀ − w hᵀ.
    let ph = 0;
    for (let i = k + 1; i < n; i++) {
      let s = 0;
      const row = i * n;
      for (let j = k + 1; j < n; j++) s += m[row + j]! * h[j]!;
      p[i] = beta * s;
      ph += p[i]! * h[i]!;
    }
    const half = 0.5 * beta * ph;
    for (let i = k + 1; i < n; i++) w[i] = p[i]! - half * h[i]!;
    for (let i = k + 1; i < n; i++) {
      const row = i * n;
      const hi = h[i]!;
      const wi = w[i]!;
      for (let j = k + 1; j < n; j++) m[row + j] = m[row + j]! - hi * w[j]! - wi * h[j]!;
    }
    m[(k + 1) * n + k] = alpha;
    m[k * n + k + 1] = alpha;
    for (let i = k + 2; i < n; i++) {
      m[i * n + k] = 0;
      m[k * n + i] = 0;
    }
    // V ← H V with H = I − β h hᵀ: rows k+1.. of V change by −β h_r (hᵀV).
    p.fill(0);
    for (let s = k + 1; s < n; s++) {
      const hs = h[s]!;
      const row = s * n;
      for (let c = 0; c < n; c++) p[c] = p[c]! + hs * v[row + c]!;
    }
    for (let r = k + 1; r < n; r++) {
      const f = beta * h[r]!;
      const row = r * n;
      for (let c = 0; c < n; c++) v[row + c] = v[row + c]! - f * p[c]!;
    }
  }
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  for (let i = 0; i < n; i++) d[i] = m[i * n + i]!;
  for (let i = 0; i + 1 < n; i++) e[i] = m[i * n + i + 1]!;
  return { d, e, v };
}

/** Rotates rows k and k+1 of V: V ← Gᵀ V for the Givens rotation (c, s) in that plane. */
function rotateRows(v: Float64Array, n: number, k: number, c: number, s: number): void {
  const a = k * n;
  const b = a + n;
  for (let i = 0; i < n; i++) {
    const x = v[a + i]!;
    const y = v[b + i]!;
    v[a + i] = c * x + s * y;
    v[b + i] = c * y - s * x;
  }
}

/**
 * Eigenvalues and eigenvectors of the symmetric n×n matrix `a` (row-major, float64; only its
 * symmetric part matters). `a` is not modified.
 */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  if (a.length !== n * n) throw new RangeError(`symmetricEigen: ${a.length} values for a ${n}×${n} matrix`);
  const m = new Float64Array(n * n);
  // Symmetrise, so that rounding in a Gram matrix cannot bias the reduction.
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) m[i * n + j] = 0.5 * (a[i * n + j]! + a[j * n + i]!);
  const { d, e, v } = tridiagonalise(m, n);
  const eps = Number.EPSILON;
  const negligible = (i: number): boolean => Math.abs(e[i]!) <= eps * (Math.abs(d[i]!) + Math.abs(d[i + 1]!));
  let steps = 0;
  const maxSteps = 30 * Math.max(n, 1);
  let hi = n - 1;
  while (hi > 0) {
    if (negligible(hi - 1)) {
      e[hi - 1] = 0;
      hi--;
      continue;
    }
    // The unreduced block [lo, hi] that ends at hi.
    let lo = hi - 1;
    while (lo > 0 && !negligible(lo - 1)) lo--;
    if (lo > 0) e[lo - 1] = 0;
    if (++steps > maxSteps) throw new Error(`symmetricEigen: no convergence after ${maxSteps} QR steps`);
    // Wilkinson shift: the eigenvalue of T's trailing 2×2 closer to its last entry.
    const t = e[hi - 1]!;
    const delta = 0.5 * (d[hi - 1]! - d[hi]!);
    const mu = d[hi]! - (t * t) / (delta + (delta >= 0 ? 1 : -1) * Math.hypot(delta, t));
    // Chase the bulge from the top of the block to its bottom (Alg. 8.3.2).
    let x = d[lo]! - mu;
    let z = e[lo]!;
    for (let k = lo; k < hi; k++) {
      const r = Math.hypot(x, z);
      const c = r === 0 ? 1 : x / r;
      const s = r === 0 ? 0 : z / r;
      if (k > lo) e[k - 1] = r;
      const dk = d[k]!;
      const dk1 = d[k + 1]!;
      const ek = e[k]!;
      d[k] = c * c * dk + 2 * c * s * ek + s * s * dk1;
      d[k + 1] = s * s * dk - 2 * c * s * ek + c * c * dk1;
      e[k] = c * s * (dk1 - dk) + (c * c - s * s) * ek;
      rotateRows(v, n, k, c, s);
      if (k + 1 < hi) {
        // The rotation pushes e[k+1] partly into the bulge at (k, k+2).
        x = e[k]!;
        z = s * e[k + 1]!;
        e[k + 1] = c * e[k + 1]!;
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[j]! - d[i]!);
  const values = Float64Array.from(order, (i) => d[i]!);
  const vectors = order.map((j) => v.slice(j * n, (j + 1) * n));
  return { values, vectors, steps };
}
