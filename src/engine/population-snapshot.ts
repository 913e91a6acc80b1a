/**
 * A population in the middle of training, in a form every trainer can resume from: each member's
 * weights, its Adam moments and the step count (which sets Adam's bias correction, Kingma & Ba
 * 2015, Alg. 1). The moments are flat vectors in `flattenModel`'s order (the trainable tensors of
 * `paramShapes`, PyTorch layout), whatever layout the trainer keeps them in. It is what lets a
 * training job switch engines mid-run (tfjs → the fused kernel, or one tfjs backend → another)
 * and continue from the same step, as if one engine had trained throughout.
 */
import { flattenModel, paramCount, type Model } from './model';

export interface PopulationSnapshot {
  /** Adam steps taken. */
  steps: number;
  /** The members' current weights (Fourier matrices included). */
  models: Model[];
  /** First moments, one flat vector per member. */
  m: Float32Array[];
  /** Second moments, one flat vector per member (SGD: zeros; its momentum buffer is `m`). */
  v: Float32Array[];
  /**
   * Classifiers, mid-epoch: each member's cross-entropy summed over the epoch's steps so far and
   * the examples they held, so the epoch's training loss stays whole across a switch.
   */
  epoch?: { lossSums: Float32Array; examples: number };
}

/** Checks that a snapshot fits K members of the given models' architecture before a trainer loads it. */
export function checkSnapshot(s: PopulationSnapshot, k: number): void {
  if (!(Number.isInteger(s.steps) && s.steps >= 0))
    throw new RangeError(`snapshot step ${s.steps} is not a count`);
  if (s.models.length !== k || s.m.length !== k || s.v.length !== k)
    throw new RangeError(`snapshot holds ${s.models.length} members, the trainer ${k}`);
  const n = paramCount(s.models[0]!.arch);
  for (let i = 0; i < k; i++)
    if (s.m[i]!.length !== n || s.v[i]!.length !== n || flattenModel(s.models[i]!).length !== n)
      throw new RangeError(`snapshot member ${i} does not have ${n} parameters`);
}

/**
 * A population at step 0 as a snapshot: the given weights, zero optimiser state (no epoch loss
 * yet), what a run that fails over before its first checkpoint continues from.
 */
export function startSnapshot(models: readonly Model[]): PopulationSnapshot {
  const n = paramCount(models[0]!.arch);
  return {
    steps: 0,
    models: [...models],
    m: models.map(() => new Float32Array(n)),
    v: models.map(() => new Float32Array(n)),
    epoch: { lossSums: new Float32Array(models.length), examples: 0 },
  };
}
