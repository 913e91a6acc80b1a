/**
 * The two engines a training job can drive, behind one interface: the tfjs PopulationTrainer (the
 * reference) and the fused kernel's pool of workers. Every method finishes a whole step of every
 * member before it resolves, so a job stopped between calls leaves the population consistent.
 */
import type { KernelPool } from '../../engine/kernels/pool';
import type { Model } from '../../engine/model';
import type { PopulationSnapshot } from '../../engine/population-snapshot';
import type { PopulationTrainer } from '../../engine/tf/trainer';

export interface PopulationRunner {
  step(): Promise<void>;
  evaluate(): Promise<Float32Array>;
  predictions(): Promise<Float32Array>;
  models(): Promise<Model[]>;
  /** Weights, Adam moments and steps, for another runner to continue from (a mid-run switch). */
  snapshot(): Promise<PopulationSnapshot>;
  /** Loads a snapshot's Adam state; the runner was built from the snapshot's models. */
  resume(s: PopulationSnapshot): Promise<void>;
  dispose(): void;
}

export function tfjsRunner(trainer: PopulationTrainer): PopulationRunner {
  return {
    step: async () => trainer.step(),
    evaluate: () => trainer.evaluate(),
    predictions: () => trainer.predictions(),
    models: () => trainer.models(),
    snapshot: () => trainer.snapshot(),
    resume: async (s) => trainer.resume(s),
    dispose: () => trainer.dispose(),
  };
}

export function poolRunner(pool: KernelPool): PopulationRunner {
  return {
    step: async () => void (await pool.step(1)),
    evaluate: () => pool.evaluate(),
    predictions: () => pool.predictions(),
    models: () => pool.models(),
    snapshot: () => pool.snapshot(),
    resume: (s) => pool.resume(s),
    dispose: () => pool.dispose(),
  };
}

/**
 * Milliseconds per step of `runner` (whose members are thrown away afterwards): one warm-up
 * step, then as many as fit half the budget (2…8).
 */
export async function timeRunner(runner: PopulationRunner, budgetMs: number): Promise<number> {
  const t0 = performance.now();
  await runner.step();
  await runner.evaluate();
  const warm = performance.now() - t0;
  const reps = Math.max(2, Math.min(8, Math.floor(budgetMs / Math.max(warm, 1) / 2)));
  const t1 = performance.now();
  for (let i = 0; i < reps; i++) await runner.step();
  await runner.evaluate();
  return (performance.now() - t1) / reps;
}
