/**
 * The two ways `train-inr` trains a population: the fused WebAssembly kernel on a pool of worker
 * threads (src/engine/kernels), or the tfjs PopulationTrainer (the reference, and the fallback for
 * what the kernel does not cover). Both report the same figures.
 */
import type { Model } from '../engine/model';
import type { KernelRegression } from '../engine/kernels/mlp-kernel';
import type { SplitMode } from '../engine/kernels/split-pool';
import { fmt } from './command';

export interface TrainRun {
  initialLoss: Float32Array;
  finalLoss: Float32Array;
  models: Model[];
  /** Members × steps per second, timed from the end of step 2 (null below 3 steps). */
  modelStepsPerSecond: number | null;
  /** Which path ran, e.g. "fused wasm simd × 2 threads" or "tfjs wasm". */
  kernel: string;
  threads: number;
  /**
   * What the fused kernel's threads split: `members`, or each member's `pixels` in `chunks` fixed
   * chunks; `why` says why the members were split (null on tfjs).
   */
  split: { by: 'members'; why: string } | { by: 'pixels'; chunks: number } | null;
}

/** What either path needs: steps taken one call at a time, losses read back. */
interface Stepper {
  step(steps: number): Promise<void>;
  evaluate(): Promise<Float32Array>;
}

/** Runs `steps` steps, timing everything after the first two (start-up and JIT warm-up). */
async function timedSteps(s: Stepper, steps: number, k: number): Promise<number | null> {
  const warm = Math.min(2, steps);
  if (warm > 0) await s.step(warm);
  const rest = steps - warm;
  if (rest <= 0) return null;
  const every = Math.max(1, Math.round(steps / 10));
  const t0 = performance.now();
  for (let done = 0; done < rest;) {
    const n = Math.min(every, rest - done);
    await s.step(n);
    done += n;
    if (process.stderr.isTTY)
      process.stderr.write(`step ${warm + done}/${steps}  loss ${fmt((await s.evaluate())[0]!)}\n`);
  }
  return (k * rest * 1000) / (performance.now() - t0);
}

/** Trains on the fused kernel over `threads` worker threads (members or pixels split over them). */
export async function trainFused(
  models: Model[],
  data: KernelRegression,
  lr: number,
  steps: number,
  threads: number,
  mode: SplitMode = 'auto',
): Promise<TrainRun> {
  const { nodeKernelPool } = await import('./kernel-pool');
  const pool = await nodeKernelPool(models, data, { lr }, threads, mode);
  try {
    const initialLoss = await pool.evaluate();
    const rate = await timedSteps(
      { step: async (n) => void (await pool.step(n)), evaluate: () => pool.evaluate() },
      steps,
      models.length,
    );
    const px = pool.pixelSplit;
    const where = `${pool.workers} thread${pool.workers > 1 ? 's' : ''}`;
    return {
      initialLoss,
      finalLoss: await pool.evaluate(),
      models: await pool.models(),
      modelStepsPerSecond: rate,
      kernel: `fused wasm ${pool.flavour} × ${where}${px ? `, pixels split in ${px.chunks} chunks` : ''}`,
      threads: pool.workers,
      split: px ? { by: 'pixels', chunks: px.chunks } : { by: 'members', why: pool.memberSplitReason ?? '' },
    };
  } finally {
    pool.dispose();
  }
}

/** Trains on tfjs (backend already started). */
export async function trainTfjs(
  models: Model[],
  data: KernelRegression,
  lr: number,
  steps: number,
  backend: string,
): Promise<TrainRun> {
  const { PopulationTrainer } = await import('../engine/tf/trainer');
  const trainer = new PopulationTrainer(models, data, {
    lr,
    layout: backend === 'wasm' ? 'split' : 'batched',
  });
  try {
    const initialLoss = await trainer.evaluate();
    const rate = await timedSteps(
      {
        step: async (n) => {
          for (let i = 0; i < n; i++) trainer.step();
          await trainer.evaluate(); // the sync: tfjs steps are asynchronous until read
        },
        evaluate: () => trainer.evaluate(),
      },
      steps,
      models.length,
    );
    return {
      initialLoss,
      finalLoss: await trainer.evaluate(),
      models: await trainer.models(),
      modelStepsPerSecond: rate,
      kernel: `tfjs ${backend}`,
      threads: 1,
      split: null,
    };
  } finally {
    trainer.dispose();
  }
}
