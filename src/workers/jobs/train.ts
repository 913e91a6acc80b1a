import { yieldToEvents } from '../../engine/cancel';
import { imageRegressionData, psnr } from '../../engine/inr';
import { initModel } from '../../engine/model';
import { PopulationTrainer, type RegressionTarget } from '../../engine/tf/trainer';
import type { MatmulLayout } from '../../engine/tf/stack';
import { chooseBackend, TooSlowError, useBackend } from '../backends';
import { browserKernelPool, fusedCoverage } from '../kernel-pool';
import type { BackendInfo, ModelEntry, TrainJob, TrainProgress, TrainResult } from '../protocol';
import type { ModelRegistry } from '../registry';
import { compareWgsl, startWgsl } from '../wgsl-path';
import { poolRunner, tfjsRunner, timeRunner, type PopulationRunner } from './train-runners';

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

/** Cached calibration per workload, so retraining the same shape does not calibrate again. */
const calibrated = new Map<string, BackendInfo>();

async function pickBackend(
  job: TrainJob,
  target: RegressionTarget,
  control: TrainControl,
): Promise<BackendInfo> {
  const key = JSON.stringify([
    job.backend,
    job.arch,
    job.seeds.length,
    target.n,
    job.batchFraction,
    job.kernel,
  ]);
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
  const withKernel = await compareFused(job, target, info, control.signal);
  calibrated.set(key, withKernel);
  return withKernel;
}

/**
 * Measures the fused kernel on the same workload and takes it when it beats the fastest tfjs
 * backend of the calibration (tfjs stays for everything else, and as the fallback). A hardware
 * GPU keeps tfjs-webgpu: the kernel's WGSL twin is not built yet.
 */
async function compareFused(
  job: TrainJob,
  target: RegressionTarget,
  info: BackendInfo,
  signal: AbortSignal,
): Promise<BackendInfo> {
  if (job.kernel === 'webgpu') return compareWgsl(job, target, info, signal);
  const why = fusedCoverage(job);
  if (why) return { ...info, kernelReason: why };
  // A hardware GPU: tfjs-webgpu against the fused WebGPU kernel (wgsl-path.ts).
  if (!info.calibration) return compareWgsl(job, target, info, signal);
  const tfjsRows = info.calibration.filter((r) => r.msPerStep !== undefined);
  const best = tfjsRows.reduce((a, r) => (r.msPerStep! < a.msPerStep! ? r : a), tfjsRows[0]!);
  let runner: PopulationRunner | null = null;
  try {
    signal.throwIfAborted();
    const pool = await browserKernelPool(
      job.seeds.map((s) => initModel(job.arch, s)),
      { kind: 'regression', ...target },
      job.lr,
    );
    runner = poolRunner(pool);
    const ms = await timeRunner(runner, Math.max(300, 2 * (best?.msPerStep ?? 3000)));
    const calibration = [
      ...info.calibration,
      { backend: 'fused' as const, layout: 'batched' as const, msPerStep: ms },
    ];
    const kernel = { flavour: pool.flavour, workers: pool.workers };
    if (best && ms >= best.msPerStep!)
      return {
        ...info,
        calibration,
        kernelReason: `fused kernel ${ms.toFixed(1)} ms/step, slower than ${best.backend} (${best.msPerStep!.toFixed(1)})`,
      };
    return {
      ...info,
      calibration,
      kernel,
      reason: `fused wasm kernel (${kernel.flavour} SIMD × ${kernel.workers} worker${kernel.workers > 1 ? 's' : ''}): ${ms.toFixed(1)} ms/step against ${best ? `${best.backend} ${best.msPerStep!.toFixed(1)}` : 'no tfjs backend'}; ${info.reason}`,
    };
  } catch (e) {
    if (signal.aborted) throw e;
    return { ...info, kernelReason: `fused kernel failed: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    runner?.dispose();
  }
}

/** The engine the chosen path trains on, from the members' initial weights. */
async function startRunner(
  job: TrainJob,
  target: RegressionTarget,
  backend: BackendInfo,
  onBackend: (b: BackendInfo) => void = () => undefined,
): Promise<PopulationRunner> {
  if (backend.kernel?.path === 'webgpu') {
    const wgsl = await startWgsl(job, target, backend, onBackend);
    if (wgsl) return wgsl;
  }
  const inits = job.seeds.map((s) => initModel(job.arch, s));
  if (backend.kernel) {
    try {
      return poolRunner(await browserKernelPool(inits, { kind: 'regression', ...target }, job.lr));
    } catch {
      // The kernel worked in calibration; if its workers cannot start now, tfjs trains instead.
      backend.kernel = undefined;
      backend.kernelReason = 'fused kernel workers failed to start';
    }
  }
  return tfjsRunner(
    new PopulationTrainer(inits, target, {
      lr: job.lr,
      batchFraction: job.batchFraction,
      noiseSeed: job.noiseSeed,
      layout: backend.layout,
    }),
  );
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
  const target = imageRegressionData(job.target);
  const backend = { ...(await pickBackend(job, target, control)) };
  const trainer = await startRunner(job, target, backend, control.onBackend);
  control.onBackend(backend);
  try {
    const t0 = performance.now();
    let pausedMs = 0;
    let lastPreview = -Infinity;
    let lastPost = -Infinity;
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
      await trainer.step();
      step += 1;
      // At most ~8 progress messages a second: the fused kernel takes 100+ steps a second, and
      // every message redraws the page's charts (the e2e test counts the page's long tasks).
      const due = step % job.evalEvery === 0 && performance.now() - lastPost >= 120;
      if (due || step === job.steps) {
        mse = await trainer.evaluate();
        const now = performance.now();
        lastPost = now;
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
