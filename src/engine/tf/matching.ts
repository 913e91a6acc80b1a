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
