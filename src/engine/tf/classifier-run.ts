/**
 * A whole training run of a classifier population: epochs of minibatch steps, a held-out score
 * after every epoch (the live curves), progress, pause and cancellation. The same function serves
 * the worker, the CLI and the presets; fine-tuning is a run that starts from given weights. It
 * trains on the fused kernel wherever that covers the run, else on tfjs (classifier-path.ts).
 */
import { yieldToEvents } from '../cancel';
import { memberRateAt } from '../classifier/kernel-trainer';
import type { Model } from '../model';
import type { ClassificationData } from '../data/eval-data';
import type { ClassifierTrainerOptions, MemberScores } from './classifier';
import { startClassifierPath, type KernelHooks } from './classifier-path';

/** One point of the live curves: every member after one epoch. */
export interface EpochRecord {
  /** 1-based; fractional for the last, partial epoch of a stopped run (e.g. 2.5). */
  epoch: number;
  /** Mean minibatch cross-entropy over the epoch, per member. */
  trainLoss: number[];
  heldOutLoss: number[];
  heldOutAccuracy: number[];
  /** The run's learning rate at the end of the epoch: its `lr` under the schedule. */
  lr: number;
  /**
   * Each member's rate at the end of the epoch, present only where members train at their own
   * base rates (`memberLrs`: a model soup's ingredients); `lr` is then just the run's nominal one.
   */
  memberLrs?: number[];
  /** Seconds since the run started. */
  seconds: number;
}

export interface RunHooks {
  /** Checked between steps; an abort rejects with the signal's reason and keeps nothing. */
  signal?: AbortSignal;
  /** (steps done, total steps), at most every ~100 ms. */
  onProgress?: (done: number, total: number) => void;
  onEpoch?: (record: EpochRecord) => void;
  /** Awaited between steps: resolves when the run may go on (a paused job holds it). */
  gate?: () => Promise<void>;
  /**
   * Checked between steps: true ends the run early and KEEPS what was trained (the result's
   * `stopped` is true), unlike an abort, which keeps nothing.
   */
  stop?: () => boolean;
  /** Fused kernel or tfjs, and the kernel's shards (default: auto, one shard in this thread). */
  kernel?: KernelHooks;
  /** Told before the first step which path trains (RunResult.kernel), and again if it fails over. */
  onPath?: (path: string) => void;
}

export interface RunResult {
  models: Model[];
  history: EpochRecord[];
  /** Final scores; `train` only when asked for (a forward pass over the whole training part). */
  train: MemberScores | null;
  heldOut: MemberScores;
  /** Ended early by `stop`; `history` then holds the epochs finished, plus the partial one. */
  stopped: boolean;
  seconds: number;
  /** Which path trained, e.g. "fused wasm relaxed × 1 worker" or "tfjs wasm (fused kernel: …)". */
  kernel: string;
}

/**
 * Trains `models` (K of one architecture) on `train`, scoring on `heldOut` after each epoch.
 * The inputs are not changed; the trained models are returned with the history.
 */
export async function trainClassifierRun(
  models: readonly Model[],
  train: ClassificationData,
  heldOut: ClassificationData,
  opts: ClassifierTrainerOptions & { scoreTrain?: boolean },
  hooks: RunHooks = {},
): Promise<RunResult> {
  const t0 = performance.now();
  // A failover mid-run (a lost GPU device) names its new path as the first path was named.
  const kernel = { ...hooks.kernel, onFallback: hooks.kernel?.onFallback ?? hooks.onPath };
  const trainer = await startClassifierPath(models, train, heldOut, opts, kernel);
  hooks.onPath?.(trainer.path);
  const history: EpochRecord[] = [];
  let lastYield = performance.now();
  let lastProgress = 0;
  let stopped = false;
  try {
    for (let epoch = 1; epoch <= opts.epochs && !stopped; epoch++) {
      for (let s = 0; s < trainer.stepsPerEpoch; s++) {
        hooks.signal?.throwIfAborted();
        if (hooks.gate) await hooks.gate();
        if (hooks.stop?.()) {
          stopped = true;
          break;
        }
        await trainer.step();
        const now = performance.now();
        if (now - lastYield > 50) {
          // Reading nothing back keeps the queue full; a turn of the event loop lets messages in.
          await yieldToEvents(hooks.signal);
          lastYield = performance.now();
        }
        if (hooks.onProgress && now - lastProgress > 100) {
          hooks.onProgress(trainer.steps, trainer.totalSteps);
          lastProgress = now;
        }
      }
      // A stop before this epoch's first step leaves nothing new to report.
      if (stopped && trainer.steps === (epoch - 1) * trainer.stepsPerEpoch) break;
      const trainLoss = await trainer.epochTrainLoss();
      const scores = await trainer.score('heldOut');
      const record: EpochRecord = {
        epoch: trainer.steps / trainer.stepsPerEpoch,
        trainLoss: Array.from(trainLoss),
        heldOutLoss: Array.from(scores.loss),
        heldOutAccuracy: Array.from(scores.accuracy),
        lr: trainer.lr,
        ...(opts.memberLrs
          ? {
              memberLrs: opts.memberLrs.map((_, k) =>
                memberRateAt(opts, k, trainer.steps, trainer.totalSteps),
              ),
            }
          : {}),
        seconds: (performance.now() - t0) / 1000,
      };
      history.push(record);
      hooks.onEpoch?.(record);
      hooks.onProgress?.(trainer.steps, trainer.totalSteps);
    }
    const last = history.at(-1);
    const heldOutScores = last
      ? { loss: Float32Array.from(last.heldOutLoss), accuracy: Float32Array.from(last.heldOutAccuracy) }
      : await trainer.score('heldOut');
    const trainScores = opts.scoreTrain ? await trainer.score('train') : null;
    return {
      models: await trainer.models(),
      history,
      train: trainScores,
      heldOut: heldOutScores,
      stopped,
      seconds: (performance.now() - t0) / 1000,
      kernel: trainer.path,
    };
  } finally {
    trainer.dispose();
  }
}
