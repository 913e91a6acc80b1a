/// <reference types="@webgpu/types" />
/**
 * The fused WebGPU path of population training: the WGSL kernel (src/engine/kernels/wgsl) on a
 * GPUDevice of its own, requested from navigator.gpu in the engine worker (tfjs-webgpu keeps its
 * device, so a lost kernel device does not take tfjs with it). When the kernel fails mid-run (a
 * lost device, a failed submission), training continues on tfjs from the last weights read back,
 * and the badge says so.
 */
import { WgslKernel } from '../engine/kernels/wgsl/wgsl-kernel';
import { wgslCoverage } from '../engine/kernels/wgsl/plan';
import { initModel, type Model } from '../engine/model';
import { PopulationTrainer, type RegressionTarget } from '../engine/tf/trainer';
import type { ClassifierGpu } from '../engine/tf/classifier-path';
import { tfjsRunner, timeRunner, type PopulationRunner } from './jobs/train-runners';
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

/**
 * A runner on the WGSL kernel; `fallback` makes a tfjs runner from given weights if it fails.
 * `device` (tests) is used instead of a new one, and is destroyed with the runner all the same.
 */
export async function wgslRunner(
  inits: readonly Model[],
  target: RegressionTarget,
  lr: number,
  fallback: (from: Model[], why: string) => Promise<PopulationRunner>,
  given?: GPUDevice,
): Promise<PopulationRunner & { dispatchesPerStep: () => number }> {
  const device = given ?? (await kernelDevice());
  let kernel: WgslKernel;
  try {
    kernel = await WgslKernel.create(device, inits, target, { lr });
  } catch (e) {
    device.destroy();
    throw e;
  }
  // The weights as of the last evaluation (the loop evaluates every few steps): what training
  // continues from if the device is lost before they can be read back.
  let snapshot: { models: Model[]; step: number } = { models: inits.map((m) => m), step: 0 };
  let active: PopulationRunner | null = null;
  const failOver = async (e: unknown): Promise<PopulationRunner> => {
    let from = snapshot;
    try {
      from = { models: await kernel.models(), step: kernel.steps };
    } catch {
      // Lost: the snapshot it is.
    }
    kernel.dispose();
    device.destroy();
    const why = `fused WebGPU kernel failed at step ${kernel.steps} (${e instanceof Error ? e.message : String(e)}); tfjs continued from the weights of step ${from.step}`;
    active = await fallback(from.models, why);
    return active;
  };
  const guarded =
    <T>(work: () => T | Promise<T>, onActive: (r: PopulationRunner) => Promise<T>) =>
    async (): Promise<T> => {
      if (active) return onActive(active);
      try {
        return await work();
      } catch (e) {
        return onActive(await failOver(e));
      }
    };
  return {
    step: guarded(
      () => kernel.step(),
      (r) => r.step(),
    ),
    evaluate: guarded(
      async () => {
        const mse = await kernel.evaluate();
        snapshot = { models: await kernel.models(), step: kernel.steps };
        return mse;
      },
      (r) => r.evaluate(),
    ),
    predictions: guarded(
      () => kernel.predictions(),
      (r) => r.predictions(),
    ),
    models: guarded(
      () => kernel.models(),
      (r) => r.models(),
    ),
    dispose: () => {
      if (active) active.dispose();
      else {
        kernel.dispose();
        device.destroy();
      }
    },
    // The WGSL path runs where nothing is calibrated in the background, so no run switches away
    // from it mid-run; its Adam moments stay on the GPU (a device loss restarts them on tfjs).
    snapshot: () => Promise.reject(new Error('the fused WebGPU kernel does not hand over its Adam state')),
    resume: () => Promise.reject(new Error('the fused WebGPU kernel does not resume another engine')),
    dispatchesPerStep: () => kernel.dispatchesPerStep,
  };
}

/** The tfjs runner training falls back to, from given weights. */
function tfjsFrom(
  models: Model[],
  target: RegressionTarget,
  job: TrainJob,
  backend: BackendInfo,
): PopulationRunner {
  return tfjsRunner(new PopulationTrainer(models, target, { lr: job.lr, layout: backend.layout }));
}

/**
 * Measures the WGSL kernel on the job's workload and takes it when it beats tfjs on the same GPU
 * (or always, when the job forces it with `kernel: 'webgpu'`). Called on a hardware WebGPU adapter,
 * where the calibration chose tfjs-webgpu without measuring; a software adapter (SwiftShader)
 * leaves the CPU to the fused wasm kernel.
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
  const rows = [...(info.calibration ?? [])];
  let runner: (PopulationRunner & { dispatchesPerStep: () => number }) | null = null;
  try {
    signal.throwIfAborted();
    runner = await wgslRunner(inits, target, job.lr, () => Promise.reject(new Error('the kernel failed')));
    const ms = await timeRunner(runner, 1000);
    rows.push({ backend: 'fused-webgpu', layout: 'batched', msPerStep: ms });
    let versus = '';
    if (!forced) {
      signal.throwIfAborted();
      const ref = tfjsFrom(inits, target, job, info);
      let tfjsMs: number;
      try {
        tfjsMs = await timeRunner(ref, Math.max(1000, 2 * ms));
      } finally {
        ref.dispose();
      }
      rows.push({ backend: info.name, layout: info.layout, msPerStep: tfjsMs });
      if (ms >= tfjsMs)
        return {
          ...info,
          calibration: rows,
          kernelReason: `fused WebGPU kernel ${ms.toFixed(1)} ms/step, slower than tfjs ${info.name} (${tfjsMs.toFixed(1)})`,
        };
      versus = ` against tfjs ${info.name} ${tfjsMs.toFixed(1)}`;
    }
    return {
      ...info,
      calibration: rows,
      kernel: { flavour: 'WGSL', workers: 1, path: 'webgpu', dispatchesPerStep: runner.dispatchesPerStep() },
      reason: `fused WebGPU kernel (${runner.dispatchesPerStep()} dispatches a step): ${ms.toFixed(1)} ms/step${forced ? ' (chosen by the job)' : versus}; ${info.reason}`,
    };
  } catch (e) {
    if (signal.aborted) throw e;
    return {
      ...info,
      kernelReason: `fused WebGPU kernel failed: ${e instanceof Error ? e.message : String(e)}`,
    };
  } finally {
    runner?.dispose();
  }
}

/**
 * The WGSL runner for a job whose backend chose it, or null (with the reason in `backend`) when it
 * no longer starts. If it fails mid-run, `onBackend` hears that tfjs took over.
 */
export async function startWgsl(
  job: TrainJob,
  target: RegressionTarget,
  backend: BackendInfo,
  onBackend: (b: BackendInfo) => void,
): Promise<PopulationRunner | null> {
  const inits = job.seeds.map((s) => initModel(job.arch, s));
  try {
    return await wgslRunner(inits, target, job.lr, async (from, why) => {
      backend.kernel = undefined;
      backend.kernelReason = why;
      onBackend({ ...backend });
      return tfjsFrom(from, target, job, backend);
    });
  } catch (e) {
    backend.kernel = undefined;
    backend.kernelReason = `fused WebGPU kernel failed to start: ${e instanceof Error ? e.message : String(e)}`;
    return null;
  }
}
