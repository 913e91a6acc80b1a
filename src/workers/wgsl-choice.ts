/**
 * Whether a population trains on the WGSL kernel: measured against the other paths on the job's
 * own workload (src/engine/path-choice.ts decides). Apart from wgsl-path.ts so that the runner and
 * its failover load without tfjs's backends (the browser test imports them into a bare page).
 */
import { WGSL_DISPATCHES_PER_STEP } from '../engine/kernels/wgsl/mlp-wgsl';
import { initModel, type Model } from '../engine/model';
import { choosePath } from '../engine/path-choice';
import { PopulationTrainer, type RegressionTarget } from '../engine/tf/trainer';
import { CANDIDATE_TIME_BOX_MS, timeBoxed, TooSlowError } from './backends';
import { browserKernelPool, fusedCoverage } from './kernel-pool';
import { poolRunner, tfjsRunner, timeRunner, type PopulationRunner } from './jobs/train-runners';
import type { BackendInfo, CalibrationRow, TrainJob } from './protocol';
import { message, wgslPathCoverage, wgslRunner } from './wgsl-path';

/** A tfjs runner of the job on its backend, from given weights (timing). */
function tfjsFrom(
  models: Model[],
  target: RegressionTarget,
  job: TrainJob,
  backend: BackendInfo,
): PopulationRunner {
  return tfjsRunner(new PopulationTrainer(models, target, { lr: job.lr, layout: backend.layout }));
}

/**
 * Chooses by measurement among the paths a GPU run can take: the WGSL kernel, the fused wasm
 * kernel over all cores (where it covers the job) and tfjs on the calibration's backend, each
 * timed on the job's workload within CANDIDATE_TIME_BOX_MS, the choice made by `choosePath`
 * (src/engine/path-choice.ts), every figure in the calibration table. Called on a hardware WebGPU
 * adapter (where the tfjs calibration takes tfjs-webgpu without measuring) and for a job that
 * forces the WGSL kernel (`kernel: 'webgpu'`, the tests on a software adapter), which takes it
 * whenever it starts. A software adapter otherwise leaves the CPU to the fused wasm kernel.
 */
export async function compareWgsl(
  job: TrainJob,
  target: RegressionTarget,
  info: BackendInfo,
  signal: AbortSignal,
): Promise<BackendInfo> {
  const forced = job.kernel === 'webgpu';
  const why =
    (!forced && job.backend !== 'auto' ? `backend ${job.backend} chosen by hand` : null) ??
    (job.batchFraction < 1 ? 'members on random pixel subsets are not in the WGSL kernel' : null) ??
    wgslPathCoverage(job.arch);
  if (why) return { ...info, kernelReason: `fused WebGPU: ${why}` };
  const inits = job.seeds.map((s) => initModel(job.arch, s));
  const time = async (
    backend: CalibrationRow['backend'],
    layout: CalibrationRow['layout'],
    make: () => Promise<PopulationRunner>,
    bestMs: number,
  ): Promise<CalibrationRow> => {
    let runner: PopulationRunner | null = null;
    try {
      signal.throwIfAborted();
      runner = await make();
      const timing = timeRunner(runner, Math.max(1000, 2 * bestMs));
      // A forced kernel is timed however long its first steps take (a software adapter's are slow).
      const ms = await (forced ? timing : timeBoxed(timing, CANDIDATE_TIME_BOX_MS, signal));
      return { backend, layout, msPerStep: ms };
    } catch (e) {
      if (signal.aborted) throw e;
      if (e instanceof TooSlowError) return { backend, layout, skipped: `cut short: ${e.message}` };
      return { backend, layout, error: message(e) };
    } finally {
      runner?.dispose();
    }
  };
  const rows: CalibrationRow[] = [];
  const best = (): number => Math.min(Infinity, ...rows.map((r) => r.msPerStep ?? Infinity));
  if (!forced) {
    const cover = fusedCoverage({ ...job, backend: 'auto' });
    rows.push(
      cover
        ? { backend: 'fused', layout: 'batched', skipped: cover }
        : await time(
            'fused',
            'batched',
            async () => poolRunner(await browserKernelPool(inits, { kind: 'regression', ...target }, job)),
            Infinity,
          ),
    );
    rows.push(await time(info.name, info.layout, async () => tfjsFrom(inits, target, job, info), best()));
  }
  rows.push(
    await time(
      'fused-webgpu',
      'batched',
      () => wgslRunner(inits, target, job.lr, () => Promise.reject(new Error('the kernel failed'))),
      best(),
    ),
  );
  const calibration = [...(info.calibration ?? []), ...rows];
  const d = choosePath(rows, { software: Boolean(info.adapter?.fallback) }, forced);
  const chosen = d.chosen?.backend;
  if (chosen === 'fused-webgpu')
    return {
      ...info,
      calibration,
      kernel: { flavour: 'WGSL', workers: 1, path: 'webgpu', dispatchesPerStep: WGSL_DISPATCHES_PER_STEP },
      reason: `fused WebGPU kernel (${WGSL_DISPATCHES_PER_STEP} dispatches a step): ${d.reason}; ${info.reason}`,
    };
  if (chosen === 'fused')
    return {
      ...info,
      calibration,
      // Filled in when its workers start.
      kernel: { flavour: '', workers: 0 },
      reason: `${d.reason}; ${info.reason}`,
    };
  const wgslRow = rows.find((r) => r.backend === 'fused-webgpu')!;
  return {
    ...info,
    calibration,
    kernelReason:
      wgslRow.error !== undefined
        ? `fused WebGPU kernel failed: ${wgslRow.error}`
        : `calibration: ${d.reason}`,
  };
}

/**
 * The GPU path choice stored for this workload shape (the app keeps calibrations across page
 * loads, src/app/data/calibration-cache.ts), when it measured the WGSL kernel on this adapter and
 * the job does not force the kernel; else undefined (measure again).
 */
export function storedGpuChoice(job: TrainJob, now: BackendInfo): BackendInfo | undefined {
  const stored = job.calibration;
  if (job.kernel === 'webgpu' || !stored?.calibration?.some((r) => r.backend === 'fused-webgpu'))
    return undefined;
  if ((stored.adapter?.description ?? null) !== (now.adapter?.description ?? null)) return undefined;
  const reason = stored.reason.endsWith('(reused)') ? stored.reason : `${stored.reason} (reused)`;
  // A failover or switch belonged to the run that measured; this one starts on the winner.
  const kernel =
    stored.kernel && (stored.kernel.path === 'webgpu' ? stored.kernel : { flavour: '', workers: 0 });
  return { ...stored, reason, kernel, switched: undefined, calibrating: false };
}
