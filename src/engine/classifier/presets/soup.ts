/**
 * Preset 4, model soups (Wortsman et al. 2022, "Model soups: averaging weights of multiple
 * fine-tuned models improves accuracy without increasing inference time"): one base MLP trained on
 * MNIST, K ingredients fine-tuned from it with different learning rates and batch orders (one
 * population, each member at its own rate), then
 * - the best single ingredient (chosen on a validation part, as the paper does),
 * - the uniform soup (mean of all ingredients, Eq. 1 with uniform weights),
 * - the greedy soup (Recipe 1: ingredients sorted by validation accuracy, each added only if the
 *   soup's validation accuracy does not drop),
 * all scored on the held-out part. The validation part is carved out of the training digits
 * (class-stratified, seeded), so the held-out digits are never used to choose anything.
 */
import type { Model } from '../../model';
import { evaluateModels } from '../../tf/evaluate';
import type { ClassificationData } from '../../data/eval-data';
import { mapModels } from '../../paths/vector';
import { trainClassifierRun } from '../../tf/classifier-run';
import { asClassification, splitHeldOut } from '../data';
import { batchSeed } from '../schedule';
import { checkClassifierSettings, type ClassifierActivation, type ClassifierTraining } from '../settings';
import {
  presetData,
  presetTraining,
  stageHooks,
  StageProgress,
  trainStage,
  type PaperClaim,
  type PresetHooks,
} from './common';

export interface SoupOptions {
  hidden: number[];
  activation: ClassifierActivation;
  /** Training of the base from scratch. */
  base: ClassifierTraining;
  /** Fine-tuning of each ingredient (its lr is replaced by the ingredient's from `lrs`). */
  fineTune: ClassifierTraining;
  /** Number of fine-tuned ingredients (K). */
  ingredients: number;
  /** Learning rates, cycled over the ingredients (the paper's hyperparameter sweep, in small). */
  lrs: number[];
  seed: number;
  /** Fraction of the training digits held out for choosing (best single, greedy soup). */
  validationFraction: number;
}

export const SOUP_DEFAULTS: SoupOptions = {
  hidden: [256, 256],
  activation: 'relu',
  base: presetTraining({ epochs: 2, batch: 128, optimizer: 'adam', lr: 1e-3 }),
  fineTune: presetTraining({
    epochs: 2,
    batch: 128,
    optimizer: 'sgd',
    momentum: 0.9,
    lr: 0.01,
    schedule: 'cosine',
  }),
  ingredients: 6,
  lrs: [0.003, 0.01, 0.03],
  seed: 0,
  validationFraction: 0.1,
};

export const SOUP_PAPER: PaperClaim = {
  citation:
    'Wortsman et al. 2022, "Model soups: averaging weights of multiple fine-tuned models improves accuracy without increasing inference time"',
  where: 'Table 3 / Fig. 1, CLIP ViT-B/32 fine-tuned on ImageNet (top-1 accuracy)',
  reported:
    'Fine-tuned models from one pre-trained base lie in one basin, so their average works: the greedy soup (81.03 %) beat the best single fine-tuned model (80.38 %), while the uniform soup of all ingredients (79.97 %) fell a little below it, pulled down by poorly tuned ingredients. With ViT-G/14 a greedy soup reached 90.94 %.',
};

export interface SoupIngredient {
  lr: number;
  validationAccuracy: number;
  heldOutAccuracy: number;
}

export interface SoupResult {
  options: SoupOptions;
  base: { heldOutAccuracy: number };
  ingredients: SoupIngredient[];
  bestSingle: { index: number; heldOutAccuracy: number; validationAccuracy: number };
  uniformSoup: { heldOutAccuracy: number; heldOutLoss: number };
  greedySoup: { heldOutAccuracy: number; heldOutLoss: number; validationAccuracy: number; members: number[] };
  /** The soups as models (uniform, greedy), to add to a workspace. */
  models: { base: Model; uniform: Model; greedy: Model; ingredients: Model[] };
  paper: PaperClaim;
  seconds: number;
}

/** The uniform average of models of one architecture, summed in float64. */
export function averageModels(models: readonly Model[]): Model {
  return mapModels(models, (tensors) => {
    const out = new Float32Array(tensors[0]!.length);
    for (let i = 0; i < out.length; i++) {
      let s = 0;
      for (const t of tensors) s += t[i]!;
      out[i] = s / tensors.length;
    }
    return out;
  });
}

const accuracyOf = async (m: Model, d: ClassificationData): Promise<number> =>
  (await evaluateModels([m], d)).metric[0]!;

/** Runs preset 4 on the packed MNIST bytes. */
export async function runSoupPreset(
  mnist: Uint8Array,
  over: Partial<SoupOptions> = {},
  hooks: PresetHooks = {},
): Promise<SoupResult> {
  const t0 = performance.now();
  const options: SoupOptions = { ...SOUP_DEFAULTS, ...over };
  if (options.ingredients < 2 || options.lrs.length === 0)
    throw new RangeError('a soup needs at least 2 ingredients and one learning rate');
  const data = presetData(mnist);
  const fitVal = splitHeldOut(
    data.split.train,
    options.validationFraction,
    options.seed,
    'the MNIST training digits',
  );
  const fit = asClassification(fitVal.train);
  const val = asClassification(fitVal.heldOut);
  const lrs = Array.from({ length: options.ingredients }, (_, i) => options.lrs[i % options.lrs.length]!);
  const progress = new StageProgress(
    { base: options.base.epochs, 'fine-tune': options.fineTune.epochs * options.ingredients, soups: 1 },
    hooks,
  );
  const baseData = { ...data, train: fit, heldOut: val };
  const arch = { hidden: options.hidden, activation: options.activation, seed: options.seed };
  const { models: baseModels } = await trainStage(
    { ...options.base, ...arch, population: 1, initMode: 'independent' },
    baseData,
    'base',
    progress,
    hooks,
  );
  progress.finish('base');
  const base = baseModels[0]!;
  // Every ingredient in one population, each at its own rate under the shared schedule
  // (memberLrs): the same numbers as one run per rate, in one kernel call a step.
  for (const lr of new Set(lrs))
    checkClassifierSettings({
      ...options.fineTune,
      lr,
      ...arch,
      population: options.ingredients,
      initMode: 'shared',
    });
  const { models: ingredients } = await trainClassifierRun(
    lrs.map(() => base),
    fit,
    val,
    {
      ...options.fineTune,
      lr: lrs[0]!,
      memberLrs: lrs,
      batchSeeds: lrs.map((_, i) => batchSeed(options.seed + 1, i)),
    },
    stageHooks(hooks, 'fine-tune', progress),
  );
  progress.finish('fine-tune');
  const valScores = await evaluateModels(ingredients, val);
  const heldScores = await evaluateModels(ingredients, data.heldOut);
  const order = ingredients.map((_, i) => i).sort((x, y) => valScores.metric[y]! - valScores.metric[x]!);
  const best = order[0]!;
  // Greedy soup, Wortsman et al. 2022, Recipe 1: keep an ingredient only if validation accuracy holds.
  const greedyMembers = [best];
  let greedyVal = valScores.metric[best]!;
  for (const i of order.slice(1)) {
    hooks.signal?.throwIfAborted();
    const candidate = averageModels([...greedyMembers, i].map((j) => ingredients[j]!));
    const acc = await accuracyOf(candidate, val);
    if (acc >= greedyVal) {
      greedyMembers.push(i);
      greedyVal = acc;
    }
  }
  const uniform = averageModels(ingredients);
  const greedy = averageModels(greedyMembers.map((j) => ingredients[j]!));
  const soups = await evaluateModels([uniform, greedy, base], data.heldOut);
  progress.finish('soups');
  return {
    options,
    base: { heldOutAccuracy: soups.metric[2]! },
    ingredients: lrs.map((lr, i) => ({
      lr,
      validationAccuracy: valScores.metric[i]!,
      heldOutAccuracy: heldScores.metric[i]!,
    })),
    bestSingle: {
      index: best,
      heldOutAccuracy: heldScores.metric[best]!,
      validationAccuracy: valScores.metric[best]!,
    },
    uniformSoup: { heldOutAccuracy: soups.metric[0]!, heldOutLoss: soups.loss[0]! },
    greedySoup: {
      heldOutAccuracy: soups.metric[1]!,
      heldOutLoss: soups.loss[1]!,
      validationAccuracy: greedyVal,
      members: greedyMembers.sort((a, b) => a - b),
    },
    models: { base, uniform, greedy, ingredients },
    paper: SOUP_PAPER,
    seconds: (performance.now() - t0) / 1000,
  };
}
