/**
 * Backend choice (docs/ARCHITECTURE.md, 'Backend choice'): a real GPU's WebGPU adapter wins outright; with a
 * software fallback adapter (SwiftShader) or none, a short calibration on the actual workload
 * decides among webgpu, webgl, wasm and cpu.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { MatmulLayout } from '../engine/tf/stack';
import type { BackendInfo, BackendName, BackendPreference, CalibrationRow } from './protocol';

/**
 * tfjs-wasm picks its threaded build whenever the page is cross-origin isolated. Measured here (2
 * cores), threads were slower than SIMD alone (sine step 163 vs 136 ms, docs/ARCHITECTURE.md, 'Backend choice'):
 * the worker already takes one core and the page the other. So threads are used only where there
 * are cores to spare, and the thread count leaves one for the page.
 */
const cores = globalThis.navigator?.hardwareConcurrency || 1;
if (cores <= 2) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
else setThreadsCount(Math.min(8, cores - 1));

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

interface AdapterProbe {
  available: boolean;
  fallback: boolean;
  description: string;
}

interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: { isFallbackAdapter?: boolean; vendor?: string; architecture?: string; description?: string };
}

/** Asks WebGPU for an adapter and whether it is a software fallback. */
export async function probeAdapter(): Promise<AdapterProbe> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu;
  if (!gpu) return { available: false, fallback: false, description: 'navigator.gpu is missing' };
  let adapter: GpuAdapterLike | null = null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return { available: false, fallback: false, description: `requestAdapter failed: ${String(e)}` };
  }
  if (!adapter) return { available: false, fallback: false, description: 'no WebGPU adapter' };
  const fallback = Boolean(adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter);
  const info = adapter.info;
  const description =
    [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unnamed adapter';
  return { available: true, fallback, description };
}

let current: BackendName | null = null;

/**
 * Analysis jobs (paths, planes) run on the backend training chose; before any training they take
 * wasm, falling back to cpu. (tf.getBackend() alone would silently start the highest-priority
 * backend, webgpu, even on a software adapter.)
 */
export async function ensureBackend(): Promise<BackendName> {
  if (current) return current;
  try {
    await useBackend('wasm');
  } catch {
    await useBackend('cpu');
  }
  return current!;
}

/** Switches tfjs to a backend, checking it really took (setBackend returns false, it does not throw). */
export async function useBackend(name: BackendName): Promise<void> {
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (e) {
    throw new Error(`${name} failed to start: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!ok || tf.getBackend() !== name) throw new Error(`${name} is not available in this browser`);
  current = name;
}

/**
 * The matmul layout used when a backend is chosen without measuring: tfjs-wasm runs only 2-D
 * non-transposed matmuls fast (measured here: split 2.4× faster than batched for 8 SIRENs 3×64
 * at 64×64); the GPU backends prefer one batched dispatch.
 */
export const defaultLayout = (name: BackendName): MatmulLayout => (name === 'wasm' ? 'split' : 'batched');

/** One backend + layout to calibrate, and when it is not worth measuring. */
export interface Candidate {
  name: BackendName;
  layout: MatmulLayout;
  /**
   * Why to skip this candidate given the fastest so far (ms per step) and the adapter, or null to
   * measure it. Lets a new candidate (a fused kernel path, say) state its own rule in one place.
   */
  skip?: (bestMs: number | null, adapter: AdapterProbe) => string | null;
}

/**
 * A software WebGPU adapter (SwiftShader) runs on the same CPU cores as tfjs-wasm, and measured
 * here ~12× slower per step (DESIGN 'Backend choice'); its warm-up alone took 31–33 s. It is worth
 * measuring only when the best so far is slow enough per step that GPU-style batching might win.
 */
export const SOFTWARE_WEBGPU_WORTH_MS = 250;

/** The calibration candidates, in order: the likely winner first, so later budgets are tight. */
export const CANDIDATES: readonly Candidate[] = [
  { name: 'wasm', layout: 'split' },
  { name: 'wasm', layout: 'batched' },
  { name: 'webgl', layout: 'batched' },
  {
    name: 'cpu',
    layout: 'batched',
    // The plain-JS backend is the fallback of the fallback: never faster than wasm when wasm runs.
    skip: (best) => (best !== null ? 'only measured when wasm cannot run' : null),
  },
  {
    name: 'webgpu',
    layout: 'batched',
    skip: (best, adapter) => {
      if (!adapter.available) return 'no WebGPU adapter';
      if (adapter.fallback && best !== null && best < SOFTWARE_WEBGPU_WORTH_MS)
        return `software adapter on the same CPU; the best so far takes ${best.toFixed(1)} ms a step (measured only above ${SOFTWARE_WEBGPU_WORTH_MS} ms)`;
      return null;
    },
  },
];

/** Longest any one candidate may take, warm-up included, before it is abandoned. */
export const CANDIDATE_TIME_BOX_MS = 3000;

/**
 * Resolves as `work` does, or rejects with TooSlowError after `ms`, or with the signal's reason
 * when it aborts: so Stop and the time box act at once, even while a backend compiles shaders.
 */
export function timeBoxed<T>(work: Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TooSlowError(`no answer within ${ms} ms`)), ms);
    const onAbort = () => reject(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  });
}

/**
 * Picks the backend and matmul layout. `measure` runs a few steps of the real workload on the
 * current backend with a layout and returns ms per step; it gets a time budget so that a very
 * slow candidate is cut short after its warm-up step, and each candidate is time-boxed as a whole.
 * `reuse` is an earlier calibration of the same workload shape (the app keeps them): when it was
 * made on this adapter and its backend starts, it is taken without measuring anything.
 */
export async function chooseBackend(
  preference: BackendPreference,
  measure: (layout: MatmulLayout, budgetMs: number) => Promise<number>,
  onCalibrating?: (backend: BackendName) => void,
  signal?: AbortSignal,
  reuse?: BackendInfo,
): Promise<BackendInfo> {
  const probe = await probeAdapter();
  const adapter = probe.available ? { fallback: probe.fallback, description: probe.description } : null;
  if (preference !== 'auto') {
    await useBackend(preference);
    return { name: preference, layout: defaultLayout(preference), reason: 'chosen by hand', adapter };
  }
  if (probe.available && !probe.fallback) {
    try {
      await useBackend('webgpu');
      return {
        name: 'webgpu',
        layout: 'batched',
        reason: `hardware WebGPU adapter (${probe.description})`,
        adapter,
      };
    } catch {
      // fall through to calibration
    }
  }
  if (reuse && (reuse.adapter?.description ?? null) === (adapter?.description ?? null)) {
    try {
      await useBackend(reuse.name);
      const again = reuse.reason.endsWith('(reused)') ? reuse.reason : `${reuse.reason} (reused)`;
      return { ...reuse, reason: again, adapter };
    } catch {
      // The stored winner no longer starts: calibrate afresh.
    }
  }
  const why = probe.available
    ? `WebGPU adapter is a software fallback (${probe.description})`
    : `no WebGPU (${probe.description})`;
  const rows: CalibrationRow[] = [];
  let best: { name: BackendName; layout: MatmulLayout; ms: number } | null = null;
  for (const c of CANDIDATES) {
    signal?.throwIfAborted();
    const skipped = c.skip?.(best?.ms ?? null, probe) ?? null;
    if (skipped) {
      rows.push({ backend: c.name, layout: c.layout, skipped });
      continue;
    }
    onCalibrating?.(c.name);
    try {
      // Not time-boxed: an abandoned setBackend would switch the engine later, under another candidate.
      await useBackend(c.name);
      // A candidate gets a budget of a few times the best so far: no point finishing a slow one.
      const budget: number = best ? Math.max(300, best.ms * 6) : CANDIDATE_TIME_BOX_MS;
      const ms: number = await timeBoxed(measure(c.layout, budget), CANDIDATE_TIME_BOX_MS, signal);
      rows.push({ backend: c.name, layout: c.layout, msPerStep: ms });
      if (!best || ms < best.ms) best = { name: c.name, layout: c.layout, ms };
    } catch (e) {
      signal?.throwIfAborted();
      rows.push({ backend: c.name, layout: c.layout, error: e instanceof Error ? e.message : String(e) });
    }
  }
  if (!best)
    throw new Error(`no tfjs backend could run: ${rows.map((r) => `${r.backend}: ${r.error}`).join('; ')}`);
  await useBackend(best.name);
  return {
    name: best.name,
    layout: best.layout,
    reason: `${why}; calibration picked the fastest`,
    adapter,
    calibration: rows,
  };
}

/** Thrown by `measure` when a backend runs past its calibration budget. */
export class TooSlowError extends Error {
  override name = 'TooSlowError';
}
