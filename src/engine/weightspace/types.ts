/** Learning on weights: the methods, augmentations and results shared by engine, worker and CLI. */

/**
 * - `mlp`: an MLP on the flattened weights (standardised per coordinate).
 * - `mlp-aligned`: the same after weight matching every member to one reference (Git Re-Basin).
 * - `mlp-augmented`: the same with a random hidden permutation (and, for SIRENs, sign flips)
 *   applied to every member of every batch.
 * - `np`: NFN NP layers (Zhou et al. 2023) on SIREN sign-canonical rows, invariant pooling, a head.
 */
export type WsMethod = 'mlp' | 'mlp-aligned' | 'mlp-augmented' | 'np';
export const WS_METHODS: readonly WsMethod[] = ['mlp', 'mlp-aligned', 'mlp-augmented', 'np'];

/**
 * Weight-space augmentations (Shamsian et al. 2023/2024): `negation` (SIREN sign flips, exact),
 * `bias` (SIREN bias shifts by kπ/w₀, exact), `noise` (Gaussian, 5% of each layer's RMS),
 * `dropout` (5% of weights zeroed), `mixup` (convex mix of two members and their labels) and
 * `mixup-aligned` (the same, both members first aligned to one reference).
 */
export type WsAugment = 'negation' | 'bias' | 'noise' | 'dropout' | 'mixup' | 'mixup-aligned';
export const WS_AUGMENTS: readonly WsAugment[] = [
  'negation',
  'bias',
  'noise',
  'dropout',
  'mixup',
  'mixup-aligned',
];

export interface WsTrainOptions {
  method: WsMethod;
  epochs: number;
  seed: number;
  augment?: WsAugment[];
  /** Members per batch (default 32). */
  batch?: number;
  /** Adam learning rate (default 3e-3 for np, 1e-3 for the MLPs). */
  lr?: number;
  /** Hidden channels of the NP layers / width of the MLP (defaults 16 / 128). */
  width?: number;
  /**
   * Checked after every batch (with a turn of the event loop, so that a worker's cancel message
   * gets in): an abort rejects with the signal's reason and returns nothing.
   */
  signal?: AbortSignal;
  onEpoch?: (e: WsEpoch) => void;
}

/** Accuracies after one epoch (fractions in [0, 1]); NaN for an empty part. */
export interface WsEpoch {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  valAccuracy: number;
  testAccuracy: number;
}

export interface WsResult {
  method: WsMethod;
  epochs: WsEpoch[];
  trainAccuracy: number;
  testAccuracy: number;
  /** Rows = true class, columns = predicted, over the test members; classes in `classes` order. */
  confusion: number[][];
  classes: number[];
  /**
   * max |logits(x) − logits(g·x)| over test members, g a random hidden permutation (plus sign
   * flips for SIRENs), through the whole method (alignment or canonicalisation included).
   */
  invarianceMaxDiff: number;
  /** max |logits| on the same members, to judge the difference against. */
  logitScale: number;
  seconds: number;
}
