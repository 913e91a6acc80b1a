/**
 * The three matching methods behind one call: weight matching (Git Re-Basin Alg. 1), activation
 * matching (Sec. 3.1) and STE matching (Alg. 2). STE needs data and tfjs, which is why this entry
 * point lives in the tf layer.
 */
import { alignModels } from '../align/align';
import type { AlignResult, SignMode } from '../align/types';
import type { Model } from '../model';
import type { EvalData } from '../data/eval-data';
import { steMatching, type SteResult } from './ste';

import type { MatchingMethodName } from '../merge/matching-name';

/** Every matching method. */
export type MatchingMethod = MatchingMethodName;

/** Options of `matchModels`. */
export interface MatchOptions {
  seed?: number;
  signed?: SignMode;
  /** Activation matching's batch and STE's loss data; STE requires it. */
  data?: EvalData;
  /** STE gradient steps (default 30). */
  steSteps?: number;
  signal?: AbortSignal;
  onProgress?: (step: number, steps: number) => void;
}

/** Aligns `model` to `ref` with `method`; the result's model computes `model`'s function. */
export async function matchModels(
  ref: Model,
  model: Model,
  method: MatchingMethod,
  opts: MatchOptions = {},
): Promise<AlignResult | SteResult> {
  const seed = opts.seed ?? 0;
  const signed = opts.signed ? { signed: opts.signed } : {};
  if (method === 'ste') {
    if (!opts.data)
      throw new RangeError(
        'STE matching trains on data: give the image (INR) or a labelled batch (classifier)',
      );
    return steMatching(ref, model, opts.data, {
      seed,
      ...signed,
      ...(opts.steSteps !== undefined ? { steps: opts.steSteps } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: (s: number, n: number) => opts.onProgress!(s, n) } : {}),
    });
  }
  return alignModels(ref, model, { method, seed, ...signed, ...(opts.data ? { x: opts.data.x } : {}) });
}

/** One restart of an alignment: its seed and the objective it reached. */
export interface RestartObjective {
  seed: number;
  objective: number;
}

/** The best of several restarts, and every restart's objective. */
export interface RestartsResult {
  best: AlignResult | SteResult;
  restarts: RestartObjective[];
  /** Index into `restarts` of the kept one. */
  bestIndex: number;
  /** What `objective` is and which way is better. */
  objective: { name: string; better: 'higher' | 'lower' };
}

/**
 * The objective restarts are compared on: weight matching's Σ⟨W_A, π(W_B)⟩ and activation
 * matching's summed correlation (higher is better, Git Re-Basin Eq. 1 and Sec. 3.1), STE's
 * midpoint loss (lower is better, Alg. 3).
 */
export function restartObjective(method: MatchingMethod): RestartsResult['objective'] {
  if (method === 'ste') return { name: 'midpoint loss', better: 'lower' };
  return method === 'weight'
    ? { name: 'Σ⟨W_A, π(W_B)⟩', better: 'higher' }
    : { name: 'Σ corr(A, π(B))', better: 'higher' };
}

/**
 * Aligns with `restarts` seeds (opts.seed, opts.seed + 1, …) and keeps the best objective. Weight
 * matching is a coordinate descent whose fixed point depends on the sweep order (the seed), so
 * restarts can find a better local optimum; STE's seed sets each step's matching. Ties keep the
 * earlier seed, so one restart is exactly `matchModels`. `opts.onProgress(done, total)` counts
 * STE steps over all restarts, or restarts for the other methods.
 */
export async function matchWithRestarts(
  ref: Model,
  model: Model,
  method: MatchingMethod,
  restarts: number,
  opts: MatchOptions = {},
): Promise<RestartsResult> {
  const n = Math.max(1, Math.floor(restarts));
  const objective = restartObjective(method);
  const seed0 = opts.seed ?? 0;
  const out: RestartObjective[] = [];
  let best: AlignResult | SteResult | null = null;
  let bestIndex = 0;
  for (let r = 0; r < n; r++) {
    opts.signal?.throwIfAborted();
    const res = await matchModels(ref, model, method, {
      ...opts,
      seed: seed0 + r,
      ...(opts.onProgress ? { onProgress: (s, k) => opts.onProgress!(r * (k + 1) + s, n * (k + 1)) } : {}),
    });
    const value = 'midpointLoss' in res ? res.midpointLoss : res.objectiveAfter;
    out.push({ seed: seed0 + r, objective: value });
    // STE reports its steps above; the instant methods report each restart.
    if (method !== 'ste') opts.onProgress?.(r + 1, n);
    const prev = best ? out[bestIndex]!.objective : NaN;
    const better = objective.better === 'higher' ? value > prev : value < prev;
    if (!best || better) {
      best = res;
      bestIndex = r;
    }
  }
  return { best: best!, restarts: out, bestIndex, objective };
}
