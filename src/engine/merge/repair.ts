/**
 * REPAIR (Jordan et al. 2023, "REPAIR: REnormalizing Permuted Activations for Interpolation
 * Repair", Sec. 4, Eq. 3–4), for MLPs without normalisation layers. Interpolating aligned
 * networks shrinks the variance of hidden pre-activations ("variance collapse"); REPAIR resets
 * each hidden unit's pre-activation mean and standard deviation, measured on data, to the
 * interpolation of the endpoints' statistics:
 *   z′ = (z − μ_merged)/σ_merged · σ_goal + μ_goal,   μ_goal = Σ cₖ μₖ,  σ_goal = Σ cₖ σₖ.
 * Layers are corrected in order and each is measured with the corrections of the earlier ones
 * applied (the paper's sequential recalibration). The affine correction is folded into the
 * layer's W and b, so the result is a plain checkpoint.
 */
import { activateInPlace, fourierEncode, linear } from '../forward';
import {
  assertSameArchitecture,
  biasName,
  cloneModel,
  layerCount,
  sirenW0,
  weightName,
  type Model,
} from '../model';
import { MergeInputError } from './types';

/** Per-unit mean and (population) standard deviation of one layer's pre-activations. */
export interface UnitStats {
  mean: Float64Array;
  std: Float64Array;
}

/** The per-unit affine map z′ = scale·z + shift that REPAIR applies to one hidden layer. */
export interface LayerCorrection {
  scale: Float64Array;
  shift: Float64Array;
}

/** What REPAIR returns: the folded model and the evidence. */
export interface RepairResult {
  model: Model;
  corrections: LayerCorrection[];
  /** Per hidden layer: the target statistics. */
  goal: UnitStats[];
  /** Per hidden layer: the merged model's statistics before its own correction. */
  before: UnitStats[];
}

/** Mean and population std per column of z [n, width], float64. */
export function columnStats(z: Float32Array, n: number, width: number): UnitStats {
  const mean = new Float64Array(width);
  const sq = new Float64Array(width);
  for (let r = 0; r < n; r++) {
    const o = r * width;
    for (let j = 0; j < width; j++) mean[j] = mean[j]! + z[o + j]!;
  }
  for (let j = 0; j < width; j++) mean[j] = mean[j]! / n;
  for (let r = 0; r < n; r++) {
    const o = r * width;
    for (let j = 0; j < width; j++) sq[j] = sq[j]! + (z[o + j]! - mean[j]!) ** 2;
  }
  const std = sq.map((s) => Math.sqrt(s / n));
  return { mean, std };
}

/**
 * Runs the MLP, calling `visit(l, z)` with every hidden layer's pre-activation z [n, width]
 * before the activation; `visit` may rewrite z in place (that is how corrections apply).
 */
function walk(
  model: Model,
  x: Float32Array,
  n: number,
  visit: (l: number, z: Float32Array, width: number) => void,
): Float32Array {
  const L = layerCount(model.arch);
  const w0 = sirenW0(model.arch);
  let h = fourierEncode(model, x, n);
  for (let l = 0; l < L; l++) {
    const w = model.params[weightName(l)]!;
    const [outDim, inDim] = w.shape as [number, number];
    h = linear(h, n, w.data, model.params[biasName(l)]!.data, inDim, outDim);
    if (l < L - 1) {
      visit(l, h, outDim);
      activateInPlace(h, model.arch.activation, w0);
    }
  }
  const offset = model.arch.outputOffset ?? 0;
  if (offset !== 0) for (let i = 0; i < h.length; i++) h[i] = h[i]! + offset;
  return h;
}

/** Every hidden layer's pre-activation statistics on the batch x [n, inputs]. */
export function preActivationStats(model: Model, x: Float32Array, n: number): UnitStats[] {
  const out: UnitStats[] = [];
  walk(model, x, n, (_l, z, width) => out.push(columnStats(z, n, width)));
  return out;
}

/** The model's output with `corrections` applied at run time instead of folded (the check). */
export function forwardCorrected(
  model: Model,
  corrections: readonly LayerCorrection[],
  x: Float32Array,
  n: number,
): Float32Array {
  return walk(model, x, n, (l, z, width) => {
    const c = corrections[l]!;
    for (let r = 0; r < n; r++) {
      const o = r * width;
      for (let j = 0; j < width; j++) z[o + j] = c.scale[j]! * z[o + j]! + c.shift[j]!;
    }
  });
}

/**
 * REPAIR of `merged` towards the statistics of `endpoints` mixed with `coeffs` (for the point α
 * of a path from A to B: endpoints [A, π(B)], coeffs [1 − α, α]; for a merge: the aligned inputs
 * and their normalised weights). `x` [n, inputs] is the measuring data.
 */
export function repairModel(
  merged: Model,
  endpoints: readonly Model[],
  coeffs: readonly number[],
  x: Float32Array,
  n: number,
): RepairResult {
  if (endpoints.length === 0 || endpoints.length !== coeffs.length)
    throw new MergeInputError(
      `REPAIR needs one coefficient per endpoint; got ${coeffs.length} for ${endpoints.length}`,
    );
  if (coeffs.some((c) => !Number.isFinite(c)))
    throw new MergeInputError('REPAIR coefficients must be finite numbers');
  if (n < 2)
    throw new MergeInputError(`REPAIR measures statistics on data: give at least 2 examples, got ${n}`);
  endpoints.forEach((m, k) => {
    try {
      assertSameArchitecture(merged, m, ['merged model', `endpoint ${k + 1}`]);
    } catch (e) {
      throw new MergeInputError(`REPAIR: ${(e as Error).message}`);
    }
  });
  const inputs = merged.arch.widths[0]!;
  if (x.length !== n * inputs)
    throw new MergeInputError(`REPAIR data holds ${x.length} values, expected ${n} × ${inputs} inputs`);
  const ends = endpoints.map((m) => preActivationStats(m, x, n));
  const goal: UnitStats[] = ends[0]!.map((s0, l) => {
    const mean = new Float64Array(s0.mean.length);
    const std = new Float64Array(s0.std.length);
    ends.forEach((e, k) => {
      for (let j = 0; j < mean.length; j++) {
        mean[j] = mean[j]! + coeffs[k]! * e[l]!.mean[j]!;
        std[j] = std[j]! + coeffs[k]! * e[l]!.std[j]!;
      }
    });
    return { mean, std };
  });
  const model = cloneModel(merged);
  const corrections: LayerCorrection[] = [];
  const before: UnitStats[] = [];
  // `walk` measures layer l after layers < l were folded: the loop body folds as it goes.
  walk(model, x, n, (l, z, width) => {
    const s = columnStats(z, n, width);
    before.push(s);
    const g = goal[l]!;
    const scale = new Float64Array(width);
    const shift = new Float64Array(width);
    for (let j = 0; j < width; j++) {
      // A unit constant on the data has no spread to rescale: only its mean is moved.
      scale[j] = s.std[j]! > 1e-8 ? g.std[j]! / s.std[j]! : 1;
      shift[j] = g.mean[j]! - scale[j]! * s.mean[j]!;
    }
    corrections.push({ scale, shift });
    const w = model.params[weightName(l)]!;
    const b = model.params[biasName(l)]!;
    const inDim = w.shape[1]!;
    for (let j = 0; j < width; j++) {
      for (let k = 0; k < inDim; k++) w.data[j * inDim + k] = w.data[j * inDim + k]! * scale[j]!;
      b.data[j] = scale[j]! * b.data[j]! + shift[j]!;
    }
    for (let r = 0; r < n; r++) {
      const o = r * width;
      for (let j = 0; j < width; j++) z[o + j] = scale[j]! * z[o + j]! + shift[j]!;
    }
  });
  return { model, corrections, goal, before };
}
