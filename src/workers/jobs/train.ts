import { yieldToEvents } from '../../engine/cancel';
import { imageRegressionData, psnr } from '../../engine/inr';
import { initModel, type Model } from '../../engine/model';
import { PopulationTrainer, type RegressionTarget } from '../../engine/tf/trainer';
import {
  calibrationWhy,
  CANDIDATE_TIME_BOX_MS,
  CANDIDATES,
  defaultLayout,
  ensureBackend,
  fastest,
  immediateChoice,
  measureCandidate,
  timeBoxed,
  TooSlowError,
  useBackend,
  type AdapterProbe,
  type Candidate,
  type Measure,
} from '../backends';
import { browserKernelPool, fusedCoverage } from '../kernel-pool';
import type {
  BackendInfo,
  BackendName,
  CalibrationRow,
  ModelEntry,
  TrainJob,
  TrainProgress,
  TrainResult,
} from '../protocol';
import type { ModelRegistry } from '../registry';
import { waitWhilePaused, type PauseSwitch } from './context';
import { startWgsl } from '../wgsl-path';
import { compareWgsl, storedGpuChoice } from '../wgsl-choice';
import { describePath, samePath } from '../../engine/experiment/engine-schedule';
import { poolRunner, tfjsRunner, timeRunner, type PopulationRunner } from './train-runners';
import {
  EngineLog,
  enginePathOf,
  runnerPath,
  ScheduleFollower,
  scheduledStart,
  type RunnerPath,
} from './train-schedule';

/**
 * A training job's controls. Cancel (`signal`) throws like any job's and adds nothing. Stop
 * (`stop`) ends the run after the step it is on: the members trained so far join the workspace,
 * with `stopped: true` in the result (the app marks them). See docs/ARCHITECTURE.md, "Jobs and
 * cancellation".
 */
export interface TrainControl {
  signal: AbortSignal;
  stop: AbortSignal;
  /** Flipped by pause/resume messages. */
  pause: PauseSwitch;
  post: (p: TrainProgress) => void;
  /** The path in use: at the start, again when the background calibration ends or switches path. */
  onBackend: (b: BackendInfo) => void;
}

/** Finished calibrations per workload in this worker, so retraining the same shape does not measure again. */
const calibrated = new Map<string, BackendInfo>();

/** Where a population trains: the fused kernel, or tfjs on a backend with a matmul layout. */
type Path = RunnerPath;

const pathLabel = (p: Path): string =>
  p.fused ? 'the fused wasm kernel' : `tfjs ${p.name}${p.layout === 'split' ? ' (per-model matmuls)' : ''}`;

// A replay (`replay` set) keeps the kernel build its schedule named.
const pathOf = (info: BackendInfo): Path =>
  info.kernel
    ? { fused: true, ...(info.replay ? { flavour: info.kernel.flavour as 'relaxed' | 'simd' } : {}) }
    : { fused: false, name: info.name, layout: info.layout };

/** A path beats the one running only when clearly faster: a switch costs a snapshot and a restart. */
const SWITCH_MARGIN = 0.8;

/** Time between background calibration slices, so the chart keeps moving while they run. */
const SLICE_GAP_MS = 250;

/** The engine of a path, from `models` (the initial weights, or a snapshot's). */
async function openRunner(
  job: TrainJob,
  target: RegressionTarget,
  path: Path,
  models: readonly Model[],
): Promise<{ runner: PopulationRunner; kernel?: BackendInfo['kernel'] }> {
  if (path.fused) {
    const pool = await browserKernelPool(models, { kind: 'regression', ...target }, job, path.flavour);
    return { runner: poolRunner(pool), kernel: { flavour: pool.flavour, workers: pool.workers } };
  }
  await useBackend(path.name);
  const trainer = new PopulationTrainer(models, target, {
    lr: job.lr,
    batchFraction: job.batchFraction,
    noiseSeed: job.noiseSeed,
    layout: path.layout,
  });
  return { runner: tfjsRunner(trainer) };
}

/**
 * Times a few steps of the real workload on the current tfjs backend with a layout (a throwaway
 * trainer): a warm-up step, then as many as fit half the budget. `abandoned` ends it between
 * steps once the caller has given up on it (time box, Stop).
 */
function tfjsMeasure(job: TrainJob, target: RegressionTarget, abandoned: () => boolean): Measure {
  const inits = job.seeds.map((s) => initModel(job.arch, s));
  return async (layout, budgetMs) => {
    const trainer = new PopulationTrainer(inits, target, {
      lr: job.lr,
      batchFraction: job.batchFraction,
      layout,
    });
    const check = (): void => {
      if (abandoned()) throw new TooSlowError('abandoned');
    };
    try {
      const t0 = performance.now();
      trainer.step();
      await trainer.evaluate();
      check();
      const warm = performance.now() - t0;
      if (warm > budgetMs) throw new TooSlowError(`warm-up step took ${Math.round(warm)} ms`);
      const reps = Math.max(2, Math.min(8, Math.floor(budgetMs / Math.max(warm, 1) / 2)));
      const t1 = performance.now();
      for (let i = 0; i < reps; i++) {
        trainer.step();
        if (i % 2 === 1) {
          await trainer.evaluate();
          check();
        }
      }
      await trainer.evaluate();
      return (performance.now() - t1) / reps;
    } finally {
      trainer.dispose();
    }
  };
}

/**
 * The path to train on at once: one that needs no measuring (by hand, a hardware GPU, a stored or
 * earlier calibration of this shape), else the likely winner, with `probe` set so that the other
 * paths are measured in the background while it trains: the fused kernel where it covers the job
 * (measured here 10–20× faster than tfjs on the CPU), else tfjs-wasm with per-model matmuls.
 */
async function startPath(
  job: TrainJob,
  key: string,
  target: RegressionTarget,
  signal: AbortSignal,
): Promise<{ info: BackendInfo; probe: AdapterProbe | null }> {
  const known = calibrated.get(key) ?? job.calibration;
  const { info, probe } = await immediateChoice(job.backend, known);
  if (info) {
    if (known && info.reason.endsWith('(reused)')) return { info, probe: null };
    // A hardware GPU (or a job that forces it): the WGSL kernel, the fused wasm kernel and
    // tfjs-webgpu measured once per workload (wgsl-choice.ts), or the stored measurement reused.
    if (job.kernel === 'webgpu' || (info.name === 'webgpu' && job.backend === 'auto')) {
      const earlier = calibrated.get(key) ?? storedGpuChoice(job, info);
      if (earlier?.calibration?.some((r) => r.backend === 'fused-webgpu'))
        return { info: earlier, probe: null };
      const chosen = await compareWgsl(job, target, info, signal);
      calibrated.set(key, chosen);
      return { info: chosen, probe: null };
    }
    const why =
      info.name === 'webgpu' && job.backend === 'auto'
        ? 'a hardware GPU runs tfjs-webgpu'
        : fusedCoverage(job);
    return { info: { ...info, kernelReason: why ?? undefined }, probe: null };
  }
  const adapter = probe.available ? { fallback: probe.fallback, description: probe.description } : null;
  const cover = fusedCoverage(job);
  const name = await ensureBackend();
  if (job.kernel === 'webgpu') {
    // Forced on a software adapter (the tests): no background calibration, the WGSL kernel runs.
    const base: BackendInfo = { name, layout: defaultLayout(name), reason: 'the job asked for it', adapter };
    return { info: await compareWgsl(job, target, base, signal), probe: null };
  }
  const later = `the other paths are measured in the background (${calibrationWhy(probe)})`;
  if (!cover && job.startOn !== 'tfjs')
    return {
      info: {
        name,
        layout: defaultLayout(name),
        // `kernel` is filled in when its workers start.
        kernel: { flavour: '', workers: 0 },
        reason: `fused wasm kernel, the likely winner, started at once; ${later}`,
        adapter,
        calibrating: true,
      },
      probe,
    };
  const which = cover ? 'the likely winner on the CPU' : 'as the job asked (startOn)';
  return {
    info: {
      name,
      layout: defaultLayout(name),
      reason: `tfjs ${name}, ${which}, started at once; ${later}`,
      adapter,
      ...(cover ? { kernelReason: cover } : {}),
      calibrating: true,
    },
    probe,
  };
}

/** ms per step of the running path, from its own steps (the median, warm-up steps left out). */
class StepClock {
  private readonly ms: number[] = [];
  add(ms: number): void {
    this.ms.push(ms);
  }
  reset(): void {
    this.ms.length = 0;
  }
  get median(): number | null {
    const xs = this.ms.slice(2).sort((a, b) => a - b);
    return xs.length >= 3 ? xs[xs.length >> 1]! : null;
  }
}

/**
 * The calibration that runs while the population trains: one candidate per slice, between
 * training steps (the worker has one thread, so a slice pauses training for at most a time box),
 * each given the fastest figure so far (the running path's own steps included) so that hopeless
 * candidates are skipped or cut short.
 */
class BackgroundCalibration {
  readonly rows: CalibrationRow[] = [];
  private readonly tasks: ((bestMs: number) => Promise<CalibrationRow | null>)[];

  constructor(
    private readonly job: TrainJob,
    private readonly target: RegressionTarget,
    private readonly probe: AdapterProbe,
    running: Path,
    private readonly signal: AbortSignal,
  ) {
    const tfjs = CANDIDATES.filter(
      (c) => running.fused || c.name !== running.name || c.layout !== running.layout,
    );
    this.tasks = tfjs.map((c) => (best) => this.measureTfjs(c, best));
    // The running path is measured by its own steps; the fused kernel, when it is not the one running.
    if (!running.fused && !fusedCoverage(job)) this.tasks.unshift((best) => this.measureFused(best));
  }

  get done(): boolean {
    return this.tasks.length === 0;
  }

  /** The run ended first: what was not measured says so, and the calibration ends with what it has. */
  giveUp(): void {
    const rest = this.tasks.length;
    this.tasks.length = 0;
    if (rest > 0) this.unmeasured = rest;
  }

  /** Candidates left unmeasured because the run ended first. */
  unmeasured = 0;

  /** Measures the next candidate, given the running path's ms per step. */
  async slice(liveMs: number): Promise<void> {
    const best = Math.min(liveMs, fastest(this.rows)?.msPerStep ?? Infinity);
    const row = await this.tasks.shift()!(best);
    if (row) this.rows.push(row);
  }

  private async measureTfjs(c: Candidate, best: number): Promise<CalibrationRow> {
    let abandoned = false;
    try {
      const measure = tfjsMeasure(this.job, this.target, () => abandoned);
      return await measureCandidate(c, best, this.probe, measure, this.signal);
    } finally {
      abandoned = true;
    }
  }

  private async measureFused(best: number): Promise<CalibrationRow> {
    const inits = this.job.seeds.map((s) => initModel(this.job.arch, s));
    let runner: PopulationRunner | null = null;
    try {
      const pool = await browserKernelPool(inits, { kind: 'regression', ...this.target }, this.job);
      runner = poolRunner(pool);
      const ms = await timeBoxed(
        timeRunner(runner, Math.max(300, 2 * best)),
        CANDIDATE_TIME_BOX_MS,
        this.signal,
      );
      return { backend: 'fused', layout: 'batched', msPerStep: ms };
    } catch (e) {
      this.signal.throwIfAborted();
      return { backend: 'fused', layout: 'batched', error: e instanceof Error ? e.message : String(e) };
    } finally {
      runner?.dispose();
    }
  }
}

/**
 * Trains a population, streaming progress. Each member's reconstruction is sent at most every
 * 400 ms so the page stays responsive for large populations.
 *
 * Start-up: training starts at once on the likely winner (startPath) and the other paths are
 * measured between its steps; when that calibration ends, the job switches to a clearly faster
 * path if it found one, carrying weights, Adam moments and the step count over (a
 * PopulationSnapshot), so the run continues from the same step as if one engine had trained it.
 */
export async function runTraining(
  job: TrainJob,
  registry: ModelRegistry,
  control: TrainControl,
): Promise<TrainResult> {
  const { signal, post } = control;
  const target = imageRegressionData(job.target);
  const key = JSON.stringify([
    job.backend,
    job.arch,
    job.seeds.length,
    target.n,
    job.batchFraction,
    job.kernel,
  ]);
  // A link's schedule: the sender's paths, switched at the sender's steps (train-schedule.ts).
  const follow = job.schedule?.length ? new ScheduleFollower(job.schedule, job) : null;
  const start = follow ? await scheduledStart(follow) : await startPath(job, key, target, signal);
  let backend: BackendInfo = { ...start.info };
  let path = pathOf(backend);
  const inits = job.seeds.map((s) => initModel(job.arch, s));
  const openPath = async (): Promise<Awaited<ReturnType<typeof openRunner>>> => {
    try {
      return await openRunner(job, target, path, inits);
    } catch (e) {
      if (!path.fused) throw e;
      // The kernel's workers cannot start here: tfjs trains instead.
      path = { fused: false, name: backend.name, layout: backend.layout };
      backend = { ...backend, kernel: undefined, kernelReason: `fused kernel failed to start: ${String(e)}` };
      return openRunner(job, target, path, inits);
    }
  };
  // The WGSL kernel first when the choice fell on it (it is never switched away from: it runs
  // with no background calibration); when it does not start, startWgsl clears `kernel` with the
  // reason and the path below is tfjs.
  let step = 0;
  const log = new EngineLog();
  const onWgslFailover = (b: BackendInfo, fromStep: number): void => {
    // The fused wasm kernel (or tfjs) took over from the kernel's last checkpoint, Adam state
    // included, and trains from that checkpoint's step (the steps since are replayed).
    const at = enginePathOf(
      b.kernel ? { fused: true } : { fused: false, name: b.name, layout: b.layout },
      b.kernel,
    );
    log.record(at, fromStep);
    follow?.ran(at, fromStep, b.kernelReason);
    control.onBackend({ ...b, ...(follow ? { replay: follow.info(log.steps) } : {}) });
  };
  const wgsl =
    backend.kernel?.path === 'webgpu' ? await startWgsl(job, target, backend, onWgslFailover) : null;
  path = pathOf(backend);
  const opened = wgsl ? { runner: wgsl, kernel: backend.kernel } : await openPath();
  let runner = opened.runner;
  if (opened.kernel) backend.kernel = opened.kernel;
  log.record(enginePathOf(path, backend.kernel), 0);
  if (follow) {
    follow.ran(log.steps[0]!, 0, backend.kernelReason);
    backend.replay = follow.info(log.steps);
  }
  control.onBackend({ ...backend });
  // A background measurement ends on Stop as on cancel: it only ever delays the run's end.
  const ended = AbortSignal.any([signal, control.stop]);
  const background = start.probe ? new BackgroundCalibration(job, target, start.probe, path, ended) : null;
  const clock = new StepClock();

  /** Moves the population to `to` at step `at` (snapshot → new engine → resume). */
  const switchTo = async (to: Path, at: number): Promise<BackendInfo['kernel'] | undefined> => {
    const snap = await runner.snapshot();
    const next = await openRunner(job, target, to, snap.models);
    try {
      await next.runner.resume(snap);
    } catch (e) {
      next.runner.dispose();
      throw e;
    }
    runner.dispose();
    runner = next.runner;
    path = to;
    clock.reset();
    log.record(enginePathOf(to, next.kernel), at);
    return next.kernel;
  };

  /** The background calibration has ended: take its winner (switching if needed) and say so. */
  const conclude = async (step: number, liveMs: number, mayMove = true): Promise<void> => {
    const from = path;
    const live: CalibrationRow = path.fused
      ? { backend: 'fused', layout: 'batched', msPerStep: liveMs }
      : { backend: path.name, layout: path.layout, msPerStep: liveMs };
    const rows = [live, ...background!.rows];
    // The background never measures the WGSL kernel (it runs only where nothing is calibrated).
    const tfjsRows = rows.filter((r) => r.backend !== 'fused' && r.backend !== 'fused-webgpu');
    const bestTfjs = fastest(tfjsRows);
    const best = fastest(rows)!;
    const fusedRow = rows.find((r) => r.backend === 'fused');
    const why = calibrationWhy(start.probe!);
    const info: BackendInfo = {
      name: bestTfjs ? (bestTfjs.backend as BackendName) : backend.name,
      layout: bestTfjs?.layout ?? backend.layout,
      reason: `${why}; calibration picked the fastest`,
      adapter: backend.adapter,
      calibration: rows,
      calibrating: false,
    };
    let target_: Path =
      best.backend === 'fused'
        ? { fused: true }
        : best.backend === 'fused-webgpu'
          ? from
          : { fused: false, name: best.backend, layout: best.layout };
    if (best === live || best.msPerStep! >= SWITCH_MARGIN * liveMs) target_ = from;
    let kernel = backend.kernel;
    if (!mayMove) target_ = from;
    if (background!.unmeasured > 0)
      info.reason += ` (${background!.unmeasured} candidate${background!.unmeasured > 1 ? 's' : ''} not measured: the run ended first)`;
    if (target_ !== from) {
      try {
        const k = await switchTo(target_, step);
        kernel = k;
        info.switched = `switched at step ${step} from ${pathLabel(from)} (${liveMs.toFixed(1)} ms/step) to ${pathLabel(target_)} (${best.msPerStep!.toFixed(1)} ms/step), which the calibration found faster; weights and Adam state carried over`;
      } catch (e) {
        if (signal.aborted) throw e;
        info.switched = `calibration found ${pathLabel(target_)} faster, but switching failed (${e instanceof Error ? e.message : String(e)}); training stayed on ${pathLabel(from)}`;
        if (!from.fused) await useBackend(from.name);
      }
    }
    if (path.fused) {
      info.kernel = kernel;
      if (bestTfjs) await useBackend(info.name);
      const against = bestTfjs ? `${bestTfjs.backend} ${bestTfjs.msPerStep!.toFixed(1)}` : 'no tfjs backend';
      info.reason = `fused wasm kernel ${fusedRow!.msPerStep!.toFixed(1)} ms/step against ${against}; ${info.reason}`;
    } else {
      info.name = path.name;
      info.layout = path.layout;
      const ms = path === from ? liveMs : best.msPerStep!;
      info.kernelReason =
        backend.kernelReason ??
        (fusedRow?.msPerStep !== undefined
          ? `fused kernel ${fusedRow.msPerStep.toFixed(1)} ms/step, slower than ${path.name} (${ms.toFixed(1)})`
          : fusedRow?.error
            ? `fused kernel failed: ${fusedRow.error}`
            : fusedRow?.skipped);
    }
    backend = info;
    calibrated.set(key, info);
    control.onBackend({ ...info });
  };

  /** A replay's switch at the sender's step, to its path or the closest here; never calibrates. */
  const followSchedule = async (f: ScheduleFollower, at: number): Promise<void> => {
    const from = enginePathOf(path, backend.kernel);
    const want = await f.choose(at);
    let failed: string | undefined;
    if (!samePath(want, from)) {
      try {
        backend.kernel = await switchTo(runnerPath(want), at);
      } catch (e) {
        if (signal.aborted) throw e;
        failed = `switching failed: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    // Choosing may have tried tfjs backends: back to the one this path (or everything else) runs on.
    await useBackend(path.fused ? backend.name : path.name);
    const now = enginePathOf(path, backend.kernel);
    f.ran(now, at, failed);
    backend = {
      ...backend,
      ...(path.fused ? {} : { name: path.name, layout: path.layout, kernel: undefined }),
      switched: samePath(now, from)
        ? `the link's schedule moves on at step ${at}, but training stayed on ${describePath(from)} (${failed ?? 'the closest path that runs here'})`
        : `switched at step ${at} from ${describePath(from)} to ${describePath(now)}, as the link's schedule says; weights and Adam state carried over`,
      replay: f.info(log.steps),
    };
    control.onBackend({ ...backend });
  };

  try {
    const t0 = performance.now();
    let pausedMs = 0;
    let calibratingMs = 0;
    let lastPreview = -Infinity;
    let lastPost = -Infinity;
    let lastSlice = -Infinity;
    let mse = await runner.evaluate();
    post({
      step: 0,
      steps: job.steps,
      mse,
      stepsPerSec: 0,
      elapsedMs: 0,
      phase: 'training',
      predictions: await runner.predictions(),
    });
    let posted = false;
    while (step < job.steps && !control.stop.aborted) {
      if (control.pause.paused) {
        const p0 = performance.now();
        await waitWhilePaused(control.pause, signal, control.stop);
        pausedMs += performance.now() - p0;
        continue;
      }
      const s0 = performance.now();
      await runner.step();
      clock.add(performance.now() - s0);
      step += 1;
      if (follow && step === follow.nextSwitch && step < job.steps) await followSchedule(follow, step);
      // At most ~8 progress messages a second: the fused kernel takes 100+ steps a second, and
      // every message redraws the page's charts.
      const due = step % job.evalEvery === 0 && performance.now() - lastPost >= 120;
      if (due || step === job.steps) {
        mse = await runner.evaluate();
        const now = performance.now();
        lastPost = now;
        const elapsedMs = now - t0 - pausedMs - calibratingMs;
        const progress: TrainProgress = {
          step,
          steps: job.steps,
          mse,
          stepsPerSec: (step * 1000) / elapsedMs,
          elapsedMs,
          phase: 'training',
        };
        if (now - lastPreview > 400 || step === job.steps) {
          progress.predictions = await runner.predictions();
          lastPreview = now;
        }
        post(progress);
        posted = true;
      }
      // The calibration waits for the first progress the page shows, then runs a slice at a time.
      const liveMs = clock.median;
      if (background && backend.calibrating && posted && liveMs !== null && step < job.steps) {
        const now = performance.now();
        if (now - lastSlice >= SLICE_GAP_MS) {
          try {
            if (!background.done) await background.slice(liveMs);
            else await conclude(step, liveMs);
          } catch (e) {
            if (!ended.aborted) throw e;
          } finally {
            // The slice left tfjs on its candidate's backend.
            if (!path.fused && !signal.aborted) await useBackend(path.name);
            lastSlice = performance.now();
            calibratingMs += lastSlice - now;
          }
        }
      }
      await yieldToEvents(signal);
    }
    if (!path.fused) await useBackend(path.name);
    if (background && backend.calibrating) {
      // The run ended (or stopped) before the calibration did: end it with what it measured,
      // without switching; too few steps to time the running path leave nothing to keep.
      const liveMs = clock.median;
      if (liveMs !== null && !signal.aborted) {
        background.giveUp();
        await conclude(step, liveMs, false);
      } else {
        backend = { ...backend, calibrating: false };
        control.onBackend({ ...backend });
      }
    }
    mse = await runner.evaluate();
    const models = await runner.models();
    signal.throwIfAborted();
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
    return { steps: step, mse, models: entries, stopped: step < job.steps, backend, schedule: log.steps };
  } finally {
    runner.dispose();
  }
}
