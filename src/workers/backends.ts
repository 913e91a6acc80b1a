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

export interface AdapterProbe {
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
  {
    name: 'webgl',
    layout: 'batched',
    // WebGPU's adapter being a software fallback means this browser has no GPU: its WebGL is
    // software too (SwiftShader), on the cores the other paths use.
    skip: (best, adapter) =>
      adapter.fallback && best !== null && best < SOFTWARE_WEBGPU_WORTH_MS
        ? `no GPU in this browser (WebGPU's adapter is a software fallback); the best so far takes ${best.toFixed(1)} ms a step`
        : null,
  },
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

/** What `measure` gets: the layout to time and a budget after which it should give up. */
export type Measure = (layout: MatmulLayout, budgetMs: number) => Promise<number>;

/**
 * The choice that needs no measuring, or null (with the adapter probe) when calibration must
 * decide: a backend chosen by hand; a hardware GPU's WebGPU, which wins outright; or `reuse`, an
 * earlier calibration of the same workload shape (the app keeps them), when it was made on this
 * adapter and its backend still starts. The chosen tfjs backend is active on return.
 */
export async function immediateChoice(
  preference: BackendPreference,
  reuse?: BackendInfo,
): Promise<{ info: BackendInfo | null; probe: AdapterProbe }> {
  const probe = await probeAdapter();
  const adapter = probe.available ? { fallback: probe.fallback, description: probe.description } : null;
  if (preference !== 'auto') {
    await useBackend(preference);
    const info = { name: preference, layout: defaultLayout(preference), reason: 'chosen by hand', adapter };
    return { info, probe };
  }
  if (probe.available && !probe.fallback) {
    try {
      await useBackend('webgpu');
      const reason = `hardware WebGPU adapter (${probe.description})`;
      return { info: { name: 'webgpu', layout: 'batched', reason, adapter }, probe };
    } catch {
      // fall through to calibration
    }
  }
  if (reuse && (reuse.adapter?.description ?? null) === (adapter?.description ?? null)) {
    try {
      await useBackend(reuse.name);
      const again = reuse.reason.endsWith('(reused)') ? reuse.reason : `${reuse.reason} (reused)`;
      // A switch belonged to the run that calibrated; this one starts on the winner.
      return { info: { ...reuse, reason: again, adapter, calibrating: false, switched: undefined }, probe };
    } catch {
      // The stored winner no longer starts: calibrate afresh.
    }
  }
  return { info: null, probe };
}

/** Why calibration decides at all, for the badge. */
export function calibrationWhy(probe: AdapterProbe): string {
  return probe.available
    ? `WebGPU adapter is a software fallback (${probe.description})`
    : `no WebGPU (${probe.description})`;
}

/**
 * Measures one candidate on the real workload, or says why it is skipped given the fastest so far
 * (`bestMs`, any path, the fused kernel's included). The candidate gets a budget of a few times
 * the best (no point finishing a slow one) and a time box as a whole. tfjs is left on the
 * candidate's backend: the caller switches back.
 */
export async function measureCandidate(
  c: Candidate,
  bestMs: number | null,
  probe: AdapterProbe,
  measure: Measure,
  signal?: AbortSignal,
): Promise<CalibrationRow> {
  const skipped = c.skip?.(bestMs, probe) ?? null;
  if (skipped) return { backend: c.name, layout: c.layout, skipped };
  try {
    // Not time-boxed: an abandoned setBackend would switch the engine later, under another candidate.
    await useBackend(c.name);
    const budget = bestMs !== null ? Math.max(300, bestMs * 6) : CANDIDATE_TIME_BOX_MS;
    const ms = await timeBoxed(measure(c.layout, budget), CANDIDATE_TIME_BOX_MS, signal);
    return { backend: c.name, layout: c.layout, msPerStep: ms };
  } catch (e) {
    signal?.throwIfAborted();
    if (e instanceof TooSlowError)
      return {
        backend: c.name,
        layout: c.layout,
        skipped: `cut short, already slower than the best: ${e.message}`,
      };
    return { backend: c.name, layout: c.layout, error: e instanceof Error ? e.message : String(e) };
  }
}

/** The fastest measured row, or null. */
export function fastest(rows: readonly CalibrationRow[]): CalibrationRow | null {
  let best: CalibrationRow | null = null;
  for (const r of rows) if (r.msPerStep !== undefined && (!best || r.msPerStep < best.msPerStep!)) best = r;
  return best;
}

/** Thrown by `measure` when a backend runs past its calibration budget. */
export class TooSlowError extends Error {
  override name = 'TooSlowError';
}
