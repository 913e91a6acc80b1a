/**
 * What both curve trainers (tfjs, src/engine/tf/curve.ts; the fused kernel,
 * src/engine/kernels/curve.ts) read from their options before the first step: the settings with
 * their defaults, the checked inputs, the seeded t sampler and the control point's start
 * (Garipov et al. 2018, Sec. 3: θ starts at the endpoints' midpoint unless given).
 */
import { assertOutputsMatch, checkEvalData, type EvalData } from '../data/eval-data';
import { ENCODING_NAME, type Model } from '../model';
import { createRng, type Rng } from '../rng';
import { midpointModel, type CurveKind } from './interpolate';
import { assertCompatible } from './vector';

/** The options both trainers share (CurveTrainOptions in tf/curve.ts adds the tfjs layout). */
export interface CurveSettingsInput {
  kind?: CurveKind;
  /** Adam steps (default 500). */
  steps?: number;
  /** Adam learning rate (default 1e-3). */
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Seed of the t samples (default 0). */
  seed?: number;
  /** t values per step, evaluated together (default 4). */
  batchT?: number;
  /** Start from this control point instead of the midpoint ½(a + b). */
  init?: Model;
  /**
   * Give the event loop a macrotask turn every this many steps (default 10; 0 = never), so that a
   * worker can receive a cancel message (or a ping) while the loop runs.
   */
  yieldEvery?: number;
}

export interface CurveSetup {
  kind: CurveKind;
  steps: number;
  adam: { lr: number; beta1: number; beta2: number; eps: number };
  batchT: number;
  yieldEvery: number;
  rng: Rng;
  /** The control point's start; its Fourier matrix (not trained) is the endpoints' midpoint's. */
  start: Model;
}

/** Checks the endpoints and data, and resolves the options (throws on incompatible inputs). */
export function curveSetup(a: Model, b: Model, data: EvalData, opts: CurveSettingsInput): CurveSetup {
  assertCompatible(opts.init ? [a, b, opts.init] : [a, b], 'curve');
  assertOutputsMatch(a.arch, data);
  checkEvalData(data);
  // The Fourier matrix is not trained: the control keeps the endpoints' midpoint, so that the
  // encoding along either curve family is the straight line between the endpoints' matrices.
  const mid = midpointModel(a, b);
  const start = opts.init ? { ...opts.init, params: { ...opts.init.params } } : mid;
  if (mid.params[ENCODING_NAME]) start.params[ENCODING_NAME] = mid.params[ENCODING_NAME];
  return {
    kind: opts.kind ?? 'bezier',
    steps: opts.steps ?? 500,
    adam: {
      lr: opts.lr ?? 1e-3,
      beta1: opts.beta1 ?? 0.9,
      beta2: opts.beta2 ?? 0.999,
      eps: opts.eps ?? 1e-8,
    },
    batchT: Math.max(1, Math.floor(opts.batchT ?? 4)),
    yieldEvery: opts.yieldEvery ?? 10,
    rng: createRng(opts.seed ?? 0),
    start,
  };
}
