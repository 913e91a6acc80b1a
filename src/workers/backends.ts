/**
 * Backend choice (DESIGN, 'Backend choice'): a real GPU's WebGPU adapter wins outright; with a
 * software fallback adapter (SwiftShader) or none, a short calibration on the actual workload
 * decides among webgpu, webgl, wasm and cpu.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { BackendInfo, BackendName, BackendPreference, CalibrationRow } from './protocol';

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
  const description = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unnamed adapter';
  return { available: true, fallback, description };
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
}

/**
 * Picks the backend. `measure` runs a few steps of the real workload on the current backend and
 * returns ms per step (it is given a time budget so a very slow backend is cut short).
 */
export async function chooseBackend(
  preference: BackendPreference,
  measure: (budgetMs: number) => Promise<number>,
  onCalibrating?: (backend: BackendName) => void,
): Promise<BackendInfo> {
  const probe = await probeAdapter();
  const adapter = probe.available ? { fallback: probe.fallback, description: probe.description } : null;
  if (preference !== 'auto') {
    await useBackend(preference);
    return { name: preference, reason: 'chosen by hand', adapter };
  }
  if (probe.available && !probe.fallback) {
    try {
      await useBackend('webgpu');
      return { name: 'webgpu', reason: `hardware WebGPU adapter (${probe.description})`, adapter };
    } catch {
      // fall through to calibration
    }
  }
  const why = probe.available ? `WebGPU adapter is a software fallback (${probe.description})` : `no WebGPU (${probe.description})`;
  const candidates: BackendName[] = probe.available ? ['wasm', 'webgl', 'webgpu', 'cpu'] : ['wasm', 'webgl', 'cpu'];
  const rows: CalibrationRow[] = [];
  let best: { name: BackendName; ms: number } | null = null;
  for (const name of candidates) {
    onCalibrating?.(name);
    try {
      await useBackend(name);
      // Give later candidates at most 3× the best so far: no point finishing a slow one.
      const ms = await measure(best ? Math.max(300, best.ms * 3 * 3) : 6000);
      rows.push({ backend: name, msPerStep: ms });
      if (!best || ms < best.ms) best = { name, ms };
    } catch (e) {
      rows.push({ backend: name, error: e instanceof Error ? e.message : String(e) });
    }
  }
  if (!best) throw new Error(`no tfjs backend could run: ${rows.map((r) => `${r.backend}: ${r.error}`).join('; ')}`);
  await useBackend(best.name);
  return { name: best.name, reason: `${why}; calibration picked the fastest`, adapter, calibration: rows };
}

/** Thrown by `measure` when a backend runs past its calibration budget. */
export class TooSlowError extends Error {
  override name = 'TooSlowError';
}
