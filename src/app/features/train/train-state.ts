/**
 * The Train tab's actions: start, pause, resume, stop. A run is a `runJob` on the app store's
 * `run` slice (docs/ARCHITECTURE.md, "Jobs and cancellation"): a newer start supersedes it, and
 * Stop before the first step cancels it (nothing was trained). After that, Stop asks the worker
 * to end the run early: the members trained so far join the workspace, marked as such.
 */
import { psnr } from '../../../engine/inr';
import { ACTIVATION_LABELS } from '../../../engine/model';
import { batchFraction, inrArch, memberSeeds } from '../../../engine/population';
import { experimentTrainingHash, type ExperimentSpec } from '../../../engine/experiment/schema';
import { describeSchedule, type EngineSchedule } from '../../../engine/experiment/engine-schedule';
import type {
  BackendInfo,
  ModelEntry,
  TrainJob,
  TrainProgress,
  TrainResult,
} from '../../../workers/protocol';
import {
  startOnOverride,
  storeCalibration,
  storedCalibration,
  workloadKey,
} from '../../data/calibration-cache';
import { ask } from '../../engine-client';
import { cancelJob, pauseJob, runJob, stopJob } from '../../jobs';
import { loadTarget } from '../../data/targets';
import { addModels, appStore, idleRun, patchRun, showBanner } from '../../store';

/** The app store's slice the Train tab's job lives in. */
const RUN = 'run';

/** Starts training the experiment now in the store, replacing any running job. */
export function startTraining(): Promise<void> {
  const { spec } = appStore.getState();
  patchRun({ ...idleRun(), status: 'loading', message: 'loading the target image…' });
  return runJob(
    appStore,
    // The run's status line shows a failure, not the banner.
    (message) => void patchRun({ status: 'error', message }),
    async (run) => {
      const target = await run.step(loadTarget(spec));
      const arch = inrArch(spec.arch, target.image.channels);
      const seeds = memberSeeds(spec.population);
      const group = `${ACTIVATION_LABELS[spec.arch.activation]} ${spec.arch.hidden.join('-')} ${target.label} seed ${spec.population.seed}${spec.population.initMode === 'shared' ? ' shared' : ''}`;
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
      const shape = workloadKey(job);
      const schedule = linkSchedule(spec);
      if (schedule) {
        // A link's members: the sender's engine paths, switched at the sender's steps.
        job.schedule = schedule;
      } else {
        // The same workload shape calibrated before (this page or an earlier one): no need to measure.
        const known = spec.backend === 'auto' ? storedCalibration(shape) : undefined;
        if (known) job.calibration = known;
        job.startOn = startOnOverride();
      }
      let warned = false;
      patchRun({
        steps: spec.training.steps,
        target: target.image,
        targetLabel: target.label,
        status: 'calibrating',
        message: 'starting the engine…',
      });
      const trained = await run.call('train', job, {
        // May come more than once: the backend can change during a run.
        onBackend: (b) => {
          storeCalibration(shape, b);
          appStore.setState({ backend: b });
          if (b.replay?.differs && !warned) {
            warned = true;
            showBanner('error', replayWarning(b.replay));
          }
        },
        onProgress: showProgress,
        discard: (r) => removeModels(r.models),
      });
      const joined = memberEntries(trained, spec);
      if (joined.length < trained.models.length) removeModels(trained.models);
      addModels(joined);
      patchRun({
        status: trained.stopped ? 'cancelled' : 'done',
        step: trained.steps,
        message:
          joined.length === 0
            ? NOTHING_JOINED
            : trained.stopped
              ? `stopped at step ${trained.steps} of ${spec.training.steps}: ${joined.length} partly trained models joined the workspace, marked as such`
              : `${joined.length} model${joined.length === 1 ? '' : 's'} joined the workspace`,
      });
    },
    RUN,
  );
}

const NOTHING_JOINED = 'stopped before the first step: nothing joined the workspace';

function showProgress(p: TrainProgress): void {
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
}

/** Models of a run that trained nothing, or that the person replaced, leave the worker again. */
function removeModels(models: ModelEntry[]): void {
  for (const m of models) void ask('remove', { modelId: m.id }).catch(() => undefined);
}

/**
 * The engine schedule a link carries for this spec's own population (its training hash), or
 * undefined: no link, another population (the person changed the settings since), or none recorded.
 */
export function linkSchedule(spec: ExperimentSpec): EngineSchedule | undefined {
  const { population, schedule } = spec.trainedOn;
  return population === experimentTrainingHash(spec) && schedule.length > 0 ? schedule : undefined;
}

/** The banner of a replay that could not run the sender's engine paths. */
export function replayWarning(r: NonNullable<BackendInfo['replay']>): string {
  return `This link's members were trained on ${describeSchedule(r.sender)}; this browser cannot run that, so it trained them on ${describeSchedule(r.here)} (${r.differs}). Trained members, and every number derived from them (PSNR, barriers, alignments, maps), may differ from the sender's by about 1e-4 relative.`;
}

/**
 * The members as workspace entries. A finished run's members are `member:<hash>/<i>`, what a link
 * re-trains, with the engine paths that trained them (`trainedOn`, what a link carries); a
 * stopped run's are marked "stopped at step n" and carry no identity (no link can name them:
 * re-training would not stop at the same step). Stopped before any step: none.
 */
export function memberEntries(trained: TrainResult, spec: ExperimentSpec): ModelEntry[] {
  if (!trained.stopped) {
    const hash = experimentTrainingHash(spec);
    const differs = trained.backend.replay?.differs;
    return trained.models.map((m, k) => ({
      ...m,
      ref: `member:${hash}/${k}`,
      trainedOn: trained.schedule,
      ...(differs
        ? { note: `not on the link sender's engine paths (${differs}): may differ ~1e-4 relative` }
        : {}),
    }));
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
  if (pauseJob(appStore, true, RUN)) patchRun({ status: 'paused' });
}

export function resumeTraining(): void {
  if (pauseJob(appStore, false, RUN)) patchRun({ status: 'training' });
}

/**
 * The Stop button. Before the first step there is nothing to keep: the job is cancelled at once
 * (also while the backend calibrates). After it, the worker ends the run after the step it is on
 * and the members trained so far join the workspace.
 */
export function stopTraining(): void {
  const { run } = appStore.getState();
  if (!run.busy) return;
  if (run.step > 0 && stopJob(appStore, RUN)) {
    patchRun({ message: 'stopping after this step…' });
    return;
  }
  cancelJob(appStore, RUN);
  patchRun({ status: 'cancelled', message: NOTHING_JOINED });
}
