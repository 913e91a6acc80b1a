/**
 * Preset 2, barrier vs width: for each width, two MLPs from independent seeds (trained together),
 * the held-out cross-entropy barrier of the straight line between them, naive and after weight
 * matching (Git Re-Basin Alg. 1). Plotted on a log₂ width axis.
 */
import { alignModels } from '../../align/align';
import { BatchEvaluator } from '../../tf/evaluate';
import { pathCurve } from '../../paths/barrier';
import { CLASSIFIER_LIMITS, type ClassifierActivation, type ClassifierTraining } from '../settings';
import {
  presetData,
  presetTraining,
  StageProgress,
  trainIndependentPair,
  type PaperClaim,
  type PresetHooks,
} from './common';

export interface WidthSweepOptions {
  widths: number[];
  /** Hidden layers, each of the swept width. */
  depth: number;
  activation: ClassifierActivation;
  training: ClassifierTraining;
  seed: number;
  points: number;
}

export const WIDTH_SWEEP_DEFAULTS: WidthSweepOptions = {
  widths: [32, 64, 128, 256, 512],
  depth: 3,
  activation: 'relu',
  training: presetTraining({ epochs: 2, batch: 128, optimizer: 'adam', lr: 1e-3 }),
  seed: 0,
  points: 11,
};

export const WIDTH_SWEEP_PAPER: PaperClaim = {
  citation:
    'Ainsworth et al. 2023, "Git Re-Basin" (Sec. 5, model width); Entezari et al. 2022, "The Role of Permutation Invariance in Linear Mode Connectivity"',
  where: 'Git Re-Basin: loss barrier vs width multiplier; Entezari et al.: barrier vs width of MLPs',
  reported:
    'Wider models exhibit better linear mode connectivity: after weight matching the barrier falls towards zero as the width grows, while narrow models keep a clear barrier even when aligned. Without alignment the barrier stays high across widths.',
};

export interface WidthPoint {
  width: number;
  naiveBarrier: number;
  alignedBarrier: number;
  /** Largest held-out accuracy drop along the line, naive and aligned (fractions). */
  naiveAccuracyDrop: number;
  alignedAccuracyDrop: number;
  /** Held-out accuracy of the two endpoints. */
  endpointAccuracy: [number, number];
}

export interface WidthSweepResult {
  options: WidthSweepOptions;
  points: WidthPoint[];
  paper: PaperClaim;
  seconds: number;
}

/** Problems with the sweep's widths (empty when fine). */
export function widthProblems(widths: readonly number[]): string[] {
  const { minWidth, maxWidth } = CLASSIFIER_LIMITS;
  if (widths.length === 0) return ['the sweep needs at least one width'];
  return widths
    .filter((w) => !Number.isSafeInteger(w) || w < minWidth || w > maxWidth)
    .map((w) => `width ${w} is outside ${minWidth}–${maxWidth}`);
}

/** Runs preset 2 on the packed MNIST bytes; `onPoint` sees each width as it finishes. */
export async function runWidthSweep(
  mnist: Uint8Array,
  over: Partial<WidthSweepOptions> = {},
  hooks: PresetHooks & { onPoint?: (p: WidthPoint) => void } = {},
): Promise<WidthSweepResult> {
  const t0 = performance.now();
  const options: WidthSweepOptions = { ...WIDTH_SWEEP_DEFAULTS, ...over };
  const problems = widthProblems(options.widths);
  if (problems.length) throw new RangeError(problems.join('; '));
  const data = presetData(mnist);
  // Training cost grows about with width², so the bar is weighted the same way.
  const weights: Record<string, number> = {};
  for (const w of options.widths) weights[`width ${w}`] = 784 * w + (options.depth - 1) * w * w + 10 * w;
  const progress = new StageProgress(weights, hooks);
  const heldEval = new BatchEvaluator(data.heldOut);
  const points: WidthPoint[] = [];
  try {
    for (const width of options.widths) {
      const stage = `width ${width}`;
      const hidden = Array.from({ length: options.depth }, () => width);
      const [a, b] = await trainIndependentPair({ ...options, hidden }, data, stage, progress, hooks);
      const opts = { points: options.points, ...(hooks.signal ? { signal: hooks.signal } : {}) };
      const naive = await pathCurve(a, b, heldEval, opts);
      const aligned = await pathCurve(
        a,
        alignModels(a, b, { method: 'weight', seed: options.seed }).model,
        heldEval,
        opts,
      );
      const point: WidthPoint = {
        width,
        naiveBarrier: naive.barrier,
        alignedBarrier: aligned.barrier,
        naiveAccuracyDrop: naive.metricBarrier,
        alignedAccuracyDrop: aligned.metricBarrier,
        endpointAccuracy: [naive.metrics[0]!, naive.metrics[naive.metrics.length - 1]!],
      };
      points.push(point);
      hooks.onPoint?.(point);
      progress.finish(stage);
    }
  } finally {
    heldEval.dispose();
  }
  return { options, points, paper: WIDTH_SWEEP_PAPER, seconds: (performance.now() - t0) / 1000 };
}
