/**
 * The parts of a training loop that are plain arithmetic: seeded batch orders and the learning-rate
 * schedule. Kept apart from tfjs so they can be tested (and reused by any backend) directly.
 */
import { createRng, deriveSeed, randomPermutation, type Rng } from '../rng';
import type { ScheduleName } from './settings';

/** Minibatches per epoch: every example once, the last batch possibly smaller (PyTorch's default). */
export const stepsPerEpoch = (n: number, batch: number): number => Math.ceil(n / batch);

/**
 * One member's example order: a fresh seeded shuffle of 0..n−1 per epoch (sampling without
 * replacement, like PyTorch's DataLoader(shuffle=True)). The same seed gives the same order.
 */
export class BatchOrder {
  private readonly rng: Rng;
  private order: Int32Array;
  private epoch = -1;

  constructor(
    readonly n: number,
    readonly batch: number,
    seed: number,
  ) {
    this.rng = createRng(seed);
    this.order = new Int32Array(0);
  }

  /** The example indices of minibatch `step` (0-based within the epoch) of epoch `epoch`. */
  indices(epoch: number, step: number): Int32Array {
    return this.epochOrder(epoch).subarray(step * this.batch, Math.min(this.n, (step + 1) * this.batch));
  }

  /** Epoch `epoch`'s whole order (minibatch s is entries s·batch…); no copy. */
  epochOrder(epoch: number): Int32Array {
    while (this.epoch < epoch) {
      this.order = randomPermutation(this.n, this.rng);
      this.epoch += 1;
    }
    if (epoch !== this.epoch)
      throw new RangeError(`batch order asked for epoch ${epoch} after ${this.epoch}`);
    return this.order;
  }
}

/** Each member's batch-order seed: its own stream of the run's seed (the init seed is separate). */
export const batchSeed = (seed: number, member: number): number =>
  deriveSeed(deriveSeed(seed, 1 << 20), member);

/**
 * Learning rate at step t of T. Cosine: lr·½(1 + cos(π·t/T)) (Loshchilov & Hutter 2017, Eq. 5
 * with η_min = 0 and one cycle), stepped per minibatch as torch's CosineAnnealingLR(T_max = T).
 */
export function learningRateAt(schedule: ScheduleName, lr: number, t: number, total: number): number {
  if (schedule === 'constant' || total <= 0) return lr;
  return 0.5 * lr * (1 + Math.cos((Math.PI * Math.min(t, total)) / total));
}
