/**
 * Where a classifier run trains: the fused WebAssembly kernel (src/engine/classifier/
 * kernel-trainer.ts, members split over a pool of shards) wherever it covers the run, else the
 * tfjs ClassifierTrainer, the reference and the fallback. Both sit behind one small interface, so
 * the run loop (classifier-run.ts) does not care which one steps, and the path taken is named in
 * words with the reason the kernel was not used. Where the caller hands in a GPU (`KernelHooks.gpu`)
 * and it is a hardware adapter, the WGSL kernel (src/engine/kernels/wgsl), the wasm kernel and
 * tfjs are each timed for a few steps of the run's own workload and the fastest trains
 * (src/engine/path-choice.ts; once per workload shape, then reused); a software adapter
 * (SwiftShader) leaves the run to the wasm kernel on the CPU. A WGSL run keeps checkpoints of its
 * state (weights, optimiser state, step, the epoch's loss so far); if the kernel fails mid-run (a
 * lost device), the run continues on the wasm kernel (or tfjs) from the last checkpoint, replays
 * the steps since, and its path says so.
 */
import * as tf from '@tensorflow/tfjs-core';
import { classifierKernelCoverage, checkClassifierRun } from '../classifier/kernel-trainer';
import { learningRateAt, stepsPerEpoch } from '../classifier/schedule';
import type { ClassificationData } from '../data/eval-data';
import { inlinePort, KernelPool, type ShardPort } from '../kernels/pool';
import { WGSL_DISPATCHES_PER_STEP } from '../kernels/wgsl/mlp-wgsl';
import { WgslClassifierTrainer, wgslClassifierCoverage } from '../kernels/wgsl/wgsl-classifier';
import type { Model } from '../model';
import { choosePath, WGSL_PATH, type PathTiming } from '../path-choice';
import { Failover } from '../failover';
import { startSnapshot, type PopulationSnapshot } from '../population-snapshot';
import { ClassifierTrainer, type ClassifierTrainerOptions, type MemberScores } from './classifier';

/**
 * 'auto': the fused kernel where it covers the run (the WGSL one first on a hardware GPU), else
 * tfjs; 'fused' refuses instead of falling back; 'webgpu' takes the WGSL kernel on the GPU given,
 * software adapter included (tests), and refuses when it cannot.
 */
export type KernelChoice = 'auto' | 'fused' | 'tfjs' | 'webgpu';

/** A GPU adapter the WGSL kernel may train on; `release` destroys the device made (the run owns it). */
export interface ClassifierGpu {
  /** A software adapter (SwiftShader, a fallback adapter): not a candidate unless forced. */
  software: boolean;
  device(): Promise<GPUDevice>;
  release(): void;
}

/** How a run may use the fused kernel. */
export interface KernelHooks {
  choice?: KernelChoice;
  /** Ports to the shards of a population of `members` (default: one shard in this thread). */
  ports?: (members: number) => ShardPort[];
  /** A GPU for the WGSL kernel, or null where there is none (default: no GPU is tried). */
  gpu?: () => Promise<ClassifierGpu | null>;
  /** Told the new path when a run fails over mid-run (a lost GPU device). */
  onFallback?: (path: string) => void;
  /** Least time between the WGSL run's checkpoints (default CHECKPOINT_MS; 0: every step, tests). */
  checkpointMs?: number;
  /** Measured path choices by workload shape (default: this module's, for the process's life). */
  calibrations?: Map<string, CalibratedChoice>;
}

/** A measured choice for one workload shape: the path's row name, the reason, every figure. */
export interface CalibratedChoice {
  backend: string;
  reason: string;
  rows: PathTiming[];
}

/** Least time between checkpoints of a WGSL run: one read-back a second costs the GPU little. */
export const CHECKPOINT_MS = 1000;

/** Longest one candidate's timing may take, compilation included, before it is abandoned. */
export const TIMING_BOX_MS = 3000;

const calibrated = new Map<string, CalibratedChoice>();

/** A classifier population that steps, scores and hands back its members. */
export interface ClassifierStepper {
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  /** Steps every member has taken. */
  readonly steps: number;
  /** The learning rate the next step will use. */
  readonly lr: number;
  /** Which path runs, e.g. "fused wasm relaxed × 2 workers" or "tfjs wasm (fused kernel: …)". */
  readonly path: string;
  step(): Promise<void>;
  epochTrainLoss(): Promise<Float32Array>;
  score(which: 'train' | 'heldOut'): Promise<MemberScores>;
  models(): Promise<Model[]>;
  dispose(): void;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function tfjsStepper(
  models: readonly Model[],
  train: ClassificationData,
  heldOut: ClassificationData,
  opts: ClassifierTrainerOptions,
  why: string,
  from?: PopulationSnapshot,
): ClassifierStepper {
  const t = new ClassifierTrainer(models, train, opts);
  if (from)
    try {
      t.resume(from);
    } catch (e) {
      t.dispose();
      throw e;
    }
  return {
    stepsPerEpoch: t.stepsPerEpoch,
    totalSteps: t.totalSteps,
    get steps() {
      return t.steps;
    },
    get lr() {
      return t.lr;
    },
    path: `tfjs ${tf.getBackend()} (fused kernel: ${why})`,
    step: async () => t.step(),
    epochTrainLoss: () => t.epochTrainLoss(),
    score: (which) => t.score(which === 'train' ? train : heldOut),
    models: () => t.models(),
    dispose: () => t.dispose(),
  };
}

function poolStepper(
  pool: KernelPool,
  train: ClassificationData,
  opts: ClassifierTrainerOptions,
  note = '',
): ClassifierStepper {
  const perEpoch = stepsPerEpoch(train.n, opts.batch);
  const total = perEpoch * opts.epochs;
  return {
    stepsPerEpoch: perEpoch,
    totalSteps: total,
    get steps() {
      return pool.steps;
    },
    get lr() {
      return learningRateAt(opts.schedule, opts.lr, pool.steps, total);
    },
    path: `fused wasm ${pool.flavour} × ${pool.workers} worker${pool.workers > 1 ? 's' : ''}${note}`,
    step: async () => void (await pool.step(1)),
    epochTrainLoss: () => pool.epochTrainLoss(),
    score: (which) => pool.score(which),
    models: () => pool.models(),
    dispose: () => pool.dispose(),
  };
}

/**
 * The run on the CPU: the wasm kernel's pool where it covers the run, else tfjs; from `from`'s
 * weights and state when given (a failover). `note` rides on the path; `choice` 'fused' refuses
 * instead of falling back to tfjs.
 */
async function cpuStepper(
  models: readonly Model[],
  train: ClassificationData,
  heldOut: ClassificationData,
  opts: ClassifierTrainerOptions,
  kernel: KernelHooks,
  note: string,
  from?: PopulationSnapshot,
): Promise<ClassifierStepper> {
  const fusedOnly = kernel.choice === 'fused';
  const why = classifierKernelCoverage(models[0]!.arch, models.length, opts.batch);
  if (why) {
    if (fusedOnly) throw new Error(`fused kernel: ${why}`);
    return tfjsStepper(models, train, heldOut, opts, `${why}${note}`, from);
  }
  let pool: KernelPool | null = null;
  try {
    const ports = kernel.ports ? kernel.ports(models.length) : [inlinePort()];
    pool = await KernelPool.createClassifier(models, train, heldOut, opts, ports);
    if (from) await pool.resume(from);
    return poolStepper(pool, train, opts, note);
  } catch (e) {
    pool?.dispose();
    if (fusedOnly) throw e;
    return tfjsStepper(models, train, heldOut, opts, `failed: ${message(e)}${note}`, from);
  }
}

/**
 * The WGSL kernel's stepper, with failover (../failover.ts): checkpoints at most every
 * `checkpointMs` and at every epoch's end; when any call fails (the device lost, a submission
 * refused), the run moves to `fallback` from the last checkpoint and replays the steps since.
 */
function wgslStepper(
  trainer: WgslClassifierTrainer,
  why: string,
  gpu: ClassifierGpu,
  initial: PopulationSnapshot,
  fallback: (from: PopulationSnapshot, note: string) => Promise<ClassifierStepper>,
  hooks: KernelHooks,
): ClassifierStepper {
  const own = `fused WebGPU (${WGSL_DISPATCHES_PER_STEP} dispatches a step; ${why})`;
  const run: Failover<ClassifierStepper> = new Failover({
    step: () => trainer.step(),
    snapshot: () => trainer.snapshot(),
    dispose: () => {
      trainer.dispose();
      gpu.release();
    },
    fallback: async (from, failure) => {
      const next = await fallback(from, ` (${failure})`);
      hooks.onFallback?.(next.path);
      return next;
    },
    initial,
    checkpointMs: hooks.checkpointMs ?? CHECKPOINT_MS,
    state: 'optimiser state',
  });
  return {
    stepsPerEpoch: trainer.stepsPerEpoch,
    totalSteps: trainer.totalSteps,
    get steps() {
      return run.current?.steps ?? run.done;
    },
    get lr() {
      return run.current?.lr ?? trainer.lr;
    },
    get path() {
      return run.current?.path ?? own;
    },
    step: () => run.step(),
    // An epoch's end: a checkpoint, whose loss sums are the epoch's loss.
    epochTrainLoss: () =>
      run.guard(
        async () => {
          const { lossSums, examples } = (await run.save()).epoch!;
          return Float32Array.from(lossSums, (s) => s / Math.max(1, examples));
        },
        (r) => r.epochTrainLoss(),
      ),
    score: (which) =>
      run.guard(
        () => trainer.score(which),
        (r) => r.score(which),
      ),
    models: () =>
      run.guard(
        () => trainer.models(),
        (r) => r.models(),
      ),
    dispose: () => run.dispose(),
  };
}

/**
 * ms per step of a throwaway stepper on the run's workload: a warm-up step (compilation), one
 * timed step to size the rest, then up to 16 steps in about half a second, read back at the end;
 * past TIMING_BOX_MS (a slow compilation), the one timed step is the figure.
 */
async function timeStepper(backend: string, make: () => Promise<ClassifierStepper>): Promise<PathTiming> {
  const t0 = performance.now();
  let s: ClassifierStepper | null = null;
  try {
    s = await make();
    await s.step();
    await s.epochTrainLoss();
    const t1 = performance.now();
    await s.step();
    await s.epochTrainLoss();
    const one = performance.now() - t1;
    if (performance.now() - t0 > TIMING_BOX_MS) return { backend, msPerStep: one };
    const reps = Math.max(2, Math.min(16, Math.floor(500 / Math.max(one, 0.01))));
    const t2 = performance.now();
    let n = 0;
    while (n < reps && (n < 2 || performance.now() - t0 < TIMING_BOX_MS)) {
      await s.step();
      n += 1;
    }
    await s.epochTrainLoss();
    return { backend, msPerStep: (performance.now() - t2) / n };
  } catch (e) {
    return { backend, error: message(e) };
  } finally {
    s?.dispose();
  }
}

/** The workload's shape: what a path's ms per step depends on. */
const workloadKey = (models: readonly Model[], train: ClassificationData, opts: ClassifierTrainerOptions) =>
  JSON.stringify([models[0]!.arch, models.length, train.n, opts.batch, opts.optimizer]);

/**
 * Times the run's candidate paths on a hardware GPU (the wasm kernel over the shards given, the
 * WGSL kernel, tfjs on its current backend) and picks with `choosePath`, or reuses the choice
 * made for this workload shape before.
 */
async function calibrate(
  models: readonly Model[],
  train: ClassificationData,
  heldOut: ClassificationData,
  opts: ClassifierTrainerOptions,
  kernel: KernelHooks,
  device: GPUDevice,
): Promise<CalibratedChoice & { reused: boolean }> {
  const store = kernel.calibrations ?? calibrated;
  const key = workloadKey(models, train, opts);
  const known = store.get(key);
  if (known) return { ...known, reused: true };
  const rows: PathTiming[] = [];
  const uncovered = classifierKernelCoverage(models[0]!.arch, models.length, opts.batch);
  rows.push(
    uncovered
      ? { backend: 'fused', skipped: uncovered }
      : await timeStepper('fused', () =>
          cpuStepper(models, train, heldOut, { ...opts }, { ...kernel, choice: 'fused' }, ''),
        ),
  );
  rows.push(
    await timeStepper(WGSL_PATH, async () => {
      const t = await WgslClassifierTrainer.create(device, models, train, heldOut, opts);
      return wgslStepper(
        t,
        '',
        { software: false, device: async () => device, release: () => {} },
        startSnapshot(models),
        () => Promise.reject(new Error('timing only')),
        { checkpointMs: Infinity },
      );
    }),
  );
  rows.push(await timeStepper(tf.getBackend(), async () => tfjsStepper(models, train, heldOut, opts, '')));
  const d = choosePath(rows, { software: false });
  const choice = { backend: d.chosen?.backend ?? 'fused', reason: d.reason, rows };
  store.set(key, choice);
  return { ...choice, reused: false };
}

/**
 * Starts the run on the fused kernel where it covers it (and `choice` allows), else on tfjs.
 * A kernel that fails to start falls back to tfjs with the reason, unless `choice` is 'fused'.
 * On a hardware GPU ('auto'), the paths are timed first and the fastest trains; a forced WGSL
 * run ('webgpu') takes the kernel on whatever adapter is given.
 */
export async function startClassifierPath(
  models: readonly Model[],
  train: ClassificationData,
  heldOut: ClassificationData,
  opts: ClassifierTrainerOptions,
  kernel: KernelHooks = {},
): Promise<ClassifierStepper> {
  checkClassifierRun(models, train, opts);
  const choice = kernel.choice ?? 'auto';
  if (choice === 'tfjs') return tfjsStepper(models, train, heldOut, opts, 'tfjs chosen');
  // The GPU first, where one is handed in; its reason rides on the path that runs instead.
  let gpuWhy = '';
  if (choice === 'webgpu' || (choice === 'auto' && kernel.gpu)) {
    const tried = await tryWgsl(models, train, heldOut, opts, kernel, choice === 'webgpu');
    if ('stepper' in tried) return tried.stepper;
    if (choice === 'webgpu') throw new Error(`fused WebGPU: ${tried.why}`);
    if (tried.tfjs) return tfjsStepper(models, train, heldOut, opts, tried.why);
    if (!tried.quiet) gpuWhy = ` (${tried.why})`;
  }
  return cpuStepper(models, train, heldOut, opts, kernel, gpuWhy);
}

/**
 * The WGSL kernel's stepper when it trains this run, or why not: `quiet` when the reason is no
 * GPU or a software adapter (the usual case, not worth naming in the path), else the reason the
 * path that runs instead carries (the calibration's figures, or the kernel's refusal).
 */
async function tryWgsl(
  models: readonly Model[],
  train: ClassificationData,
  heldOut: ClassificationData,
  opts: ClassifierTrainerOptions,
  kernel: KernelHooks,
  forced: boolean,
): Promise<{ stepper: ClassifierStepper } | { why: string; quiet: boolean; tfjs?: boolean }> {
  if (opts.memberLrs) return { why: 'per-member learning rates are not in the WGSL kernel', quiet: false };
  const gpu = kernel.gpu ? await kernel.gpu() : null;
  if (!gpu) return { why: 'no WebGPU adapter', quiet: true };
  if (gpu.software && !forced) {
    gpu.release();
    return { why: 'software adapter: the wasm kernel keeps the CPU', quiet: true };
  }
  const uncovered = wgslClassifierCoverage(models[0]!.arch);
  if (uncovered) {
    gpu.release();
    return { why: `fused WebGPU: ${uncovered}`, quiet: false };
  }
  let why = 'chosen by the run';
  try {
    const device = await gpu.device();
    if (!forced) {
      const c = await calibrate(models, train, heldOut, opts, kernel, device);
      why = `${c.reason}${c.reused ? ' (reused)' : ''}`;
      if (c.backend !== WGSL_PATH) {
        gpu.release();
        const tfjs = c.backend !== 'fused';
        return { why, quiet: false, tfjs };
      }
    }
    const trainer = await WgslClassifierTrainer.create(device, models, train, heldOut, opts);
    const fallback = (from: PopulationSnapshot, note: string) =>
      cpuStepper(from.models, train, heldOut, opts, { ...kernel, choice: 'auto' }, note, from);
    return { stepper: wgslStepper(trainer, why, gpu, startSnapshot(models), fallback, kernel) };
  } catch (e) {
    gpu.release();
    return { why: `fused WebGPU failed: ${message(e)}`, quiet: false };
  }
}
