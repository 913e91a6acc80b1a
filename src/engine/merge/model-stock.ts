/**
 * Model Stock (Jang et al. 2024, "Model Stock: All we need is just a few fine-tuned models",
 * Eq. 2): with N fine-tuned models and θ the mean cosine between their task vectors,
 * t = N·cos θ / (1 + (N − 1)·cos θ) and the merge is t·mean(θᵢ) + (1 − t)·θ_base, per tensor
 * (mergekit `merge_methods/model_stock.py`, not filter-wise: the mean of the pairwise cosines,
 * each with its norm product clamped to ≥ 1e-6 and clamped to [−1, 1]).
 */
import { MergeInputError } from './types';

/** Model Stock's interpolation ratio for N models at mean cosine `cos`. */
export function modelStockRatio(n: number, cos: number): number {
  return (n * cos) / (1 + (n - 1) * cos);
}

/** One tensor of a Model Stock merge, float64; `name` is for the error message. */
export function modelStockTensor(
  base: Float64Array,
  tensors: readonly Float64Array[],
  name: string,
): Float64Array {
  const N = tensors.length;
  const offsets = tensors.map((w) => {
    const o = new Float64Array(w.length);
    for (let i = 0; i < o.length; i++) o[i] = w[i]! - base[i]!;
    return o;
  });
  let cosSum = 0;
  let pairs = 0;
  for (let i = 0; i < N; i++) {
    for (let j = i + 1; j < N; j++) {
      let dot = 0;
      let na = 0;
      let nb = 0;
      const a = offsets[i]!;
      const b = offsets[j]!;
      for (let k = 0; k < a.length; k++) {
        dot += a[k]! * b[k]!;
        na += a[k]! * a[k]!;
        nb += b[k]! * b[k]!;
      }
      cosSum += Math.max(-1, Math.min(1, dot / Math.max(1e-6, Math.sqrt(na) * Math.sqrt(nb))));
      pairs++;
    }
  }
  const cos = cosSum / pairs;
  // t has a pole at cos = −1/(N−1): beyond it the ratio flips sign and the merge leaves the
  // segment between the base and the average. mergekit divides anyway; refuse instead.
  if (1 + (N - 1) * cos <= 1e-12) {
    throw new MergeInputError(
      `model_stock: tensor ${name}: the task vectors' mean cosine is ${cos.toFixed(4)}, at or below ` +
        `−1/(N−1) = ${(-1 / (N - 1)).toFixed(4)} for N = ${N}, where t = N·cos/(1+(N−1)·cos) is undefined; ` +
        'the models pull in opposite directions from the base — use another method or other models',
    );
  }
  const t = modelStockRatio(N, cos);
  const out = new Float64Array(base.length);
  for (let k = 0; k < out.length; k++) {
    let mean = 0;
    for (const w of tensors) mean += w[k]!;
    mean /= N;
    out[k] = t * mean + (1 - t) * base[k]!;
  }
  return out;
}
