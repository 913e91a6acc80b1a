import { yieldToEvents } from '../../engine/cancel';
import { coordinateGrid, psnr } from '../../engine/inr';
import { initModel } from '../../engine/model';
import { PopulationTrainer, type RegressionTarget } from '../../engine/tf/trainer';
import type { MatmulLayout } from '../../engine/tf/stack';
import { chooseBackend, TooSlowError, useBackend } from '../backends';
import type { BackendInfo, ModelEntry, TrainJob, TrainProgress, TrainResult } from '../protocol';
import type { ModelRegistry } from '../registry';

/**
 * A training job's controls. Training is the one job whose cancel keeps what it has: Stop ends
 * the run early and the members trained so far join the workspace, with `cancelled: true` in the
 * result (the app says so). A stop during calibration, before any step, rejects like any job.
 */
export interface TrainControl {
  signal: AbortSignal;
  /** Flipped by pause/resume messages. */
  paused: () => boolean;
  post: (p: TrainProgress) => void;
  onBackend: (b: BackendInfo) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The image as a regression target over the INR coordinate grid. */
export function imageTarget(job: TrainJob): RegressionTarget {
  const { width, height, channels, data } = job.target;
  return { x: coordinateGrid(height, width), y: data, n: width * height, inputs: 2, channels };
}

/** Cached calibration per workload, so retraining the same shape does not calibrate again. */
const calibrated = new Map<string, BackendInfo>();

async function pickBackend(
  job: TrainJob,
  target: RegressionTarget,
  control: TrainControl,
): Promise<BackendInfo> {
  const key = JSON.stringify([job.backend, job.arch, job.seeds.length, target.n, job.batchFraction]);
  const cached = calibrated.get(key);
  if (cached) {
    await useBackend(cached.name);
    return cached;
  }
  const inits = job.seeds.map((s) => initModel(job.arch, s));
  const measure = async (layout: MatmulLayout, budgetMs: number): Promise<number> => {
    const trainer = new PopulationTrainer(inits, target, {
      lr: job.lr,
      batchFraction: job.batchFraction,
      layout,
    });
    try {
      const t0 = performance.now();
      trainer.step();
      await trainer.evaluate();
      const warm = performance.now() - t0;
      if (warm > budgetMs) throw new TooSlowError(`warm-up step took ${Math.round(warm)} ms`);
      const reps = Math.max(2, Math.min(8, Math.floor(budgetMs / Math.max(warm, 1) / 2)));
      const t1 = performance.now();
      for (let i = 0; i < reps; i++) trainer.step();
      await trainer.evaluate();
      return (performance.now() - t1) / reps;
    } finally {
      trainer.dispose();
    }
  };
  const info = await chooseBackend(
    job.backend,
    measure,
    () =>
      control.post({
        step: 0,
        steps: job.steps,
        mse: new Float32Array(job.seeds.length),
        stepsPerSec: 0,
        elapsedMs: 0,
        phase: 'calibrating',
      }),
    control.signal,
    job.calibration,
  );
  calibrated.set(key, info);
  return info;
}

/**
 * Trains a population, streaming progress. Each member's reconstruction is sent at most every
 * 400 ms so the page stays responsive for large populations.
 */
export async function runTraining(
  job: TrainJob,
  registry: ModelRegistry,
  control: TrainControl,
): Promise<TrainResult> {
  const { signal, post } = control;
  const target = imageTarget(job);
  const backend = await pickBackend(job, target, control);
  control.onBackend(backend);
  const trainer = new PopulationTrainer(
    job.seeds.map((s) => initModel(job.arch, s)),
    target,
    { lr: job.lr, batchFraction: job.batchFraction, noiseSeed: job.noiseSeed, layout: backend.layout },
  );
  try {
    const t0 = performance.now();
    let pausedMs = 0;
    let lastPreview = -Infinity;
    let mse = await trainer.evaluate();
    post({
      step: 0,
      steps: job.steps,
      mse,
      stepsPerSec: 0,
      elapsedMs: 0,
      phase: 'training',
      predictions: await trainer.predictions(),
    });
    let step = 0;
    while (step < job.steps && !signal.aborted) {
      if (control.paused()) {
        const p0 = performance.now();
        while (control.paused() && !signal.aborted) await sleep(50);
        pausedMs += performance.now() - p0;
        continue;
      }
      trainer.step();
      step += 1;
      if (step % job.evalEvery === 0 || step === job.steps) {
        mse = await trainer.evaluate();
        const now = performance.now();
        const elapsedMs = now - t0 - pausedMs;
        const progress: TrainProgress = {
          step,
          steps: job.steps,
          mse,
          stepsPerSec: (step * 1000) / elapsedMs,
          elapsedMs,
          phase: 'training',
        };
        if (now - lastPreview > 400 || step === job.steps) {
          progress.predictions = await trainer.predictions();
          lastPreview = now;
        }
        post(progress);
      }
      await yieldToEvents();
    }
    mse = await trainer.evaluate();
    const models = await trainer.models();
    const entries: ModelEntry[] = models.map((model, k) =>
      registry.add(model, {
        name: `${job.group} #${k + 1}`,
        source: 'trained',
        seed: job.seeds[k]!,
        group: job.group,
        targetId: job.targetId,
        psnr: psnr(mse[k]!),
      }),
    );
    return { steps: step, mse, models: entries, cancelled: signal.aborted, backend };
  } finally {
    trainer.dispose();
  }
}
