/**
 * The merge methods, their parameters and their defaults, as mergekit's registry declares them
 * (arcee-ai/mergekit, `merge_methods/registry.py`, `generalized_task_arithmetic.py`).
 */

/** Every merge method Weightscope implements. */
export type MergeMethod =
  | 'linear'
  | 'task_arithmetic'
  | 'ties'
  | 'dare_linear'
  | 'dare_ties'
  | 'breadcrumbs'
  | 'breadcrumbs_ties'
  | 'della'
  | 'della_linear'
  | 'model_stock'
  | 'slerp';

/** All methods, in the order the app and the CLI list them. */
export const MERGE_METHODS: readonly MergeMethod[] = [
  'linear',
  'task_arithmetic',
  'ties',
  'dare_linear',
  'dare_ties',
  'breadcrumbs',
  'breadcrumbs_ties',
  'della',
  'della_linear',
  'model_stock',
  'slerp',
];

/**
 * A value that may vary over depth: a number, or a list interpolated over the layers as
 * mergekit's gradients are (`config.evaluate_setting`: layer l of L at t = l/(L−1)).
 */
export type Gradient = number | readonly number[];

/** The knobs a merge takes; each method reads the ones it declares (see `METHOD_INFO`). */
export interface MergeParams {
  /** One per model (not the base); default 1 each. */
  weights?: readonly Gradient[];
  /** Fraction of each task vector kept by sparsification, in (0, 1]. */
  density?: Gradient;
  /** Breadcrumbs: fraction of the largest-magnitude entries removed. */
  gamma?: Gradient;
  /** DELLA: keep probabilities spread over density ± ε by magnitude rank. */
  epsilon?: Gradient;
  /** Scale of the mixed task vector. */
  lambda?: Gradient;
  /** slerp: position along the arc, 0 = first model, 1 = second. */
  t?: Gradient;
  /** Divide by the (masked) sum of weights. */
  normalize?: boolean;
  /** Rescale a sparsified task vector to its original L1 norm. */
  rescale?: boolean;
  /** Seed of the random sparsifiers (DARE, DELLA). */
  seed?: number;
}

/** The parameters a method reads (besides the per-model weights). */
export type ParamName = 'density' | 'gamma' | 'epsilon' | 'lambda' | 't' | 'normalize' | 'rescale' | 'seed';

/** What the UI and the CLI need to know about a method. */
export interface MethodInfo {
  /** Paper, for the hint and the docs. */
  cite: string;
  /** One line for the form. */
  hint: string;
  /** 'required', 'optional' or 'none'. */
  base: 'required' | 'optional' | 'none';
  /** Fewest models besides the base. */
  minModels: number;
  /** Most models besides the base (slerp: 2 models, or base + 1). */
  maxModels?: number;
  /** Whether per-model weights apply. */
  weights: boolean;
  /** Parameters read, with mergekit's default values. */
  defaults: Partial<Record<ParamName, number | boolean>>;
  /** Whether the result depends on the seed. */
  random: boolean;
}

/** One line per parameter, for forms and `--help`. */
export const PARAM_HINTS: Record<ParamName | 'weights', string> = {
  weights: 'how much each model counts (one per model)',
  density: 'fraction of each task vector kept, in (0, 1]',
  gamma: 'fraction of the largest task-vector entries dropped as outliers',
  epsilon: 'DELLA: keep probabilities range over density ± ε by magnitude rank',
  lambda: 'scale of the merged task vector added to the base',
  t: 'position on the arc: 0 = first model, 1 = second',
  normalize: 'divide by the sum of the (agreeing) weights',
  rescale: 'rescale kept entries to the task vector’s original L1 norm',
  seed: 'seed of the random drop',
};

const GTA = { lambda: 1, density: 1 } as const;

/**
 * Per method: base, model counts and mergekit's defaults (`registry.py`: normalize / rescale per
 * method; `tensor_parameters`: density 1, gamma 0.01, epsilon 0.15; lambda 1).
 */
export const METHOD_INFO: Record<MergeMethod, MethodInfo> = {
  linear: {
    cite: 'Wortsman et al. 2022, "Model soups"',
    hint: 'weighted average of the models; equal weights give the uniform soup',
    base: 'none',
    minModels: 1,
    weights: true,
    defaults: { normalize: true },
    random: false,
  },
  task_arithmetic: {
    cite: 'Ilharco et al. 2023, "Editing Models with Task Arithmetic"',
    hint: 'base + λ·Σ wᵢ(θᵢ − base): add the task vectors',
    base: 'required',
    minModels: 1,
    weights: true,
    defaults: { ...GTA, normalize: false, rescale: false },
    random: false,
  },
  ties: {
    cite: 'Yadav et al. 2023, "TIES-Merging"',
    hint: 'keep the largest task-vector entries, elect a sign, average those that agree',
    base: 'required',
    minModels: 1,
    weights: true,
    defaults: { ...GTA, normalize: true, rescale: false },
    random: false,
  },
  dare_linear: {
    cite: 'Yu et al. 2024, "Language Models are Super Mario" (DARE)',
    hint: 'drop task-vector entries at random, rescale, add them up',
    base: 'required',
    minModels: 1,
    weights: true,
    defaults: { ...GTA, normalize: false, rescale: true, seed: 0 },
    random: true,
  },
  dare_ties: {
    cite: 'Yu et al. 2024 (DARE) with TIES sign election',
    hint: 'random drop and rescale, then TIES sign election',
    base: 'required',
    minModels: 1,
    weights: true,
    defaults: { ...GTA, normalize: false, rescale: true, seed: 0 },
    random: true,
  },
  breadcrumbs: {
    cite: 'Davari & Belilovsky 2024, "Model Breadcrumbs"',
    hint: 'drop the largest (γ) and the smallest entries, keep the band between',
    base: 'required',
    minModels: 1,
    weights: true,
    defaults: { ...GTA, gamma: 0.01, normalize: false, rescale: false },
    random: false,
  },
  breadcrumbs_ties: {
    cite: 'Davari & Belilovsky 2024 with TIES sign election',
    hint: 'breadcrumbs band, then TIES sign election',
    base: 'required',
    minModels: 1,
    weights: true,
    defaults: { ...GTA, gamma: 0.01, normalize: false, rescale: false },
    random: false,
  },
  della: {
    cite: 'Deep et al. 2024, "DELLA-Merging"',
    hint: 'drop at random with keep probability rising with magnitude rank, TIES election',
    base: 'required',
    minModels: 1,
    weights: true,
    defaults: { ...GTA, epsilon: 0.15, normalize: true, rescale: true, seed: 0 },
    random: true,
  },
  della_linear: {
    cite: 'Deep et al. 2024, "DELLA-Merging" (no sign election)',
    hint: 'DELLA’s rank-based random drop, then a plain weighted sum',
    base: 'required',
    minModels: 1,
    weights: true,
    defaults: { ...GTA, epsilon: 0.15, normalize: false, rescale: true, seed: 0 },
    random: true,
  },
  model_stock: {
    cite: 'Jang et al. 2024, "Model Stock"',
    hint: 'move from the base towards the average by t = N·cos/(1+(N−1)·cos)',
    base: 'required',
    minModels: 2,
    weights: false,
    defaults: {},
    random: false,
  },
  slerp: {
    cite: 'Shoemake 1985; WARP (Ramé et al. 2024)',
    hint: 'great-circle interpolation per tensor between two models',
    base: 'optional',
    minModels: 1,
    maxModels: 2,
    weights: false,
    defaults: { t: 0.5 },
    random: false,
  },
};

/** Thrown for merge inputs that cannot be merged; the message says why and what to change. */
export class MergeInputError extends Error {
  override name = 'MergeInputError';
}
