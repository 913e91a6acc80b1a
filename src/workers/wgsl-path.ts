/// <reference types="@webgpu/types" />
/**
 * The fused WebGPU path of population training: the WGSL kernel (src/engine/kernels/wgsl) on a
 * GPUDevice of its own, requested from navigator.gpu in the engine worker (tfjs-webgpu keeps its
 * device, so a lost kernel device does not take tfjs with it). Whether it runs is measured
 * (wgsl-choice.ts). When the kernel fails mid-run (a lost device, a failed submission), training
 * continues on the fused wasm kernel (tfjs where that does not cover the job) from the last
 * checkpoint of weights and Adam state, and the badge says so.
 */
import { WgslKernel } from '../engine/kernels/wgsl/wgsl-kernel';
import { wgslCoverage } from '../engine/kernels/wgsl/plan';
import { initModel, type Model } from '../engine/model';
import { Failover } from '../engine/failover';
import { startSnapshot, type PopulationSnapshot } from '../engine/population-snapshot';
import { PopulationTrainer, type RegressionTarget } from '../engine/tf/trainer';
import type { ClassifierGpu } from '../engine/tf/classifier-path';
import { browserKernelPool, fusedCoverage } from './kernel-pool';
import { poolRunner, tfjsRunner, type PopulationRunner } from './jobs/train-runners';
import type { BackendInfo, TrainJob } from './protocol';

/** Why the WGSL path does not train this architecture here (null: it can try). */
export function wgslPathCoverage(arch: Model['arch']): string | null {
  if (!(globalThis.navigator as unknown as { gpu?: GPU } | undefined)?.gpu)
    return 'no WebGPU in this browser';
  return wgslCoverage(arch);
}

/** A device of the kernel's own (high-performance adapter). */
async function kernelDevice(): Promise<GPUDevice> {
  const gpu = (navigator as unknown as { gpu: GPU }).gpu;
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter');
  return adapter.requestDevice();
}

/**
 * The engine worker's GPU for classifier runs (classifier-path.ts): the high-performance adapter,
 * whether it is a software one (SwiftShader reports its architecture; others say isFallbackAdapter),
 * and a device of the run's own, asked for the adapter's largest storage bindings (a training set
 * lives in one buffer). Null where the browser has no WebGPU or no adapter.
 */
export async function classifierGpu(): Promise<ClassifierGpu | null> {
  const gpu = (globalThis.navigator as unknown as { gpu?: GPU } | undefined)?.gpu;
  const adapter = gpu ? await gpu.requestAdapter({ powerPreference: 'high-performance' }) : null;
  if (!adapter) return null;
  const info = (adapter as unknown as { info?: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).info;
  let made: GPUDevice | null = null;
  return {
    software: Boolean(info?.isFallbackAdapter) || info?.architecture === 'swiftshader',
    device: async () => {
      made = await adapter.requestDevice({
        requiredLimits: {
          maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
          maxBufferSize: adapter.limits.maxBufferSize,
        },
      });
      return made;
    },
    release: () => made?.destroy(),
  };
}

/** Least time between the WGSL runner's checkpoints: one read-back a second costs the GPU little. */
export const WGSL_CHECKPOINT_MS = 1000;

export const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * A runner on the WGSL kernel. It keeps a checkpoint of the population (weights, Adam moments,
 * step count), read back at most every `checkpointMs` (0: every step, tests); when any call fails
 * (a lost device, a refused submission) `fallback` makes a runner from that checkpoint, the steps
 * since are replayed on it (full-batch steps: the same ones), and the run carries on there, as a
 * run that switched engines at the checkpoint's step. `why` tells the fallback what happened.
 * `given` (tests) is used instead of a new device, and is destroyed with the runner all the same.
 */
export async function wgslRunner(
  inits: readonly Model[],
  target: RegressionTarget,
  lr: number,
  fallback: (from: PopulationSnapshot, why: string) => Promise<PopulationRunner>,
  given?: GPUDevice,
  checkpointMs = WGSL_CHECKPOINT_MS,
): Promise<PopulationRunner & { dispatchesPerStep: () => number }> {
  const device = given ?? (await kernelDevice());
  let kernel: WgslKernel;
  try {
    kernel = await WgslKernel.create(device, inits, target, { lr });
  } catch (e) {
    device.destroy();
    throw e;
  }
  const run: Failover<PopulationRunner> = new Failover({
    step: () => kernel.step(),
    snapshot: async () => {
      const steps = kernel.steps;
      const models = await kernel.models();
      const { m, v } = await kernel.optimizerState();
      return { steps, models, m, v };
    },
    dispose: () => {
      kernel.dispose();
      device.destroy();
    },
    fallback,
    initial: startSnapshot(inits),
    checkpointMs,
    state: 'Adam state',
  });
  return {
    step: () => run.step(),
    evaluate: () =>
      run.guard(
        () => kernel.evaluate(),
        (r) => r.evaluate(),
      ),
    predictions: () =>
      run.guard(
        () => kernel.predictions(),
        (r) => r.predictions(),
      ),
    models: () =>
      run.guard(
        () => kernel.models(),
        (r) => r.models(),
      ),
    dispose: () => run.dispose(),
    // The WGSL path is chosen before training and never switched to mid-run, but it hands over.
    snapshot: () =>
      run.guard(
        () => run.save(),
        (r) => r.snapshot(),
      ),
    resume: () => Promise.reject(new Error('the fused WebGPU kernel does not resume another engine')),
    dispatchesPerStep: () => kernel.dispatchesPerStep,
  };
}

/**
 * The runner a failed WGSL run continues on, from a snapshot: the fused wasm kernel where it
 * covers the job (far faster than tfjs on the CPU), else tfjs on its backend; `kernel` is the
 * badge's entry for the fused one.
 */
async function fallbackRunner(
  job: TrainJob,
  target: RegressionTarget,
  backend: BackendInfo,
  from: PopulationSnapshot,
): Promise<{ runner: PopulationRunner; kernel?: BackendInfo['kernel']; name: string }> {
  const cover = fusedCoverage({ ...job, backend: 'auto' });
  let runner: PopulationRunner | null = null;
  let why = cover;
  if (!cover)
    try {
      const pool = await browserKernelPool(from.models, { kind: 'regression', ...target }, job);
      runner = poolRunner(pool);
      await runner.resume(from);
      return {
        runner,
        kernel: { flavour: pool.flavour, workers: pool.workers },
        name: 'the fused wasm kernel',
      };
    } catch (e) {
      runner?.dispose();
      why = `fused kernel failed to start: ${message(e)}`;
    }
  const tfjs = tfjsRunner(new PopulationTrainer(from.models, target, { lr: job.lr, layout: backend.layout }));
  try {
    await tfjs.resume(from);
  } catch (e) {
    tfjs.dispose();
    throw e;
  }
  return { runner: tfjs, name: `tfjs ${backend.name} (fused wasm kernel: ${why})` };
}

/**
 * The WGSL runner for a job whose backend chose it, or null (with the reason in `backend`) when it
 * no longer starts. If it fails mid-run, the run continues on the fused wasm kernel (or tfjs) from
 * its last checkpoint, and `onBackend` hears of the switch (and the checkpoint's step it trains from).
 */
export async function startWgsl(
  job: TrainJob,
  target: RegressionTarget,
  backend: BackendInfo,
  onBackend: (b: BackendInfo, fromStep: number) => void,
): Promise<PopulationRunner | null> {
  const inits = job.seeds.map((s) => initModel(job.arch, s));
  try {
    return await wgslRunner(inits, target, job.lr, async (from, why) => {
      const next = await fallbackRunner(job, target, backend, from);
      backend.kernel = next.kernel;
      backend.kernelReason = next.kernel ? undefined : why;
      backend.switched = `${why}, on ${next.name}`;
      onBackend({ ...backend }, from.steps);
      return next.runner;
    });
  } catch (e) {
    backend.kernel = undefined;
    backend.kernelReason = `fused WebGPU kernel failed to start: ${message(e)}`;
    return null;
  }
}
