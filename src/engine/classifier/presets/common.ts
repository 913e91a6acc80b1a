/**
 * What the replication presets share: progress by stage, cancellation, the MNIST data they run
 * on, training a population from settings, and the paper claim each one shows beside its result.
 * Every number a preset returns comes from a run made when it is called; none is stored.
 */
import type { LabelledDataset } from '../../data/dataset';
import type { Model } from '../../model';
import type { ClassificationData } from '../../data/eval-data';
import { trainClassifierRun, type EpochRecord, type RunHooks } from '../../tf/classifier-run';
import { asClassification, mnistTrainTest, takeRows, type TrainTestSplit } from '../data';
import {
  checkClassifierSettings,
  classifierPopulation,
  DEFAULT_TRAINING,
  type ClassifierActivation,
  type ClassifierSettings,
  type ClassifierTraining,
} from '../settings';

/** What a paper reported, shown beside the person's own run. */
export interface PaperClaim {
  citation: string;
  /** Where in the paper (figure / table). */
  where: string;
  /** The finding, in words, with the paper's numbers where it gives them. */
  reported: string;
}

/** Progress and cancellation of a preset: `stage` names what is running. */
export interface PresetHooks {
  signal?: AbortSignal;
  /** fraction in [0, 1] of the whole preset, and the stage running. */
  onProgress?: (fraction: number, stage: string) => void;
  /** A population finished an epoch (for live curves). */
  onEpoch?: (stage: string, record: EpochRecord) => void;
  /** Fused kernel or tfjs for the training stages, and where the kernel's shards run. */
  kernel?: RunHooks['kernel'];
  /** Which path a training stage runs on. */
  onPath?: (stage: string, path: string) => void;
}

/** The run hooks of a preset's training stage. */
export function stageHooks(hooks: PresetHooks, stage: string, progress: StageProgress): RunHooks {
  return {
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    ...(hooks.kernel ? { kernel: hooks.kernel } : {}),
    onPath: (p) => hooks.onPath?.(stage, p),
    onProgress: (d, t) => progress.report(stage, d / t),
    onEpoch: (r) => hooks.onEpoch?.(stage, r),
  };
}

/** The MNIST data of a preset: train, held-out, and a fixed train subset to draw train curves on. */
export interface PresetData {
  split: TrainTestSplit;
  train: ClassificationData;
  heldOut: ClassificationData;
  /** The first `perClass` training digits of each class: the "train" curve's data. */
  trainProbe: ClassificationData;
}

/** The preset data from the packed MNIST bytes (the same split as the app and the CLI). */
export function presetData(mnist: Uint8Array, trainProbePerClass = 100): PresetData {
  const split = mnistTrainTest(mnist);
  return {
    split,
    train: asClassification(split.train),
    heldOut: asClassification(split.heldOut),
    trainProbe: asClassification(firstPerClass(split.train, trainProbePerClass)),
  };
}

/** The first `perClass` rows of each class, classes in order. */
export function firstPerClass(d: LabelledDataset, perClass: number): LabelledDataset {
  const rows: number[] = [];
  for (let c = 0; c < d.classes; c++) {
    let taken = 0;
    for (let i = 0; i < d.n && taken < perClass; i++)
      if (d.labels[i] === c) {
        rows.push(i);
        taken++;
      }
  }
  return takeRows(d, rows);
}

/** Splits [0, 1] into consecutive stage ranges by weight, for one progress bar over many stages. */
export class StageProgress {
  private done = 0;
  private readonly total: number;
  constructor(
    private readonly weights: Record<string, number>,
    private readonly hooks: PresetHooks,
  ) {
    this.total = Object.values(weights).reduce((a, b) => a + b, 0);
  }

  /** Reports `fraction` of stage `name` (stages are reported in the order they run). */
  report(name: string, fraction: number): void {
    const w = this.weights[name] ?? 0;
    this.hooks.onProgress?.(Math.min(1, (this.done + w * fraction) / this.total), name);
  }

  /** Marks a stage finished. */
  finish(name: string): void {
    this.done += this.weights[name] ?? 0;
    this.hooks.onProgress?.(Math.min(1, this.done / this.total), name);
  }
}

/** Trains a population from settings on the preset data; progress goes to `stage` (the caller finishes it). */
export async function trainStage(
  settings: ClassifierSettings,
  data: PresetData,
  stage: string,
  progress: StageProgress,
  hooks: PresetHooks,
): Promise<{ models: Model[]; history: EpochRecord[]; seconds: number }> {
  checkClassifierSettings(settings);
  const pop = classifierPopulation(settings, data.train.inputs, data.train.classes);
  const run = await trainClassifierRun(
    pop.models,
    data.train,
    data.heldOut,
    { ...settings, batchSeeds: pop.batchSeeds },
    stageHooks(hooks, stage, progress),
  );
  progress.report(stage, 1);
  return { models: run.models, history: run.history, seconds: run.seconds };
}

/**
 * The pair every interpolation preset starts from: two MLPs of `hidden` trained from independent
 * seeds (`seed`, and the population's next) on the preset's data, as stage `stage`. Throws when
 * cancelled meanwhile.
 */
export async function trainIndependentPair(
  pair: { training: ClassifierTraining; hidden: number[]; activation: ClassifierActivation; seed: number },
  data: PresetData,
  stage: string,
  progress: StageProgress,
  hooks: PresetHooks,
): Promise<[Model, Model]> {
  const { models } = await trainStage(
    {
      ...pair.training,
      hidden: pair.hidden,
      activation: pair.activation,
      seed: pair.seed,
      population: 2,
      initMode: 'independent',
    },
    data,
    stage,
    progress,
    hooks,
  );
  hooks.signal?.throwIfAborted();
  return models as [Model, Model];
}

/** Training settings of a preset: the defaults with the person's overrides. */
export function presetTraining(over: Partial<ClassifierTraining>): ClassifierTraining {
  return { ...DEFAULT_TRAINING, ...over };
}
