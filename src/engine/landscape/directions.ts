/**
 * The loss around one model along random filter-normalised directions (Li et al. 2018,
 * "Visualizing the Loss Landscape of Neural Nets", Sec. 4): a Gaussian direction d, each filter
 * of which is rescaled to the norm of the same filter of the model, d_ij ← d_ij/‖d_ij‖·‖θ_ij‖, so
 * that the plot is comparable across layers and scale-invariant networks. For a dense layer a
 * filter is one output unit: a row of the [out, in] weight. Biases (and the fixed Fourier matrix)
 * get a zero direction, as in the paper.
 */
import { layerCount, weightName, type Model } from '../model';
import { createRng, type Rng } from '../rng';
import { BatchEvaluator, type EvalOptions } from '../tf/evaluate';
import { type EvalData } from '../data/eval-data';
import { mapModels } from '../paths/vector';
import { spaced } from './plane';

/** A filter-normalised random direction, shaped like the model (same tensor names and shapes). */
export function filterNormalizedDirection(model: Model, rng: Rng): Model {
  const weights = new Set(Array.from({ length: layerCount(model.arch) }, (_, l) => weightName(l)));
  return mapModels([model], ([w], name) => {
    const out = new Float32Array(w!.length);
    if (!weights.has(name)) return out; // biases and encoding.B stay put
    const inDim = model.params[name]!.shape[1]!;
    for (let r = 0; r < out.length / inDim; r++) {
      let dn = 0;
      let wn = 0;
      const row = new Float64Array(inDim);
      for (let c = 0; c < inDim; c++) {
        row[c] = rng.normal();
        dn += row[c]! * row[c]!;
        wn += w![r * inDim + c]! * w![r * inDim + c]!;
      }
      const scale = dn > 0 ? Math.sqrt(wn / dn) : 0;
      for (let c = 0; c < inDim; c++) out[r * inDim + c] = row[c]! * scale;
    }
    return out;
  });
}

/** θ + Σ cᵢ·dᵢ, in float64, rounded once; all coefficients 0 gives θ itself. */
export function offsetModel(model: Model, directions: readonly Model[], coeffs: readonly number[]): Model {
  return mapModels([model, ...directions], ([w, ...ds]) => {
    const out = new Float32Array(w!.length);
    for (let i = 0; i < out.length; i++) {
      let s = w![i]!;
      ds.forEach((d, j) => (s += coeffs[j]! * d![i]!));
      out[i] = s;
    }
    return out;
  });
}

export interface DirectionOptions extends EvalOptions {
  /** Seed of the Gaussian directions (default 0). */
  seed?: number;
  /** Coordinates span [−range, range] (default 1: one filter-norm step each way). */
  range?: number;
}

/** Loss along one direction: α ∈ [−range, range]. */
export interface DirectionCurve {
  alphas: Float64Array;
  loss: Float32Array;
  metric: Float32Array;
  direction: Model;
}

/** Loss on a 2-D grid θ + x·d₁ + y·d₂; loss is row-major [ny, nx]. */
export interface DirectionPlane {
  xs: Float64Array;
  ys: Float64Array;
  loss: Float32Array;
  metric: Float32Array;
  directions: [Model, Model];
}

async function withEvaluator<T>(
  data: EvalData | BatchEvaluator,
  fn: (ev: BatchEvaluator) => Promise<T>,
): Promise<T> {
  const ev = data instanceof BatchEvaluator ? data : new BatchEvaluator(data);
  try {
    return await fn(ev);
  } finally {
    if (ev !== data) ev.dispose();
  }
}

/** 1-D loss curve along a random filter-normalised direction (default 21 points). */
export function directionCurve(
  model: Model,
  data: EvalData | BatchEvaluator,
  opts: DirectionOptions & { points?: number } = {},
): Promise<DirectionCurve> {
  const range = opts.range ?? 1;
  const direction = filterNormalizedDirection(model, createRng(opts.seed ?? 0));
  const alphas = spaced(-range, range, opts.points ?? 21);
  return withEvaluator(data, async (ev) => {
    const r = await ev.evaluate(alphas.length, (i) => offsetModel(model, [direction], [alphas[i]!]), opts);
    return { alphas, ...r, direction };
  });
}

/** 2-D loss surface along two random filter-normalised directions (default 21×21). */
export function directionPlane(
  model: Model,
  data: EvalData | BatchEvaluator,
  opts: DirectionOptions & { nx?: number; ny?: number } = {},
): Promise<DirectionPlane> {
  const range = opts.range ?? 1;
  const rng = createRng(opts.seed ?? 0);
  const directions: [Model, Model] = [
    filterNormalizedDirection(model, rng),
    filterNormalizedDirection(model, rng),
  ];
  const nx = opts.nx ?? 21;
  const ny = opts.ny ?? 21;
  const xs = spaced(-range, range, nx);
  const ys = spaced(-range, range, ny);
  return withEvaluator(data, async (ev) => {
    const r = await ev.evaluate(
      nx * ny,
      (i) => offsetModel(model, directions, [xs[i % nx]!, ys[Math.floor(i / nx)]!]),
      opts,
    );
    return { xs, ys, ...r, directions };
  });
}
