/**
 * Preset 3, REPAIR on MNIST (Jordan et al. 2023): a deep, narrow MLP pair where the barrier
 * survives alignment. Reports held-out accuracy and loss at α = ½ for the naive midpoint, the
 * weight-matched midpoint and, when a REPAIR function is supplied, the repaired aligned midpoint,
 * beside the endpoints' mean. The curves along α come with it for the plot.
 */
import { alignModels } from '../../align/align';
import type { Model } from '../../model';
import { lerpModels } from '../../paths/interpolate';
import { BatchEvaluator } from '../../tf/evaluate';
import type { ClassificationData } from '../../data/eval-data';
import { pathCurve, type PathCurve } from '../../paths/barrier';
import type { ClassifierActivation, ClassifierTraining } from '../settings';
import {
  presetData,
  presetTraining,
  StageProgress,
  trainStage,
  type PaperClaim,
  type PresetHooks,
} from './common';

/**
 * REPAIR as the merge engine provides it: the interpolated model at `alpha` between `a` and the
 * aligned `b`, each hidden unit's statistics reset from the endpoints' on `x` ([n, inputs]).
 */
export type RepairFn = (
  a: Model,
  alignedB: Model,
  alpha: number,
  x: ClassificationData,
) => Model | Promise<Model>;

export interface RepairPresetOptions {
  hidden: number[];
  activation: ClassifierActivation;
  training: ClassifierTraining;
  seed: number;
  points: number;
}

export const REPAIR_DEFAULTS: RepairPresetOptions = {
  hidden: [128, 128, 128, 128, 128, 128],
  activation: 'relu',
  training: presetTraining({ epochs: 3, batch: 128, optimizer: 'adam', lr: 1e-3 }),
  seed: 0,
  points: 11,
};

export const REPAIR_PAPER: PaperClaim = {
  citation:
    'Jordan, Sedghi, Saukh, Entezari & Neyshabur 2023, "REPAIR: REnormalizing Permuted Activations for Interpolation Repair"',
  where: 'Sec. 3–4: variance collapse; MLPs on MNIST and deeper networks',
  reported:
    "Even after permutation alignment, the midpoint of two networks loses accuracy because its hidden units' activation variance collapses, more so the deeper the network. Rescaling each unit to the interpolated mean and standard deviation of the endpoints (REPAIR) removes most of the remaining barrier, the more so for deeper networks.",
};

/** Held-out scores of one model at α = ½. */
export interface MidpointScore {
  label: 'naive' | 'aligned' | 'aligned + REPAIR';
  accuracy: number;
  loss: number;
}

export interface RepairPresetResult {
  options: RepairPresetOptions;
  /** Mean held-out accuracy and loss of the two endpoints. */
  endpoints: { accuracy: number; loss: number };
  midpoints: MidpointScore[];
  curves: { naive: PathCurve; aligned: PathCurve };
  notes: string[];
  paper: PaperClaim;
  seconds: number;
}

/** Runs preset 3; pass `repair` to add the REPAIR midpoint (absent: the result says so). */
export async function runRepairPreset(
  mnist: Uint8Array,
  over: Partial<RepairPresetOptions> = {},
  hooks: PresetHooks = {},
  repair?: RepairFn,
): Promise<RepairPresetResult> {
  const t0 = performance.now();
  const options: RepairPresetOptions = { ...REPAIR_DEFAULTS, ...over };
  const data = presetData(mnist);
  const progress = new StageProgress({ train: 85, align: 5, curves: 10 }, hooks);
  const { models } = await trainStage(
    {
      ...options.training,
      hidden: options.hidden,
      activation: options.activation,
      seed: options.seed,
      population: 2,
      initMode: 'independent',
    },
    data,
    'train',
    progress,
    hooks,
  );
  progress.finish('train');
  const [a, b] = models as [Model, Model];
  hooks.signal?.throwIfAborted();
  const alignedB = alignModels(a, b, { method: 'weight', seed: options.seed }).model;
  progress.finish('align');
  const ev = new BatchEvaluator(data.heldOut);
  try {
    const opts = { points: options.points, ...(hooks.signal ? { signal: hooks.signal } : {}) };
    const naive = await pathCurve(a, b, ev, opts);
    const aligned = await pathCurve(a, alignedB, ev, opts);
    const mids: Model[] = [lerpModels(a, b, 0.5), lerpModels(a, alignedB, 0.5)];
    const labels: MidpointScore['label'][] = ['naive', 'aligned'];
    const notes: string[] = [];
    if (repair) {
      mids.push(await repair(a, alignedB, 0.5, data.trainProbe));
      labels.push('aligned + REPAIR');
    } else notes.push('REPAIR is not in this build yet, so only the naive and aligned midpoints are shown.');
    const scores = await ev.evaluate(mids.length, (i) => mids[i]!);
    progress.finish('curves');
    const n = naive.metrics.length;
    return {
      options,
      endpoints: {
        accuracy: (naive.metrics[0]! + naive.metrics[n - 1]!) / 2,
        loss: (naive.losses[0]! + naive.losses[n - 1]!) / 2,
      },
      midpoints: labels.map((label, i) => ({ label, accuracy: scores.metric[i]!, loss: scores.loss[i]! })),
      curves: { naive, aligned },
      notes,
      paper: REPAIR_PAPER,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    ev.dispose();
  }
}
