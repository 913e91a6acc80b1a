/**
 * Generalized task arithmetic, one tensor at a time, as mergekit's `GTATask.execute`
 * (`merge_methods/generalized_task_arithmetic.py`). Task vectors τᵢ = θᵢ − θ_base (Ilharco et
 * al. 2023, "Editing Models with Task Arithmetic", Eq. 1); optionally sparsified; dᵢ = wᵢ·τᵢ;
 * with sign consensus (TIES, Yadav et al. 2023, Sec. 3: "elect" and "disjoint merge")
 * s = sign(Σ dᵢ) (+1 where the sum is ≥ 0), mask = [sign dᵢ = s] (zeros never match),
 * divisor = Σ wᵢ·mask, 0 → 1; otherwise divisor = Σ wᵢ, |divisor| < 1e-8 → 1. `normalize`
 * divides by the divisor, λ scales, and the base is added back. All sums in float64.
 */
import type { Rng } from '../rng';

/** What a sparsifier sees for one task vector of one tensor. */
export interface SparsifyContext {
  density: number;
  gamma: number;
  epsilon: number;
  rescale: boolean;
  /** The tensor's shape (DELLA ranks within rows). */
  shape: readonly number[];
  /** This (model, tensor) pair's own seeded stream; only the random sparsifiers draw from it. */
  rng: () => Rng;
}

/** Keeps part of a task vector (returns a new array; the input is not modified). */
export type Sparsifier = (tau: Float64Array, ctx: SparsifyContext) => Float64Array;

/**
 * mergekit's `rescaled_masked_tensor` with the L1 norm (what `rescale: true` selects): the
 * masked vector scaled so that its L1 norm equals the original's, unless either is below 1e-7.
 */
export function rescaledMasked(tau: Float64Array, mask: ArrayLike<number>, rescale: boolean): Float64Array {
  const out = new Float64Array(tau.length);
  let before = 0;
  let after = 0;
  for (let i = 0; i < tau.length; i++) {
    out[i] = mask[i] ? tau[i]! : 0;
    before += Math.abs(tau[i]!);
    after += Math.abs(out[i]!);
  }
  if (!rescale || before < 1e-7 || after < 1e-7) return out;
  const k = before / after;
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * k;
  return out;
}

/** Settings of one GTA tensor merge. */
export interface GtaTensorOptions {
  consensus: boolean;
  normalize: boolean;
  lambda: number;
}

/**
 * Merges one tensor from already sparsified task vectors `deltas` (τᵢ after sparsification)
 * with per-model weights; returns θ_base + λ·mix.
 */
export function mixTaskVectors(
  base: Float64Array,
  deltas: readonly Float64Array[],
  weights: readonly number[],
  opts: GtaTensorOptions,
): Float64Array {
  const n = base.length;
  const out = new Float64Array(n);
  let plainDivisor = 0;
  for (const w of weights) plainDivisor += w;
  if (Math.abs(plainDivisor) < 1e-8) plainDivisor = 1;
  for (let i = 0; i < n; i++) {
    let mixed = 0;
    let divisor = plainDivisor;
    if (opts.consensus) {
      let sum = 0;
      for (let m = 0; m < deltas.length; m++) sum += weights[m]! * deltas[m]![i]!;
      const elected = sum >= 0 ? 1 : -1;
      divisor = 0;
      for (let m = 0; m < deltas.length; m++) {
        const d = weights[m]! * deltas[m]![i]!;
        if (Math.sign(d) === elected) {
          mixed += d;
          divisor += weights[m]!;
        }
      }
      if (divisor === 0) divisor = 1;
    } else {
      for (let m = 0; m < deltas.length; m++) mixed += weights[m]! * deltas[m]![i]!;
    }
    if (opts.normalize) mixed /= divisor;
    out[i] = base[i]! + opts.lambda * mixed;
  }
  return out;
}
