/** Actions of the Train panel: start, pause, resume, stop. They dispatch to the worker. */
import { psnr } from '../../../engine/inr';
import { batchFraction, inrArch, memberSeeds } from '../../../engine/population';
import { experimentTrainingHash, type ExperimentSpec } from '../../../engine/experiment/schema';
import { isAbort } from '../../../engine/cancel';
import type { ModelEntry, TrainJob, TrainResult } from '../../../workers/protocol';
import {
  startOnOverride,
  storeCalibration,
  storedCalibration,
  workloadKey,
} from '../../data/calibration-cache';
import { ask, engine } from '../../engine-client';
import { loadTarget } from '../../data/targets';
import { addModels, appStore, idleRun, patchRun, showBanner } from '../../store';

/** Starts training the experiment now in the store, replacing any running job. */
let generation = 0;

export async function startTraining(): Promise<void> {
  const { spec, run } = appStore.getState();
  if (run.jobId !== null) cancelTraining();
  const mine = ++generation;
  patchRun({ ...idleRun(), status: 'loading', message: 'loading the target image…' });
  let target: Awaited<ReturnType<typeof loadTarget>>;
  try {
    target = await loadTarget(spec);
  } catch (e) {
    if (mine === generation)
      patchRun({ status: 'error', message: e instanceof Error ? e.message : String(e) });
    return;
  }
  // A newer start superseded this one while the image loaded.
  if (mine !== generation) return;
  const arch = inrArch(spec.arch, target.image.channels);
  const seeds = memberSeeds(spec.population);
  const K = seeds.length;
  const group = `${spec.arch.activation === 'sine' ? 'SIREN' : spec.arch.activation.toUpperCase()} ${spec.arch.hidden.join('-')} ${target.label} seed ${spec.population.seed}${spec.population.initMode === 'shared' ? ' shared' : ''}`;
  const job: TrainJob = {
    arch,
    seeds,
    target: target.image,
    targetId: target.id,
    targetLabel: target.label,
    steps: spec.training.steps,
    lr: spec.training.lr,
    evalEvery: spec.training.evalEvery,
    batchFraction: batchFraction(spec.population),
    noiseSeed: spec.population.seed,
    backend: spec.backend,
    group,
  };
  // The same workload shape calibrated before (this page or an earlier one): no need to measure.
  const shape = workloadKey(job);
  const known = spec.backend === 'auto' ? storedCalibration(shape) : undefined;
  if (known) job.calibration = known;
  job.startOn = startOnOverride();
  const { id, result } = engine().call('train', job, {
    onBackend: (b) => {
      storeCalibration(shape, b);
      if (appStore.getState().run.jobId === id) appStore.setState({ backend: b });
    },
    onProgress: (p) => {
      if (appStore.getState().run.jobId !== id) return;
      if (p.phase === 'calibrating') {
        patchRun({ status: 'calibrating', message: 'measuring which backend runs this workload fastest…' });
        return;
      }
      const s = appStore.getState().run;
      patchRun({
        status: s.status === 'paused' ? 'paused' : 'training',
        step: p.step,
        stepsPerSec: p.stepsPerSec,
        evalSteps: [...s.evalSteps, p.step],
        psnr: [...s.psnr, Array.from(p.mse, (m) => psnr(m))],
        ...(p.predictions ? { predictions: p.predictions } : {}),
        message: '',
      });
    },
  });
  patchRun({
    jobId: id,
    steps: spec.training.steps,
    target: target.image,
    targetLabel: target.label,
    status: 'calibrating',
    message: 'starting the engine…',
  });
  let trained: TrainResult;
  try {
    trained = await result;
  } catch (e) {
    if (appStore.getState().run.jobId !== id) return;
    // Stopped while calibrating, before any step: nothing was trained.
    if (isAbort(e)) patchRun({ status: 'cancelled', jobId: null, message: 'stopped before training began' });
    else patchRun({ status: 'error', jobId: null, message: e instanceof Error ? e.message : String(e) });
    return;
  }
  const joined = memberEntries(trained, spec);
  if (joined.length < trained.models.length)
    for (const m of trained.models) void ask('remove', { modelId: m.id }).catch(() => undefined);
  addModels(joined);
  if (appStore.getState().run.jobId === id) {
    patchRun({
      status: trained.cancelled ? 'cancelled' : 'done',
      jobId: null,
      step: trained.steps,
      message:
        joined.length === 0
          ? 'stopped before the first step: nothing joined the workspace'
          : trained.cancelled
            ? `stopped at step ${trained.steps} of ${spec.training.steps}: ${K} partly trained models joined the workspace, marked as such`
            : `${K} models joined the workspace`,
    });
  }
}

/**
 * The members as workspace entries. A finished run's members are `member:<hash>/<i>`, what a link
 * re-trains; a stopped run's are marked "stopped at step n" and carry no identity (no link can
 * name them: re-training would not stop at the same step). Stopped before any step: none.
 */
function memberEntries(trained: TrainResult, spec: ExperimentSpec): ModelEntry[] {
  if (!trained.cancelled) {
    const hash = experimentTrainingHash(spec);
    return trained.models.map((m, k) => ({ ...m, ref: `member:${hash}/${k}` }));
  }
  if (trained.steps === 0) return [];
  const mark = `stopped at step ${trained.steps} of ${spec.training.steps}`;
  return trained.models.map((m) => ({
    ...m,
    name: `${m.name} (${mark})`,
    note: `${mark}: not the experiment's trained member`,
  }));
}

export function pauseTraining(): void {
  const { jobId } = appStore.getState().run;
  if (jobId === null) return;
  void engine()
    .call('pause', { job: jobId })
    .result.catch(() => undefined);
  patchRun({ status: 'paused' });
}

export function resumeTraining(): void {
  const { jobId } = appStore.getState().run;
  if (jobId === null) return;
  void engine()
    .call('resume', { job: jobId })
    .result.catch(() => undefined);
  patchRun({ status: 'training' });
}

/** Stops the job; the members trained so far still join the workspace. */
export function cancelTraining(): void {
  const { jobId } = appStore.getState().run;
  if (jobId === null) return;
  engine().cancel(jobId);
}

engine().onRestart = (reason) => {
  showBanner('error', `${reason}. It was restarted; models held by the old worker are gone.`);
  appStore.setState({ models: [] });
};
