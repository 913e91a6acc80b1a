/**
 * Preset 3, REPAIR on MNIST (Jordan et al. 2023): a deep, narrow MLP pair where the barrier
 * survives alignment. Reports held-out accuracy and loss at α = ½ for the naive midpoint, the
 * weight-matched midpoint and the REPAIRed aligned midpoint (engine/merge/repair-path.ts, statistics
 * measured on a class-balanced probe of the training digits), beside the endpoints' mean. The curves along α come with it for the plot.
 */
import { alignModels } from '../../align/align';
import { repairedLerpPath } from '../../merge/repair-path';
import type { Model } from '../../model';
import { lerpModels } from '../../paths/interpolate';
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

/** Runs preset 3. */
export async function runRepairPreset(
  mnist: Uint8Array,
  over: Partial<RepairPresetOptions> = {},
  hooks: PresetHooks = {},
): Promise<RepairPresetResult> {
  const t0 = performance.now();
  const options: RepairPresetOptions = { ...REPAIR_DEFAULTS, ...over };
  const data = presetData(mnist);
  const progress = new StageProgress({ train: 85, align: 5, curves: 10 }, hooks);
  const [a, b] = await trainIndependentPair(options, data, 'train', progress, hooks);
  progress.finish('train');
  const alignedB = alignModels(a, b, { method: 'weight', seed: options.seed }).model;
  progress.finish('align');
  const ev = new BatchEvaluator(data.heldOut);
  try {
    const opts = { points: options.points, ...(hooks.signal ? { signal: hooks.signal } : {}) };
    const naive = await pathCurve(a, b, ev, opts);
    const aligned = await pathCurve(a, alignedB, ev, opts);
    const probe = data.trainProbe;
    const repaired = repairedLerpPath(a, alignedB, probe.x, probe.n)(0.5);
    const mids: Model[] = [lerpModels(a, b, 0.5), lerpModels(a, alignedB, 0.5), repaired];
    const labels: MidpointScore['label'][] = ['naive', 'aligned', 'aligned + REPAIR'];
    const notes: string[] = [];
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
