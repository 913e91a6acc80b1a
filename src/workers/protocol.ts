/**
 * The one protocol between the app and the engine worker. Every request carries an id; the
 * worker always answers it, with a result or an `error` reply, and long jobs stream `progress`
 * replies with the same id. Big buffers are transferred, never copied.
 */
import type { MlpArch } from '../engine/model';
import type { ImageData01 } from '../engine/inr';
import type { MatmulLayout } from '../engine/tf/stack';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

/** One candidate's calibration figure. */
export interface CalibrationRow {
  backend: BackendName;
  layout: MatmulLayout;
  msPerStep?: number;
  error?: string;
}

/** Which backend runs the engine, and why. */
export interface BackendInfo {
  name: BackendName;
  layout: MatmulLayout;
  reason: string;
  adapter?: { fallback: boolean; description: string } | null;
  calibration?: CalibrationRow[];
}

/** Metadata of one model held by the worker; weights stay in the worker. */
export interface ModelEntry {
  id: string;
  name: string;
  arch: MlpArch;
  params: number;
  source: 'trained' | 'checkpoint' | 'sample' | 'aligned' | 'path';
  seed?: number;
  group?: string;
  /** Id of the target image the model is scored on, when it is an INR. */
  targetId?: string;
  psnr?: number;
  note?: string;
}

export interface TrainJob {
  arch: MlpArch;
  seeds: number[];
  target: ImageData01;
  targetId: string;
  targetLabel: string;
  steps: number;
  lr: number;
  evalEvery: number;
  batchFraction: number;
  noiseSeed: number;
  backend: BackendPreference;
  group: string;
}

export interface TrainProgress {
  step: number;
  steps: number;
  /** Per-member MSE at `step`. */
  mse: Float32Array;
  stepsPerSec: number;
  elapsedMs: number;
  /** Reconstructions [K, H, W, C], sent at most a few times a second. */
  predictions?: Float32Array;
  phase: 'calibrating' | 'training';
}

export interface TrainResult {
  steps: number;
  mse: Float32Array;
  models: ModelEntry[];
  cancelled: boolean;
  backend: BackendInfo;
}

/** Requests the app sends. */
export type Request =
  | { type: 'train'; id: number; payload: TrainJob }
  | { type: 'pause'; id: number; payload: { job: number } }
  | { type: 'resume'; id: number; payload: { job: number } }
  | { type: 'cancel'; id: number; payload: { job: number } }
  | { type: 'export'; id: number; payload: { modelId: string; format: 'safetensors' | 'npz' } };

/** Replies the worker sends. */
export type Reply =
  | { type: 'progress'; id: number; payload: TrainProgress }
  | { type: 'backend'; id: number; payload: BackendInfo }
  | { type: 'trained'; id: number; payload: TrainResult }
  | { type: 'exported'; id: number; payload: { bytes: Uint8Array; filename: string } }
  | { type: 'ok'; id: number; payload: null }
  | { type: 'error'; id: number; payload: { name: string; message: string } };

/** The buffers of a reply that should be transferred rather than copied. */
export function transferables(reply: Reply): Transferable[] {
  switch (reply.type) {
    case 'progress':
      return reply.payload.predictions ? [reply.payload.predictions.buffer as ArrayBuffer] : [];
    case 'exported':
      return [reply.payload.bytes.buffer as ArrayBuffer];
    default:
      return [];
  }
}
