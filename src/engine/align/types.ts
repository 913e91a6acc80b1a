/** Shared types of the symmetry-alignment engine. */
import type { Model } from '../model';
import type { PermutationSpec } from './permspec';

/** Which alignment method: weight matching (Git Re-Basin Alg. 1) or activation matching (Sec. 3.1). */
export type AlignMethod = 'weight' | 'activation';

/**
 * Whether to use the sign symmetry of odd activations: 'auto' = on for sine and tanh, off
 * otherwise (ReLU and GELU are not odd); 'on' / 'off' force it.
 */
export type SignMode = 'auto' | 'on' | 'off';

/** Options shared by both methods. */
export interface AlignOptions {
  method?: AlignMethod;
  signed?: SignMode;
  /** Seed of the sweep order (weight matching) and of the probe batch. Default 0. */
  seed?: number;
  /** Weight matching: most sweeps (default 100). */
  maxSweeps?: number;
  /** Permutation spec; default `mlpPermutationSpec(ref.arch)`. */
  spec?: PermutationSpec;
  /**
   * Activation matching: the data batch [n, inputs] (flat, row-major). Default: `dataPoints`
   * seeded points uniform in [−1, 1]^inputs (the INR coordinate domain).
   */
  x?: Float32Array;
  /** Default batch size when `x` is not given (default 1024). */
  dataPoints?: number;
  /**
   * Points in the probe batch that checks f(B) = f(π(B)). Default 256, fewer (≥ 32) for models
   * whose forward pass is large (see `defaultProbePoints`).
   */
  probePoints?: number;
}

/** What an alignment returns: the aligned model plus the evidence that it is exact. */
export interface AlignResult {
  /** B aligned to A (a new model; B is untouched). */
  model: Model;
  method: AlignMethod;
  signed: boolean;
  /** Per permutation name: aligned unit i is B's unit perms[name][i]. */
  perms: Record<string, Int32Array>;
  /** Per permutation name, ±1 per aligned unit; present when `signed`. */
  signs?: Record<string, Float32Array>;
  /**
   * The method's objective before (identity) and after. Weight matching: Σ_t ⟨A_t, π(B)_t⟩ over
   * the trainable tensors. Activation matching: Σ over layers and units of the matched
   * correlations (signed: sign · correlation).
   */
  objectiveBefore: number;
  objectiveAfter: number;
  /** Weight matching: the objective after each sweep (non-decreasing). Activation: [after]. */
  objectivePerSweep: number[];
  /** Weight matching: sweeps run (including the last, which found nothing to improve). */
  sweeps: number;
  timeMs: number;
  /** max |f(B)(x) − f(π(B))(x)| over the probe batch: float-rounding small when π is a symmetry. */
  maxOutputDiff: number;
  /** max |f(B)(x)| over the probe batch, to judge `maxOutputDiff` against. */
  outputScale: number;
  /** The bound `maxOutputDiff` is held to (PROOF_TOLERANCE relative to the output scale). */
  tolerance: number;
  /** The verdict: the aligned model computes B's function up to float rounding. */
  proved: boolean;
}

/** Progress of a batch alignment: `done` of `total` models finished. */
export type AlignProgress = (done: number, total: number) => void;
