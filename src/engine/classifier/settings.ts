/**
 * What a person sets to train MLP classifiers, and the one place those settings are checked.
 * The trainer, the CLI and the app all call `checkClassifierSettings` before any work, so a bad
 * value is refused with every reason at once and nothing (a running job included) is touched.
 */
import { initModel, type Activation, type MlpArch, type Model } from '../model';
import { memberSeeds } from '../population';
import { batchSeed } from './schedule';

/** Hidden nonlinearities offered for classifiers (sine is for INRs). */
export const CLASSIFIER_ACTIVATIONS = ['relu', 'gelu', 'tanh'] as const satisfies readonly Activation[];
export type ClassifierActivation = (typeof CLASSIFIER_ACTIVATIONS)[number];

export const OPTIMIZERS = ['sgd', 'adam'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export const SCHEDULES = ['constant', 'cosine'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

/** Bounds of the architecture and of the loop, stated once for the UI, the CLI and the checks. */
export const CLASSIFIER_LIMITS = {
  minHiddenLayers: 1,
  maxHiddenLayers: 6,
  minWidth: 8,
  maxWidth: 1024,
  maxEpochs: 1000,
  maxBatch: 65_536,
  maxPopulation: 32,
} as const;

/** How members of a population start: each from its own seed, or all from one init. */
export type InitMode = 'independent' | 'shared';

/** The optimisation settings of one training run (shared by every member of a population). */
export interface ClassifierTraining {
  epochs: number;
  /** Examples per minibatch. */
  batch: number;
  optimizer: OptimizerName;
  lr: number;
  /** SGD momentum μ (PyTorch's form: v ← μv + g; θ ← θ − lr·v). Ignored by Adam. */
  momentum: number;
  /** L2 weight decay added to the gradient, as PyTorch's SGD and Adam do (not AdamW). */
  weightDecay: number;
  /** 'cosine': lr·½(1 + cos(π·t/T)) over the T steps of the run (SGDR without restarts). */
  schedule: ScheduleName;
}

/** Everything needed to train a population of classifiers from scratch. */
export interface ClassifierSettings extends ClassifierTraining {
  hidden: number[];
  activation: ClassifierActivation;
  /** Seed of the inits and of the batch orders. */
  seed: number;
  /** Members trained together (K). */
  population: number;
  initMode: InitMode;
}

/** Defaults: Git Re-Basin's MNIST MLP trainer, shortened (Adam 1e-3, batch 128). */
export const DEFAULT_TRAINING: ClassifierTraining = {
  epochs: 5,
  batch: 128,
  optimizer: 'adam',
  lr: 1e-3,
  momentum: 0.9,
  weightDecay: 0,
  schedule: 'constant',
};

export const DEFAULT_CLASSIFIER: ClassifierSettings = {
  ...DEFAULT_TRAINING,
  hidden: [128],
  activation: 'relu',
  seed: 0,
  population: 1,
  initMode: 'independent',
};

/** Settings refused; `reasons` lists each problem in words a person can act on. */
export class ClassifierSettingsError extends Error {
  override name = 'ClassifierSettingsError';
  constructor(readonly reasons: string[]) {
    super(reasons.join('; '));
  }
}

const isInt = (v: number): boolean => Number.isSafeInteger(v);

/** The problems with the optimisation settings (empty when fine). */
export function trainingProblems(s: ClassifierTraining): string[] {
  const out: string[] = [];
  if (!isInt(s.epochs) || s.epochs < 1 || s.epochs > CLASSIFIER_LIMITS.maxEpochs)
    out.push(`epochs must be a whole number from 1 to ${CLASSIFIER_LIMITS.maxEpochs}, got ${s.epochs}`);
  if (!isInt(s.batch) || s.batch < 1 || s.batch > CLASSIFIER_LIMITS.maxBatch)
    out.push(`batch size must be a whole number from 1 to ${CLASSIFIER_LIMITS.maxBatch}, got ${s.batch}`);
  if (!(OPTIMIZERS as readonly string[]).includes(s.optimizer))
    out.push(`optimizer must be one of ${OPTIMIZERS.join(', ')}, got ${String(s.optimizer)}`);
  if (!Number.isFinite(s.lr) || s.lr <= 0 || s.lr > 10)
    out.push(`learning rate must be a number above 0 and at most 10, got ${s.lr}`);
  if (!Number.isFinite(s.momentum) || s.momentum < 0 || s.momentum >= 1)
    out.push(`momentum must lie in [0, 1), got ${s.momentum}`);
  if (!Number.isFinite(s.weightDecay) || s.weightDecay < 0 || s.weightDecay > 1)
    out.push(`weight decay must lie in [0, 1], got ${s.weightDecay}`);
  if (!(SCHEDULES as readonly string[]).includes(s.schedule))
    out.push(`schedule must be one of ${SCHEDULES.join(', ')}, got ${String(s.schedule)}`);
  return out;
}

/** The problems with an architecture's hidden layers and activation (empty when fine). */
export function architectureProblems(hidden: readonly number[], activation: string): string[] {
  const out: string[] = [];
  const { minHiddenLayers: lo, maxHiddenLayers: hi, minWidth, maxWidth } = CLASSIFIER_LIMITS;
  if (hidden.length < lo || hidden.length > hi)
    out.push(`a classifier has ${lo} to ${hi} hidden layers, got ${hidden.length}`);
  hidden.forEach((w, i) => {
    if (!isInt(w) || w < minWidth || w > maxWidth)
      out.push(`hidden layer ${i + 1} has ${w} units; widths run from ${minWidth} to ${maxWidth}`);
  });
  if (!(CLASSIFIER_ACTIVATIONS as readonly string[]).includes(activation))
    out.push(`activation must be one of ${CLASSIFIER_ACTIVATIONS.join(', ')}, got ${activation}`);
  return out;
}

/** Throws ClassifierSettingsError naming every problem with the settings. */
export function checkClassifierSettings(s: ClassifierSettings): void {
  const out = [...architectureProblems(s.hidden, s.activation), ...trainingProblems(s)];
  if (!isInt(s.seed) || s.seed < 0 || s.seed > 2 ** 32 - 1)
    out.push(`seed must be a whole number from 0 to 2³²−1, got ${s.seed}`);
  if (!isInt(s.population) || s.population < 1 || s.population > CLASSIFIER_LIMITS.maxPopulation)
    out.push(`population size must be 1 to ${CLASSIFIER_LIMITS.maxPopulation}, got ${s.population}`);
  if (s.initMode !== 'independent' && s.initMode !== 'shared')
    out.push(`init mode must be independent or shared, got ${String(s.initMode)}`);
  if (out.length) throw new ClassifierSettingsError(out);
}

/** Throws ClassifierSettingsError naming every problem with the optimisation settings. */
export function checkTraining(s: ClassifierTraining): void {
  const out = trainingProblems(s);
  if (out.length) throw new ClassifierSettingsError(out);
}

/** The MLP for `inputs` features and `classes` classes with the settings' hidden layers. */
export function classifierArch(
  s: Pick<ClassifierSettings, 'hidden' | 'activation'>,
  inputs: number,
  classes: number,
): MlpArch {
  return { widths: [inputs, ...s.hidden, classes], activation: s.activation };
}

/**
 * The initial members and their batch-order seeds. Independent: member k's init seed is the run
 * seed's k-th stream; shared: every member starts from stream 0 and only the batch orders differ.
 */
export function classifierPopulation(
  s: ClassifierSettings,
  inputs: number,
  classes: number,
): { models: Model[]; batchSeeds: number[] } {
  const arch = classifierArch(s, inputs, classes);
  const seeds = memberSeeds({ size: s.population, seed: s.seed, initMode: s.initMode });
  return {
    models: seeds.map((seed) => initModel(arch, seed)),
    batchSeeds: seeds.map((_, k) => batchSeed(s.seed, k)),
  };
}
