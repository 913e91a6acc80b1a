/**
 * Eigendecomposition of a small real symmetric matrix by the cyclic Jacobi method (Jacobi 1846;
 * Golub & Van Loan, "Matrix Computations", Sec. 8.5, Alg. 8.5.3 with the stable rotation of
 * Alg. 8.5.1). Plane rotations zero one off-diagonal entry at a time; sweeps repeat until the
 * off-diagonal mass is negligible. Slower than tridiagonal QL for large n, but simple, accurate to
 * full relative precision on small eigenvalues, and n here is a number of models (≲ a few hundred).
 */

export interface SymmetricEigen {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** Eigenvectors: vectors[j] is the unit eigenvector of values[j]. */
  vectors: Float64Array[];
  /** Sweeps used. */
  sweeps: number;
}

/**
 * Eigenvalues and eigenvectors of the symmetric n×n matrix `a` (row-major, float64; only its
 * symmetric part matters). `a` is not modified.
 */
export function symmetricEigen(a: Float64Array, n: number, maxSweeps = 100): SymmetricEigen {
  if (a.length !== n * n) throw new RangeError(`symmetricEigen: ${a.length} values for a ${n}×${n} matrix`);
  const m = new Float64Array(n * n);
  // Symmetrise, so that rounding in a Gram matrix cannot bias the rotations.
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] = 0.5 * (a[i * n + j]! + a[j * n + i]!);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let frob = 0;
  for (let i = 0; i < n * n; i++) frob += m[i]! * m[i]!;
  let sweeps = 0;
  for (; sweeps < maxSweeps; sweeps++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! * m[p * n + q]!;
    // Relative 1e-15 on the norm: below this the rotations only shuffle rounding noise.
    if (off === 0 || off <= 1e-30 * frob) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (apq === 0) continue;
        const app = m[p * n + p]!;
        const aqq = m[q * n + q]!;
        // t = tan φ, the smaller root of t² + 2θt − 1 = 0, so |φ| ≤ π/4 (Golub & Van Loan 8.5.1).
        const theta = (aqq - app) / (2 * apq);
        const t = Math.abs(theta) > 1e150 ? 1 / (2 * theta) : (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Jᵀ A J: columns p, q, then rows p, q; V ← V J.
        for (let k = 0; k < n; k++) {
          const kp = m[k * n + p]!;
          const kq = m[k * n + q]!;
          m[k * n + p] = c * kp - s * kq;
          m[k * n + q] = s * kp + c * kq;
        }
        for (let k = 0; k < n; k++) {
          const pk = m[p * n + k]!;
          const qk = m[q * n + k]!;
          m[p * n + k] = c * pk - s * qk;
          m[q * n + k] = s * pk + c * qk;
        }
        m[p * n + q] = 0;
        m[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const kp = v[k * n + p]!;
          const kq = v[k * n + q]!;
          v[k * n + p] = c * kp - s * kq;
          v[k * n + q] = s * kp + c * kq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j]! - m[i * n + i]!);
  const values = Float64Array.from(order, (i) => m[i * n + i]!);
  const vectors = order.map((j) => {
    const col = new Float64Array(n);
    for (let k = 0; k < n; k++) col[k] = v[k * n + j]!;
    return col;
  });
  return { values, vectors, sweeps };
}
