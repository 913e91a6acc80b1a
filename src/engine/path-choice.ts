/**
 * Which training path runs, from measurements: the WGSL kernel on the GPU ('fused-webgpu'), the
 * fused wasm kernel over all cores ('fused') and tfjs's backends ('webgpu', 'wasm', …), each
 * timed in ms per step on the run's own workload. Pure (no GPU, no timers), so the rule is unit
 * tested where no hardware GPU is at hand (tests/path-choice.test.ts); population training
 * (src/workers/wgsl-path.ts) and classifier runs (src/engine/tf/classifier-path.ts) both call it.
 *
 * The rule: the fastest measured path wins. A software WebGPU adapter (SwiftShader) runs on the
 * same CPU cores as the wasm paths and was measured here ~12× slower per step, so its paths
 * (the WGSL kernel, tfjs-webgpu) are measured and taken only when the best CPU path is slow
 * enough per step that GPU-style batching might win (SOFTWARE_GPU_WORTH_MS, as the tfjs
 * calibration's rule in src/workers/backends.ts). A run that forces the WGSL kernel takes it
 * whenever it started.
 */

/** One path's figure: ms per step, or why it has none. Structurally a calibration table row. */
export interface PathTiming {
  /** 'fused-webgpu' (WGSL kernel), 'fused' (wasm kernel) or a tfjs backend name. */
  backend: string;
  msPerStep?: number;
  error?: string;
  skipped?: string;
}

/** Below this many ms per step on the CPU, a software adapter's WebGPU is not worth a try. */
export const SOFTWARE_GPU_WORTH_MS = 250;

/** The WGSL kernel's row name. */
export const WGSL_PATH = 'fused-webgpu';

/** Paths that run on the WebGPU adapter (software ones run on the CPU's cores). */
const onGpu = (backend: string): boolean => backend === WGSL_PATH || backend === 'webgpu';

/** ms per step for the badge: a tenth of a millisecond, or finer below that (tiny workloads). */
const ms = (x: number): string => (x < 0.1 ? x.toFixed(3) : x.toFixed(1));

/** "fused WebGPU kernel", "fused wasm kernel", "tfjs wasm". */
export function pathName(backend: string): string {
  if (backend === WGSL_PATH) return 'fused WebGPU kernel';
  if (backend === 'fused') return 'fused wasm kernel';
  return `tfjs ${backend}`;
}

const measured = (r: PathTiming): r is PathTiming & { msPerStep: number } =>
  r.msPerStep !== undefined && Number.isFinite(r.msPerStep) && r.msPerStep > 0;

const best = <T extends PathTiming>(rows: readonly T[]): (T & { msPerStep: number }) | null => {
  let b: (T & { msPerStep: number }) | null = null;
  for (const r of rows) if (measured(r) && (!b || r.msPerStep < b.msPerStep)) b = r;
  return b;
};

/**
 * Why a software adapter's GPU path is not worth measuring given the CPU paths measured so far
 * (null: measure it). A hardware adapter's always is.
 */
export function softwareGpuSkip(software: boolean, cpuRows: readonly PathTiming[]): string | null {
  if (!software) return null;
  const b = best(cpuRows.filter((r) => !onGpu(r.backend)));
  if (!b) return null;
  return b.msPerStep < SOFTWARE_GPU_WORTH_MS
    ? `software adapter on the same CPU; the ${pathName(b.backend)} takes ${ms(b.msPerStep)} ms a step (a software GPU is tried only above ${SOFTWARE_GPU_WORTH_MS} ms)`
    : null;
}

export interface PathDecision<T extends PathTiming> {
  /** The row to run, or null when nothing measured (every path failed or was skipped). */
  chosen: T | null;
  /** For the badge: the chosen path's figure against the others', or why none. */
  reason: string;
}

/**
 * Picks the path to train on from `rows` (every candidate, measured or not). `software`: the
 * WebGPU adapter is a software one; `forced`: the run asked for the WGSL kernel.
 */
export function choosePath<T extends PathTiming>(
  rows: readonly T[],
  adapter: { software: boolean },
  forced = false,
): PathDecision<T> {
  const figure = (r: T & { msPerStep: number }): string => `${pathName(r.backend)} ${ms(r.msPerStep)}`;
  if (forced) {
    const w = rows.find((r) => r.backend === WGSL_PATH);
    if (w && measured(w))
      return {
        chosen: w,
        reason: `${pathName(WGSL_PATH)} ${ms(w.msPerStep)} ms/step (chosen by the job)`,
      };
    return { chosen: null, reason: `fused WebGPU kernel: ${w?.error ?? w?.skipped ?? 'not measured'}` };
  }
  const gpuSkip = softwareGpuSkip(adapter.software, rows);
  const eligible = rows.filter((r) => measured(r) && !(gpuSkip && onGpu(r.backend)));
  const chosen = best(eligible);
  if (!chosen) {
    const why = rows.map((r) => `${pathName(r.backend)}: ${r.error ?? r.skipped ?? 'not measured'}`);
    return { chosen: null, reason: `no path measured (${why.join('; ')})` };
  }
  const others = eligible.filter((r) => r !== chosen).sort((a, b) => a.msPerStep! - b.msPerStep!);
  const against =
    others.length > 0
      ? ` against ${others.map((r) => figure(r as T & { msPerStep: number })).join(', ')}`
      : '';
  const skippedGpu = gpuSkip && rows.some((r) => onGpu(r.backend) && measured(r)) ? `; ${gpuSkip}` : '';
  // Every other row says why it has no figure: the badge shows all of them.
  const unmeasured = rows
    .filter((r) => !measured(r) && (r.error !== undefined || r.skipped !== undefined))
    .map(
      (r) =>
        `; ${pathName(r.backend)} ${r.error !== undefined ? `failed: ${r.error}` : `not measured: ${r.skipped}`}`,
    );
  return {
    chosen,
    reason: `${figure(chosen)} ms/step, the fastest measured${against}${skippedGpu}${unmeasured.join('')}`,
  };
}
