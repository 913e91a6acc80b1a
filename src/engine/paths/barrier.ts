/**
 * Loss along a path and its barrier (Entezari et al. 2022, "The Role of Permutation Invariance
 * in Linear Mode Connectivity", Def. 1; Frankle et al. 2020, "Linear Mode Connectivity and the
 * Lottery Ticket Hypothesis"): B = max_α [ L(θ_α) − ((1−α)·L(θ_0) + α·L(θ_1)) ], the largest rise
 * of the loss above the straight line joining the endpoint losses. The whole curve is reported,
 * since one number hides where (and whether) the path climbs.
 */
import type { Model } from '../model';
import { BatchEvaluator, type EvalOptions } from '../tf/evaluate';
import { type EvalData } from '../data/eval-data';
import { pathFunction, type PathMethod } from './interpolate';

/** A path evaluated on a grid of α. */
export interface PathCurve {
  /** α grid, ascending from 0 to 1. */
  alphas: Float32Array;
  losses: Float32Array;
  /** PSNR (dB) for regression, accuracy for classification. */
  metrics: Float32Array;
  /** L(θ_α) − ((1−α)L(θ_0) + αL(θ_1)) at every α; the barrier is its maximum. */
  excess: Float32Array;
  /** max_α excess (≥ 0 whenever the grid holds both endpoints). */
  barrier: number;
  /** The α where the barrier is attained. */
  barrierAlpha: number;
  /**
   * The same on the metric, sign-flipped because a higher metric is better:
   * max_α [((1−α)M_0 + αM_1) − M(θ_α)].
   */
  metricBarrier: number;
}

export interface PathCurveOptions extends EvalOptions {
  /** Number of α points on [0, 1] (default 25, Entezari et al.'s grid). */
  points?: number;
  /** An explicit α grid instead of `points` (must start at 0 and end at 1 for a barrier). */
  alphas?: readonly number[];
}

/** n evenly spaced α from 0 to 1 inclusive; the ends are exactly 0 and 1. */
export function alphaGrid(points: number): Float32Array {
  if (!Number.isInteger(points) || points < 2)
    throw new RangeError(`a path needs at least 2 points, got ${points}`);
  const out = new Float32Array(points);
  for (let i = 0; i < points; i++) out[i] = i / (points - 1);
  return out;
}

/** The barrier and its curve from losses and metrics sampled at α (first = 0, last = 1). */
export function barrierFromCurve(
  alphas: Float32Array,
  losses: Float32Array,
  metrics: Float32Array,
): PathCurve {
  const n = alphas.length;
  const l0 = losses[0]!;
  const l1 = losses[n - 1]!;
  const m0 = metrics[0]!;
  const m1 = metrics[n - 1]!;
  const excess = new Float32Array(n);
  let barrier = -Infinity;
  let barrierAlpha = 0;
  let metricBarrier = -Infinity;
  for (let i = 0; i < n; i++) {
    const a = alphas[i]!;
    const e = losses[i]! - ((1 - a) * l0 + a * l1);
    excess[i] = e;
    // NaN compares false, so a NaN point would vanish silently; let it poison the barrier instead.
    if (e > barrier || Number.isNaN(e)) {
      barrier = e;
      barrierAlpha = a;
    }
    const me = (1 - a) * m0 + a * m1 - metrics[i]!;
    if (me > metricBarrier || Number.isNaN(me)) metricBarrier = me;
  }
  return { alphas, losses, metrics, excess, barrier, barrierAlpha, metricBarrier };
}

/**
 * Evaluates a generic path α → model on a grid, all points as one batched population (chunked),
 * and reports the barrier. The path must return models of one architecture.
 */
export async function pathCurveOf(
  path: (alpha: number) => Model,
  data: EvalData | BatchEvaluator,
  opts: PathCurveOptions = {},
): Promise<PathCurve> {
  const alphas = opts.alphas ? Float32Array.from(opts.alphas) : alphaGrid(opts.points ?? 25);
  const ev = data instanceof BatchEvaluator ? data : new BatchEvaluator(data);
  try {
    const { loss, metric } = await ev.evaluate(alphas.length, (i) => path(alphas[i]!), opts);
    return barrierFromCurve(alphas, loss, metric);
  } finally {
    if (ev !== data) ev.dispose();
  }
}

export interface PathBetweenOptions extends PathCurveOptions {
  method?: PathMethod;
  /** The middle control point, for 'bezier' and 'polychain'. */
  control?: Model;
}

/** Loss curve and barrier between two models along lerp, slerp, or a Bezier/polychain curve. */
export async function pathCurve(
  a: Model,
  b: Model,
  data: EvalData | BatchEvaluator,
  opts: PathBetweenOptions = {},
): Promise<PathCurve> {
  return pathCurveOf(pathFunction(a, b, opts.method ?? 'lerp', opts.control), data, opts);
}
