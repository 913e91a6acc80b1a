/// <reference types="@webgpu/types" />
/**
 * A classifier run on the WGSL kernel whose GPU device is destroyed mid-run (`device.destroy()`,
 * a real loss on Dawn), against a run that switched engines at the checkpoint's step: the
 * continued run must train on, name its new path, and end with the same weights and curves.
 * Also a kernel whose shader fails to compile (a device that garbles the WGSL it is given: the
 * compiler's own error) falls back with the reason. Node on Dawn (the `webgpu` package); run with
 * --swiftshader for Chromium's software Vulkan driver. Prints one JSON object
 * (tests/wgsl-failover.test.ts reads it).
 *
 *   node --import ./bin/register.mjs scripts/wgsl-failover.ts --swiftshader
 */
import { create, globals } from 'webgpu';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { labelledData } from './wgsl-agreement';
import { DEFAULT_TRAINING, type ClassifierTraining } from '../src/engine/classifier/settings';
import { flattenModel, initModel, type MlpArch, type Model } from '../src/engine/model';
import { inlinePort, KernelPool } from '../src/engine/kernels/pool';
import { WgslClassifierTrainer } from '../src/engine/kernels/wgsl/wgsl-classifier';
import { ClassifierTrainer } from '../src/engine/tf/classifier';
import { trainClassifierRun, type EpochRecord } from '../src/engine/tf/classifier-run';
import type { ClassifierGpu } from '../src/engine/tf/classifier-path';
import type { PopulationSnapshot } from '../src/engine/population-snapshot';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (process.argv.includes('--swiftshader') && !process.env.VK_ICD_FILENAMES) {
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD, LD_LIBRARY_PATH: '/usr/lib/chromium' },
  });
  process.exit(r.status ?? 1);
}
if (!existsSync(SWIFTSHADER_ICD) && process.argv.includes('--swiftshader')) {
  console.log(JSON.stringify({ error: `no SwiftShader Vulkan driver at ${SWIFTSHADER_ICD}` }));
  process.exit(1);
}

Object.assign(globalThis, globals);
// Held at module level: a collected GPU object takes Dawn's instance (and its devices) with it.
const gpu = create([]);

async function newDevice(): Promise<GPUDevice> {
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  return adapter.requestDevice();
}

export interface FailoverCase {
  name: string;
  arch: MlpArch;
  k: number;
  n: number;
  training: ClassifierTraining;
  /** Destroy the device just before this step (1-based). */
  loseAt: number;
  /** Checkpoint cadence given to the run (0: every step; Infinity: epoch ends only). */
  checkpointMs: number;
  /** The step of the checkpoint the run should continue from. */
  expectFrom: number;
  /** The fallback: the wasm kernel, or tfjs (the wasm kernel's shards made to fail to start). */
  fallback: 'wasm' | 'tfjs';
}

export interface FailoverRow {
  name: string;
  paths: string[];
  kernel: string;
  epochs: number;
  /** Largest weight difference against the run that switched at `expectFrom`. */
  weightsGap: number;
  /** Largest difference of the epoch curves (train and held-out loss, accuracy). */
  curvesGap: number;
  error?: string;
}

const TRAIN: ClassifierTraining = {
  ...DEFAULT_TRAINING,
  epochs: 3,
  batch: 13,
  lr: 1e-2,
  schedule: 'constant',
};

export const FAILOVER_CASES: FailoverCase[] = [
  {
    name: 'ReLU 6→11→3, K=3, Adam; lost in epoch 2, checkpoint at epoch 1’s end; wasm kernel',
    arch: { widths: [6, 11, 3], activation: 'relu' },
    k: 3,
    n: 37,
    training: { ...TRAIN, optimizer: 'adam' },
    loseAt: 5,
    checkpointMs: Infinity,
    expectFrom: 3,
    fallback: 'wasm',
  },
  {
    name: 'tanh 6→9→7→4, K=2, SGD μ=0.9 λ=1e-3 cosine; checkpoint every step; wasm kernel',
    arch: { widths: [6, 9, 7, 4], activation: 'tanh' },
    k: 2,
    n: 37,
    training: { ...TRAIN, optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-3, schedule: 'cosine' },
    loseAt: 5,
    checkpointMs: 0,
    expectFrom: 4,
    fallback: 'wasm',
  },
  {
    name: 'GELU 5→13→3, K=2, Adam λ=1e-2; lost in epoch 3; tfjs',
    arch: { widths: [5, 13, 3], activation: 'gelu' },
    k: 2,
    n: 37,
    training: { ...TRAIN, optimizer: 'adam', weightDecay: 1e-2 },
    loseAt: 8,
    checkpointMs: Infinity,
    expectFrom: 6,
    fallback: 'tfjs',
  },
];

const gap = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let g = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) g = Math.max(g, Math.abs(a[i]! - b[i]!));
  return g;
};
const weightsGap = (a: Model[], b: Model[]): number =>
  Math.max(...a.map((m, j) => gap(flattenModel(m), flattenModel(b[j]!))));
const curvesGap = (a: EpochRecord[], b: EpochRecord[]): number =>
  a.length !== b.length
    ? Infinity
    : Math.max(
        ...a.map((r, e) =>
          Math.max(
            gap(r.trainLoss, b[e]!.trainLoss),
            gap(r.heldOutLoss, b[e]!.heldOutLoss),
            gap(r.heldOutAccuracy, b[e]!.heldOutAccuracy),
          ),
        ),
      );

const noShards = (): never => {
  throw new Error('shards refused (test)');
};

/** The run that switched at `from` steps: WGSL until then, a snapshot, then the fallback engine. */
async function switchedRun(
  c: FailoverCase,
  inits: Model[],
  train: ReturnType<typeof labelledData>,
  heldOut: ReturnType<typeof labelledData>,
  opts: ClassifierTraining & { batchSeeds: number[] },
): Promise<{ models: Model[]; history: EpochRecord[] }> {
  const device = await newDevice();
  const wgsl = await WgslClassifierTrainer.create(device, inits, train, heldOut, opts);
  const history: EpochRecord[] = [];
  const record = async (
    loss: Float32Array,
    scores: { loss: Float32Array; accuracy: Float32Array },
    epoch: number,
  ) =>
    history.push({
      epoch,
      trainLoss: Array.from(loss),
      heldOutLoss: Array.from(scores.loss),
      heldOutAccuracy: Array.from(scores.accuracy),
      lr: 0,
      seconds: 0,
    });
  const per = wgsl.stepsPerEpoch;
  for (let s = 0; s < c.expectFrom; s++) {
    wgsl.step();
    if ((s + 1) % per === 0)
      await record(await wgsl.epochTrainLoss(), await wgsl.score('heldOut'), (s + 1) / per);
  }
  const snap: PopulationSnapshot = await wgsl.snapshot();
  wgsl.dispose();
  device.destroy();
  const total = per * opts.epochs;
  type Engine = {
    step(): Promise<void>;
    loss(): Promise<Float32Array>;
    score(): Promise<{ loss: Float32Array; accuracy: Float32Array }>;
    models(): Promise<Model[]>;
    dispose(): void;
  };
  let engine: Engine;
  if (c.fallback === 'wasm') {
    const pool = await KernelPool.createClassifier(snap.models, train, heldOut, opts, [inlinePort()]);
    await pool.resume(snap);
    engine = {
      step: async () => void (await pool.step(1)),
      loss: () => pool.epochTrainLoss(),
      score: () => pool.score('heldOut'),
      models: () => pool.models(),
      dispose: () => pool.dispose(),
    };
  } else {
    const t = new ClassifierTrainer(snap.models, train, opts);
    t.resume(snap);
    engine = {
      step: async () => t.step(),
      loss: () => t.epochTrainLoss(),
      score: () => t.score(heldOut),
      models: () => t.models(),
      dispose: () => t.dispose(),
    };
  }
  for (let s = c.expectFrom; s < total; s++) {
    await engine.step();
    if ((s + 1) % per === 0) await record(await engine.loss(), await engine.score(), (s + 1) / per);
  }
  const models = await engine.models();
  engine.dispose();
  return { models, history };
}

async function runCase(c: FailoverCase): Promise<FailoverRow> {
  const [inputs, classes] = [c.arch.widths[0]!, c.arch.widths.at(-1)!];
  const train = labelledData(c.n, inputs, classes, 7, 1);
  const heldOut = labelledData(Math.ceil(c.n / 2), inputs, classes, 8, 1);
  const inits = Array.from({ length: c.k }, (_, j) => initModel(c.arch, 200 + j));
  const opts = { ...c.training, batchSeeds: inits.map((_, j) => 300 + j) };
  const paths: string[] = [];
  let device: GPUDevice | null = null;
  const lent: ClassifierGpu = {
    software: true,
    device: async () => (device = await newDevice()),
    release: () => device?.destroy(),
  };
  let gates = 0;
  try {
    const run = await trainClassifierRun(inits, train, heldOut, opts, {
      // Before step `loseAt`: the device goes, as a driver reset or an unplugged GPU takes it.
      gate: async () => {
        gates += 1;
        if (gates === c.loseAt) device!.destroy();
      },
      onPath: (p) => paths.push(p),
      kernel: {
        choice: 'webgpu',
        gpu: async () => lent,
        checkpointMs: c.checkpointMs,
        ...(c.fallback === 'tfjs' ? { ports: noShards } : {}),
      },
    });
    const ref = await switchedRun(c, inits, train, heldOut, opts);
    return {
      name: c.name,
      paths,
      kernel: run.kernel,
      epochs: run.history.length,
      weightsGap: weightsGap(run.models, ref.models),
      curvesGap: curvesGap(
        run.history.map((r) => ({ ...r, lr: 0, seconds: 0 })),
        ref.history,
      ),
    };
  } catch (e) {
    return {
      name: c.name,
      paths,
      kernel: '',
      epochs: 0,
      weightsGap: Infinity,
      curvesGap: Infinity,
      error: e instanceof Error ? e.message : String(e),
    };
  }
}

/**
 * A device that garbles every shader it is asked to compile (a stray token at the top), so the
 * WGSL compiler itself refuses: the kernel must fail to start and the run fall back, with why.
 */
async function garblingDevice(): Promise<GPUDevice> {
  const device = await newDevice();
  const createShaderModule = device.createShaderModule.bind(device);
  device.createShaderModule = (d: GPUShaderModuleDescriptor) =>
    createShaderModule({ ...d, code: `this is not wgsl;\n${d.code}` });
  return device;
}

async function compileFailure(): Promise<{ kernel: string; epochs: number; error?: string }> {
  const arch: MlpArch = { widths: [6, 11, 3], activation: 'relu' };
  const train = labelledData(37, 6, 3, 7, 1);
  const inits = [initModel(arch, 1)];
  let device: GPUDevice | null = null;
  const lent: ClassifierGpu = {
    // A hardware adapter as far as the run knows: the calibration must meet the failure too.
    software: false,
    device: async () => (device = await garblingDevice()),
    release: () => device?.destroy(),
  };
  try {
    const run = await trainClassifierRun(
      inits,
      train,
      train,
      { ...TRAIN, epochs: 1, batchSeeds: [3] },
      { kernel: { gpu: async () => lent, calibrations: new Map() } },
    );
    return { kernel: run.kernel, epochs: run.history.length };
  } catch (e) {
    return { kernel: '', epochs: 0, error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * The measured choice on an adapter the run takes for hardware (SwiftShader, told it is not
 * software): every path timed and named in the path, then the same shape again reuses the choice.
 */
async function calibration(): Promise<{ first: string; again: string; error?: string }> {
  const arch: MlpArch = { widths: [6, 11, 3], activation: 'tanh' };
  const train = labelledData(37, 6, 3, 7, 1);
  const inits = [initModel(arch, 1), initModel(arch, 2)];
  const calibrations = new Map();
  const run = async () => {
    let device: GPUDevice | null = null;
    const lent: ClassifierGpu = {
      software: false,
      device: async () => (device = await newDevice()),
      release: () => device?.destroy(),
    };
    const r = await trainClassifierRun(
      inits,
      train,
      train,
      { ...TRAIN, epochs: 1, batchSeeds: [3, 4] },
      { kernel: { gpu: async () => lent, calibrations } },
    );
    return r.kernel;
  };
  try {
    return { first: await run(), again: await run() };
  } catch (e) {
    return { first: '', again: '', error: e instanceof Error ? e.message : String(e) };
  }
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const adapter = await gpu.requestAdapter();
  const info = (adapter as unknown as { info: GPUAdapterInfo }).info;
  const rows: FailoverRow[] = [];
  for (const c of FAILOVER_CASES) rows.push(await runCase(c));
  const compile = await compileFailure();
  const measured = await calibration();
  const named = { architecture: info.architecture, vendor: info.vendor };
  console.log(JSON.stringify({ adapter: named, rows, compile, measured }));
}

await main();
process.exit(0);
