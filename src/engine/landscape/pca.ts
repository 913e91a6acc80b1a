/**
 * PCA of N flattened models with N ≪ D (a weight cloud: D is tens of thousands of parameters,
 * N a few hundred models). Instead of the D×D covariance, it eigendecomposes the N×N Gram matrix
 * G = X̃X̃ᵀ of the centred points (the "snapshot" method of Sirovich 1987; the same duality as
 * SVD): if G v = λ v, then u = X̃ᵀv / √λ is a unit principal direction with variance λ/(N−1), and
 * point i's coordinate along it is √λ·vᵢ. Sums are float64. Points are NOT unit-normalised: a
 * model's norm is information (docs/ARCHITECTURE.md, 'PCA').
 */
import { addGramUpper } from '../gram';
import { symmetricEigen } from './eigen';

/** Eigenvalues below this fraction of the largest count as zero (rounding of a rank-deficient G). */
const RANK_TOLERANCE = 1e-12;

export interface PcaResult {
  /** Number of points and their dimension. */
  n: number;
  dim: number;
  /** Components asked for. */
  k: number;
  /**
   * Components actually found: at most min(k, N − 1, rank). Fewer than k means the cloud spans
   * fewer dimensions (N = 1, N = 2, duplicate points); coordinates and variances are then padded
   * with zeros up to k.
   */
  available: number;
  mean: Float64Array;
  /** `available` unit D-vectors, by decreasing variance. */
  components: Float64Array[];
  /** N rows of k coordinates. */
  coords: number[][];
  /** Variance along each component (sample variance, divisor N − 1), padded to k. */
  explainedVariance: number[];
  /** Fraction of the total variance, padded to k. */
  explainedVarianceRatio: number[];
  /** Total variance of the cloud (sum over all directions). */
  totalVariance: number;
}

export interface PcaOptions {
  /** Called as the Gram matrix fills: (parameters done, D). */
  onProgress?: (done: number, total: number) => void;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s0 = 0;
  let s1 = 0;
  const n = a.length;
  let i = 0;
  // Two accumulators: shorter dependency chains, and a little less rounding on long vectors.
  for (; i + 1 < n; i += 2) {
    s0 += a[i]! * b[i]!;
    s1 += a[i + 1]! * b[i + 1]!;
  }
  if (i < n) s0 += a[i]! * b[i]!;
  return s0 + s1;
}

/**
 * G = X̃X̃ᵀ (symmetric, float64), the O(N²D) part of the PCA. The D axis is cut into tiles: each
 * tile of every centred row is copied into one contiguous [N, B] block small enough to stay in
 * cache (~512 KB) while all pairs use it, and `addGramUpper` multiplies it over the upper
 * triangle only (gram.ts: WebAssembly SIMD, or register-blocked JavaScript). Centring happens in the copy, so no centred copy of the
 * whole cloud (100 MB for 256 × 50,000 float64) is ever held.
 */
function gramMatrix(
  points: readonly (Float32Array | Float64Array)[],
  mean: Float64Array,
  onProgress?: (done: number, total: number) => void,
): Float64Array {
  const n = points.length;
  const dim = mean.length;
  const gram = new Float64Array(n * n);
  const block = Math.max(16, Math.min(dim, Math.floor(2 ** 16 / n)));
  const tile = new Float64Array(n * block);
  for (let d0 = 0; d0 < dim; d0 += block) {
    const b = Math.min(block, dim - d0);
    for (let i = 0; i < n; i++) {
      const p = points[i]!;
      const o = i * b;
      for (let t = 0; t < b; t++) tile[o + t] = p[d0 + t]! - mean[d0 + t]!;
    }
    addGramUpper(tile, n, b, gram);
    onProgress?.(d0 + b, dim);
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) gram[i * n + j] = gram[j * n + i]!;
  return gram;
}

type Points = readonly (Float32Array | Float64Array)[];

/** Checks the points and k, and returns the mean point (float64). */
function pcaMean(points: Points, k: number): Float64Array {
  const n = points.length;
  if (n === 0) throw new RangeError('pca: no points');
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`pca: k must be a positive integer, got ${k}`);
  const dim = points[0]!.length;
  points.forEach((p, i) => {
    if (p.length !== dim) throw new RangeError(`pca: point ${i} has ${p.length} values, point 0 has ${dim}`);
  });
  const mean = new Float64Array(dim);
  for (const p of points) for (let d = 0; d < dim; d++) mean[d] = mean[d]! + p[d]!;
  for (let d = 0; d < dim; d++) mean[d] = mean[d]! / n;
  return mean;
}

/** Principal components of `points` (each a flattened model of the same length). */
export function pca(points: Points, k = 3, opts: PcaOptions = {}): PcaResult {
  const mean = pcaMean(points, k);
  return pcaFromGram(points, mean, gramMatrix(points, mean, opts.onProgress), k);
}

/** The rest of the PCA once G = X̃X̃ᵀ is known: its eigenpairs give variances, coordinates and axes. */
function pcaFromGram(points: Points, mean: Float64Array, gram: Float64Array, k: number): PcaResult {
  const n = points.length;
  const dim = mean.length;
  const { values, vectors } = symmetricEigen(gram, n);
  const denom = Math.max(n - 1, 1);
  let trace = 0;
  for (let i = 0; i < n; i++) trace += gram[i * n + i]!;
  const lambdaMax = Math.max(values[0] ?? 0, 0);
  let available = 0;
  while (
    available < Math.min(k, n - 1) &&
    values[available]! > lambdaMax * RANK_TOLERANCE &&
    values[available]! > 0
  )
    available++;

  const components: Float64Array[] = [];
  const coords: number[][] = Array.from({ length: n }, () => new Array<number>(k).fill(0));
  const explainedVariance = new Array<number>(k).fill(0);
  const explainedVarianceRatio = new Array<number>(k).fill(0);
  for (let j = 0; j < available; j++) {
    const lambda = values[j]!;
    const vj = vectors[j]!;
    // A deterministic sign: the point farthest along the axis gets a positive coordinate, which
    // depends only on the cloud's geometry (so a rotated cloud gets the same signs).
    let far = 0;
    for (let i = 1; i < n; i++) if (Math.abs(vj[i]!) > Math.abs(vj[far]!)) far = i;
    const sign = vj[far]! < 0 ? -1 : 1;
    // u = Σᵢ wᵢ (pᵢ − mean) = Σᵢ wᵢ pᵢ − (Σᵢ wᵢ) mean.
    const u = new Float64Array(dim);
    let wSum = 0;
    for (let i = 0; i < n; i++) {
      const w = (sign * vj[i]!) / Math.sqrt(lambda);
      wSum += w;
      const p = points[i]!;
      for (let d = 0; d < dim; d++) u[d] = u[d]! + w * p[d]!;
    }
    for (let d = 0; d < dim; d++) u[d] = u[d]! - wSum * mean[d]!;
    const norm = Math.sqrt(dot(u, u));
    for (let d = 0; d < dim; d++) u[d] = u[d]! / norm;
    components.push(u);
    for (let i = 0; i < n; i++) coords[i]![j] = sign * Math.sqrt(lambda) * vj[i]!;
    explainedVariance[j] = lambda / denom;
    explainedVarianceRatio[j] = trace > 0 ? lambda / trace : 0;
  }
  return {
    n,
    dim,
    k,
    available,
    mean,
    components,
    coords,
    explainedVariance,
    explainedVarianceRatio,
    totalVariance: trace / denom,
  };
}

/** Coordinates of a further point (a path sample, a merged model) in a PCA's basis, padded to k. */
export function project(result: PcaResult, point: Float32Array | Float64Array): number[] {
  if (point.length !== result.dim)
    throw new RangeError(`project: point has ${point.length} values, the PCA has ${result.dim}`);
  const out = new Array<number>(result.k).fill(0);
  result.components.forEach((u, j) => {
    let s = 0;
    for (let d = 0; d < result.dim; d++) s += (point[d]! - result.mean[d]!) * u[d]!;
    out[j] = s;
  });
  return out;
}
