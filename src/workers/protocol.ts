/**
 * The one protocol between the app and the engine worker. Every request carries an id; the
 * worker always answers it, with a result or an `error` reply, and long jobs stream `progress`
 * replies with the same id. Big buffers are transferred, never copied.
 */
import type { LabelledDataset } from '../engine/data/dataset';
import type { MlpArch } from '../engine/model';
import type { ImageData01 } from '../engine/inr';
import type { MatmulLayout } from '../engine/tf/stack';
import type { LossPlane } from '../engine/landscape/plane';

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
  /** Accuracy in [0, 1] of a classifier on the data it was measured on (see note). */
  accuracy?: number;
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

/** What a checkpoint holds, shown before it joins the workspace. */
export interface InspectResult {
  token: string;
  format: string;
  files: string[];
  tensors: { name: string; dtype: string; shape: number[] }[];
  architecture: {
    widths: number[];
    layers: { weight: string; bias: string | null }[];
    transposed: boolean[];
  };
  /** Prefilled from the file's metadata where it says; the person confirms. */
  suggested: { activation: MlpArch['activation'] | null; w0: number | null; outputOffset: number | null };
  provenance: string | null;
}

/** How a checkpoint joins the workspace once its activation is confirmed. */
export interface AddCheckpoint {
  token: string;
  name: string;
  activation: MlpArch['activation'];
  w0: number;
  outputOffset: number;
  source: 'checkpoint' | 'sample';
  group?: string;
  seed?: number;
  targetId?: string;
  psnr?: number;
  accuracy?: number;
  note?: string;
}

/** An INR's target image: scored by MSE / PSNR on its coordinate grid. */
export interface ImageTarget {
  kind: 'image';
  id: string;
  image: ImageData01;
}

/**
 * A labelled batch for classifiers (MNIST digits or a dropped dataset): scored by mean
 * cross-entropy / accuracy. `x` and `labels` are transferred, never copied.
 */
export interface ClassificationTarget {
  kind: 'classification';
  /** "mnist" or "dataset:<sha256>". */
  id: string;
  /** What the person sees, e.g. "MNIST (1,000 digits)". */
  label: string;
  /** Inputs [n, inputs]. */
  x: Float32Array;
  labels: Int32Array;
  n: number;
  inputs: number;
  /** Largest label + 1; the model may have more outputs. */
  classes: number;
}

/** Data to score models on. */
export type ScoreTarget = ImageTarget | ClassificationTarget;

/** The buffers of a target to transfer with a request (a classification batch's arrays). */
export function targetTransferables(t: ScoreTarget | null): Transferable[] {
  return t?.kind === 'classification' ? [t.x.buffer as ArrayBuffer, t.labels.buffer as ArrayBuffer] : [];
}

export interface AlignJob {
  refId: string;
  modelIds: string[];
  method: 'weight' | 'activation';
  signed: 'auto' | 'on' | 'off';
  seed: number;
  /** Activation matching runs on these inputs (an image's coordinate grid, a batch's x) when given. */
  target: ScoreTarget | null;
  /** Hidden layer whose similarity matrix is returned before/after (for the heatmap). */
  heatmapLayer: number;
}

export interface AlignSummary {
  entry: ModelEntry;
  sourceId: string;
  method: 'weight' | 'activation';
  signed: boolean;
  sweeps: number;
  objectiveBefore: number;
  objectiveAfter: number;
  objectivePerSweep: number[];
  timeMs: number;
  maxOutputDiff: number;
  outputScale: number;
}

export interface AlignReply {
  results: AlignSummary[];
  heatmap: { layer: number; n: number; before: Float32Array; after: Float32Array } | null;
}

export type PathKind = 'lerp' | 'lerp-aligned' | 'slerp' | 'bezier' | 'polychain';

export interface PathsJob {
  aId: string;
  bId: string;
  kinds: PathKind[];
  points: number;
  curveSteps: number;
  curveSeed: number;
  alignMethod: 'weight' | 'activation';
  target: ScoreTarget;
  /** Reconstructions at this many evenly spaced α per path (the filmstrip; images only). */
  filmstrip: number;
}

export interface PathCurveReply {
  kind: PathKind;
  alphas: Float32Array;
  losses: Float32Array;
  metrics: Float32Array;
  barrier: number;
  barrierAlpha: number;
  /** max_α of the metric's drop below the straight line between its ends (dB, or accuracy in [0, 1]). */
  metricBarrier: number;
  /** [frames, H, W, C] reconstructions at evenly spaced α; empty for classifiers. */
  filmstrip: Float32Array;
  filmAlphas: number[];
  note?: string;
}

export interface CloudJob {
  modelIds: string[];
  /** Align every model to this one first (same architecture only). */
  alignTo: string | null;
  components: number;
  /** Straight paths between these pairs, drawn through the cloud. */
  paths: [string, string][];
}

export interface CloudGroup {
  arch: string;
  ids: string[];
  coords: number[][];
  explainedVarianceRatio: number[];
  paths: { a: string; b: string; coords: number[][] }[];
  note?: string;
}

export interface PlaneJob {
  anchorIds: [string, string, string];
  target: ScoreTarget;
  resolution: number;
  margin: number;
}

/** The engine's loss plane without its basis (which stays in the worker). */
export type PlaneReply = Pick<LossPlane, 'xs' | 'ys' | 'nx' | 'ny' | 'loss' | 'metric'> & {
  anchors: { x: number; y: number }[];
};

/** Loss around one model along random filter-normalised directions (Li et al. 2018, Sec. 4). */
export interface DirectionsJob {
  modelId: string;
  target: ScoreTarget;
  dims: 1 | 2;
  /** Points per axis. */
  points: number;
  /** Coordinates span [−range, range] in units of the filter-normalised direction. */
  range: number;
  seed: number;
}

export interface DirectionsReply {
  dims: 1 | 2;
  xs: Float64Array;
  /** Empty for 1-D. */
  ys: Float64Array;
  /** 1-D: [points]; 2-D: row-major [ys, xs]. */
  loss: Float32Array;
  metric: Float32Array;
}

/** Progress of a long analysis job. */
export interface JobProgress {
  done: number;
  total: number;
  label: string;
}

/** A benchmark run through the real worker (npm run bench drives it in headless Chromium). */
export interface BenchJob {
  kind: 'train' | 'barrier' | 'plane' | 'curve' | 'pca';
  backend: BackendName;
  layout?: MatmulLayout;
  /** SIREN 2→hidden×3→1 on a size×size image. */
  hidden: number;
  size: number;
  /** Population size (train), points (barrier), resolution (plane), steps (curve), models (pca). */
  k: number;
  /** Parameters per model (pca; default 50,000). */
  dim?: number;
  steps: number;
  reps: number;
}

export interface BenchReply {
  /** Milliseconds per repetition, warm-up excluded. */
  times: number[];
  backend: BackendName;
  layout: MatmulLayout;
}

/** Requests the app sends. */
export type Request =
  | { type: 'train'; id: number; payload: TrainJob }
  | { type: 'pause'; id: number; payload: { job: number } }
  | { type: 'resume'; id: number; payload: { job: number } }
  | { type: 'cancel'; id: number; payload: { job: number } }
  | { type: 'inspect'; id: number; payload: { files: { name: string; bytes: Uint8Array }[] } }
  | { type: 'parse-dataset'; id: number; payload: { name: string; bytes: Uint8Array } }
  | { type: 'add-checkpoint'; id: number; payload: AddCheckpoint }
  | { type: 'export'; id: number; payload: { modelId: string; format: 'safetensors' | 'npz' } }
  | { type: 'remove'; id: number; payload: { modelId: string } }
  | { type: 'align'; id: number; payload: AlignJob }
  | { type: 'paths'; id: number; payload: PathsJob }
  | {
      type: 'render';
      id: number;
      payload: { aId: string; bId: string; kind: PathKind; alpha: number; target: ScoreTarget };
    }
  | { type: 'cloud'; id: number; payload: CloudJob }
  | { type: 'plane'; id: number; payload: PlaneJob }
  | { type: 'bench'; id: number; payload: BenchJob }
  | { type: 'directions'; id: number; payload: DirectionsJob };

/** Replies the worker sends. */
export type Reply =
  | { type: 'progress'; id: number; payload: TrainProgress }
  | { type: 'job-progress'; id: number; payload: JobProgress }
  | { type: 'backend'; id: number; payload: BackendInfo }
  | { type: 'trained'; id: number; payload: TrainResult }
  | { type: 'inspected'; id: number; payload: InspectResult }
  | { type: 'dataset'; id: number; payload: LabelledDataset }
  | { type: 'models'; id: number; payload: { entries: ModelEntry[] } }
  | { type: 'exported'; id: number; payload: { bytes: Uint8Array; filename: string } }
  | { type: 'aligned'; id: number; payload: AlignReply }
  | { type: 'paths'; id: number; payload: { curves: PathCurveReply[] } }
  /** `image` is the reconstruction at α for INRs, empty for classifiers. */
  | { type: 'rendered'; id: number; payload: { image: Float32Array; loss: number; metric: number } }
  | { type: 'cloud'; id: number; payload: { groups: CloudGroup[] } }
  | { type: 'plane'; id: number; payload: PlaneReply }
  | { type: 'bench'; id: number; payload: BenchReply }
  | { type: 'directions'; id: number; payload: DirectionsReply }
  | { type: 'ok'; id: number; payload: null }
  | { type: 'error'; id: number; payload: { name: string; message: string } };

/** The buffers of a reply that should be transferred rather than copied. */
export function transferables(reply: Reply): Transferable[] {
  switch (reply.type) {
    case 'progress':
      return reply.payload.predictions ? [reply.payload.predictions.buffer as ArrayBuffer] : [];
    case 'exported':
      return [reply.payload.bytes.buffer as ArrayBuffer];
    case 'paths':
      return reply.payload.curves.flatMap(
        (c) => [c.alphas.buffer, c.losses.buffer, c.metrics.buffer, c.filmstrip.buffer] as ArrayBuffer[],
      );
    case 'rendered':
      return [reply.payload.image.buffer as ArrayBuffer];
    case 'dataset':
      // x and labels may be views of one buffer (a stored .npz): each buffer once.
      return [...new Set([reply.payload.x.buffer, reply.payload.labels.buffer] as ArrayBuffer[])];
    case 'plane':
    case 'directions':
      return [reply.payload.loss.buffer, reply.payload.metric.buffer] as ArrayBuffer[];
    default:
      return [];
  }
}
