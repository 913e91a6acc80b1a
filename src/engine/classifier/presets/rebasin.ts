/**
 * Preset 1, Git Re-Basin on MNIST (Ainsworth et al. 2023, Fig. 2, MNIST MLP): two MLPs trained
 * from independent seeds, then the loss and accuracy along the straight line between them, naive
 * and after weight matching (Alg. 1), activation matching (Sec. 3.1) and STE matching (Sec. 3.3,
 * engine/tf/ste.ts), on train and held-out data.
 */
import { alignModels } from '../../align/align';
import { steMatching } from '../../tf/ste';
import type { Model } from '../../model';
import { BatchEvaluator } from '../../tf/evaluate';
import { pathCurve, type PathCurve } from '../../paths/barrier';
import type { ClassifierActivation, ClassifierTraining } from '../settings';
import {
  presetData,
  presetTraining,
  StageProgress,
  trainIndependentPair,
  type PaperClaim,
  type PresetHooks,
} from './common';

export type RebasinMethod = 'naive' | 'weight' | 'activation' | 'ste';

export interface RebasinOptions {
  /** Hidden widths (default 512, 512, 512 as in the paper). */
  hidden: number[];
  activation: ClassifierActivation;
  training: ClassifierTraining;
  /** Seed of the two inits (independent streams) and batch orders. */
  seed: number;
  /** α points on [0, 1]. */
  points: number;
  /** Training digits per class the train curve is drawn on (and activation matching sees). */
  trainProbePerClass: number;
}

export const REBASIN_DEFAULTS: RebasinOptions = {
  hidden: [512, 512, 512],
  activation: 'relu',
  training: presetTraining({ epochs: 3, batch: 128, optimizer: 'adam', lr: 1e-3 }),
  seed: 0,
  points: 13,
  trainProbePerClass: 100,
};

export const REBASIN_PAPER: PaperClaim = {
  citation:
    'Ainsworth, Hayase & Srinivasa 2023, "Git Re-Basin: Merging Models modulo Permutation Symmetries"',
  where: 'Fig. 2, MNIST, MLP with 3 hidden layers of 512 (ReLU)',
  reported:
    'Naive interpolation between two independently trained MLPs climbs to a clear loss barrier around α = ½, on train and test. After weight matching, activation matching or STE matching the loss along the line stays close to the endpoints (near-zero barrier: linear mode connectivity modulo permutation). Weight and activation matching perform about the same; STE is slightly better but far more expensive.',
};

/** One method's curves. */
export interface RebasinCurve {
  method: RebasinMethod;
  train: PathCurve;
  heldOut: PathCurve;
}

export interface RebasinResult {
  options: RebasinOptions;
  /** The two trained endpoints (A, B) and B aligned by each method. */
  models: { a: Model; b: Model; aligned: Partial<Record<RebasinMethod, Model>> };
  curves: RebasinCurve[];
  /** Held-out accuracy of A and B. */
  endpointAccuracy: [number, number];
  /** Why a method of the paper is absent. */
  notes: string[];
  paper: PaperClaim;
  seconds: number;
}

/** Runs preset 1 on the packed MNIST bytes. */
export async function runRebasinPreset(
  mnist: Uint8Array,
  over: Partial<RebasinOptions> = {},
  hooks: PresetHooks = {},
): Promise<RebasinResult> {
  const t0 = performance.now();
  const options: RebasinOptions = { ...REBASIN_DEFAULTS, ...over };
  const data = presetData(mnist, options.trainProbePerClass);
  const progress = new StageProgress({ train: 80, align: 5, curves: 15 }, hooks);
  const [a, b] = await trainIndependentPair(options, data, 'train', progress, hooks);
  progress.finish('train');
  const aligned: Partial<Record<RebasinMethod, Model>> = {
    weight: alignModels(a, b, { method: 'weight', seed: options.seed }).model,
  };
  progress.report('align', 0.5);
  hooks.signal?.throwIfAborted();
  aligned.activation = alignModels(a, b, {
    method: 'activation',
    seed: options.seed,
    x: data.trainProbe.x,
  }).model;
  progress.report('align', 0.75);
  // STE matching (Sec. 3.3) trains on the same class-balanced probe of the training digits.
  const ste = await steMatching(a, b, data.trainProbe, {
    seed: options.seed,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  });
  aligned.ste = ste.model;
  progress.finish('align');
  const methods: RebasinMethod[] = ['naive', 'weight', 'activation', 'ste'];
  const curves: RebasinCurve[] = [];
  const trainEval = new BatchEvaluator(data.trainProbe);
  const heldEval = new BatchEvaluator(data.heldOut);
  try {
    for (const [i, method] of methods.entries()) {
      const end = method === 'naive' ? b : aligned[method]!;
      const opts = { points: options.points, ...(hooks.signal ? { signal: hooks.signal } : {}) };
      const train = await pathCurve(a, end, trainEval, opts);
      progress.report('curves', (i + 0.5) / methods.length);
      const heldOut = await pathCurve(a, end, heldEval, opts);
      progress.report('curves', (i + 1) / methods.length);
      curves.push({ method, train, heldOut });
    }
  } finally {
    trainEval.dispose();
    heldEval.dispose();
  }
  progress.finish('curves');
  const naive = curves[0]!.heldOut;
  return {
    options,
    models: { a, b, aligned },
    curves,
    endpointAccuracy: [naive.metrics[0]!, naive.metrics[naive.metrics.length - 1]!],
    notes: [
      `STE matching kept step ${ste.bestStep} of ${ste.lossPerStep.length - 1}: midpoint loss ${ste.midpointLoss.toFixed(4)} nats on the training probe (weight matching: ${ste.weightMatchingLoss.toFixed(4)}).`,
    ],
    paper: REBASIN_PAPER,
    seconds: (performance.now() - t0) / 1000,
  };
}
