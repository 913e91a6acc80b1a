/**
 * The one protocol between the app and the engine worker. Every request carries an id; the
 * worker always answers it, with a result or an `error` reply, and long jobs stream `progress`
 * replies with the same id. Big buffers are transferred, never copied.
 */
import type { ClassifierSettings, ClassifierTraining } from '../engine/classifier/settings';
import type { PaperClaim } from '../engine/classifier/presets/common';
import type { MidpointScore } from '../engine/classifier/presets/repair';
import type { SoupIngredient } from '../engine/classifier/presets/soup';
import type { WidthPoint } from '../engine/classifier/presets/widths';
import type { TensorLayout } from '../engine/checkpoints/layout';
import type { ExportFormat } from '../engine/checkpoints/snippet';
import type { LabelledDataset } from '../engine/data/dataset';
import type { EpochRecord } from '../engine/tf/classifier-run';
import type { MlpArch, Model } from '../engine/model';
import type { ImageData01 } from '../engine/inr';
import type { MatmulLayout } from '../engine/tf/stack';
import type { LossPlane } from '../engine/landscape/plane';
import type { PathKind } from '../engine/experiment/schema';
import type { EngineSchedule } from '../engine/experiment/engine-schedule';
import type { MatchingMethodName } from '../engine/merge/matching-name';
import type { MergeRecipe } from '../engine/merge/recipe';
import type { MergeScore, MergeSweep, SweepParam } from '../engine/tf/merge-run';
import type { WsAugment, WsEpoch, WsMethod, WsResult } from '../engine/weightspace/types';
import type { ClassifierZooSettings } from '../engine/zoo/classifier-source';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

/** One candidate's calibration figure. */
export interface CalibrationRow {
  /** A tfjs backend, or 'fused' for the fused WebAssembly kernel (src/engine/kernels). */
  backend: BackendName | 'fused' | 'fused-webgpu';
  layout: MatmulLayout;
  msPerStep?: number;
  error?: string;
  /** Why it was not measured. */
  skipped?: string;
}

/** Which backend runs the engine, and why. */
export interface BackendInfo {
  name: BackendName;
  layout: MatmulLayout;
  reason: string;
  adapter?: { fallback: boolean; description: string } | null;
  calibration?: CalibrationRow[];
  /**
   * Set when population training runs on the fused WebAssembly kernel instead of tfjs (`name`
   * is then the tfjs backend of everything else): its SIMD build and how many workers share the
   * members.
   */
  kernel?: {
    flavour: string;
    workers: number;
    /** 'webgpu': the WGSL kernel (src/engine/kernels/wgsl) on a GPUDevice; absent: WebAssembly. */
    path?: 'wasm' | 'webgpu';
    /** GPU dispatches per Adam step (WGSL path). */
    dispatchesPerStep?: number;
  };
  /** Why training did not run on the fused kernel, when it did not. */
  kernelReason?: string;
  /**
   * True while the training job measures the other paths in the background (it trains on the
   * likely winner meanwhile); such a choice is provisional and is not stored for reuse.
   */
  calibrating?: boolean;
  /** Set when the job switched path mid-run: from what, at which step, and why. */
  switched?: string;
  /**
   * Set when the job follows a link's engine schedule (TrainJob.schedule): the sender's, what ran
   * here so far, and where they differ (null: the same paths, switched at the same steps).
   */
  replay?: { sender: EngineSchedule; here: EngineSchedule; differs: string | null };
}

/** Metadata of one model held by the worker; weights stay in the worker. */
export interface ModelEntry {
  /** The worker's handle for the weights it holds (valid in this page only). */
  id: string;
  /**
   * The model's identity (engine/experiment/model-id.ts), what a link names it by; set by the app
   * when the model joins the workspace. Absent: the model cannot be named in a link.
   */
  ref?: string;
  /** Set by the app on trained members: the engine paths that trained them (a link carries it). */
  trainedOn?: EngineSchedule;
  name: string;
  arch: MlpArch;
  params: number;
  source: 'trained' | 'checkpoint' | 'sample' | 'aligned' | 'path' | 'merge';
  /**
   * The model by identity, as a shared link names it: `sample:<name>`, `file:<sha256>`, or a merge
   * recipe's id. Absent for models a link cannot name yet.
   */
  identity?: string;
  /** A merged model's recipe (JSON), written into its download's metadata. */
  recipe?: string;
  /**
   * An aligned model's permutations (JSON, engine/align/permutation-export.ts), written into its
   * download's metadata and offered as a download of its own.
   */
  permutation?: string;
  seed?: number;
  group?: string;
  /** Id of the target image the model is scored on, when it is an INR. */
  targetId?: string;
  psnr?: number;
  /** Accuracy in [0, 1] of a classifier on the data it was measured on (see note). */
  accuracy?: number;
  note?: string;
  /** Workspace id of the model this one was fine-tuned from (its task vector's base). */
  base?: string;
  /**
   * The tensor names, orientation and dtype of the file the model (or the model it was made
   * from) was read from; downloads keep them. Absent: a model Weightscope created, downloaded
   * with nn.Sequential names.
   */
  layout?: TensorLayout;
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
  /** An earlier calibration of this workload shape, reused when the adapter is the same. */
  calibration?: BackendInfo;
  /**
   * 'tfjs': with no stored calibration, start on tfjs and let the background calibration decide
   * (which then usually switches to the fused kernel mid-run): how the browser test exercises a
   * switch. Default: start on the likely winner.
   */
  startOn?: 'tfjs';
  /**
   * Force a fused path ('webgpu': the WGSL kernel, even on a software adapter) instead of letting
   * the calibration choose; default 'auto'. For tests and the curious.
   */
  kernel?: 'auto' | 'webgpu';
  /**
   * A link's engine schedule (engine/experiment/engine-schedule.ts): train on these paths,
   * switching at these steps, with no calibration; where a path cannot run here, the closest one
   * runs and `BackendInfo.replay` says so. Overrides `backend`, `calibration` and `startOn`.
   */
  schedule?: EngineSchedule;
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
  /** Stop ended the run before its last step: the models are partly trained. */
  stopped: boolean;
  backend: BackendInfo;
  /** The engine paths that trained the members, and from which step (what a link carries). */
  schedule: EngineSchedule;
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
  /** `sample:<name>` or `file:<sha256>` (see ModelEntry.identity). */
  identity?: string;
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
  method: MatchingMethodName;
  signed: 'auto' | 'on' | 'off';
  seed: number;
  /** Seeds seed … seed+restarts−1 are tried per model; the best objective is kept (default 1). */
  restarts?: number;
  /** STE's gradient steps per model and restart (default DEFAULT_STE_STEPS); other methods ignore it. */
  steSteps?: number;
  /**
   * Activation matching runs on these inputs (an image's coordinate grid, a batch's x) when given;
   * STE matching trains on them (required).
   */
  target: ScoreTarget | null;
  /** Hidden layer whose similarity matrix is returned before/after (for the heatmap). */
  heatmapLayer: number;
}

export interface AlignSummary {
  entry: ModelEntry;
  sourceId: string;
  method: MatchingMethodName;
  /** Every restart's seed and objective, the kept one's index, and what the objective is. */
  restarts: { seed: number; objective: number }[];
  bestRestart: number;
  objective: { name: string; better: 'higher' | 'lower' };
  /** STE: the kept permutation's midpoint loss, weight matching's, and the loss per step. */
  ste?: { midpointLoss: number; weightMatchingLoss: number; lossPerStep: number[]; bestStep: number };
  signed: boolean;
  sweeps: number;
  objectiveBefore: number;
  objectiveAfter: number;
  objectivePerSweep: number[];
  timeMs: number;
  maxOutputDiff: number;
  outputScale: number;
  /** The engine's verdict (align/common.ts, proofVerdict) and the tolerance it used. */
  proved: boolean;
  tolerance: number;
}

export interface AlignReply {
  results: AlignSummary[];
  heatmap: { layer: number; n: number; before: Float32Array; after: Float32Array } | null;
}

export interface PathsJob {
  aId: string;
  bId: string;
  kinds: PathKind[];
  points: number;
  curveSteps: number;
  curveSeed: number;
  alignMethod: MatchingMethodName;
  target: ScoreTarget;
  /** Reconstructions at this many evenly spaced α per path (the filmstrip; images only). */
  filmstrip: number;
  /**
   * Training data of the same task, when `target` is held out (MNIST): each path is also scored
   * on it (PathCurveReply.train) and Bezier/polychain curves are trained on it. Absent: one data set.
   */
  trainTarget?: ClassificationTarget;
}

/** A path's curve on the training data (plain numbers: a few dozen points). */
export interface PathTrainCurve {
  losses: number[];
  metrics: number[];
  barrier: number;
  barrierAlpha: number;
  metricBarrier: number;
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
  /** The same path scored on the job's `trainTarget` (absent without one). */
  train?: PathTrainCurve;
  /** Bezier/polychain: the curve-training loss per step (mean over the step's t samples). */
  curveLoss?: number[];
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
  /** Mean Euclidean distance over all pairs, in the full (aligned, if aligned) weight space. */
  meanDistance: number;
  /** The model this group was aligned to (its own architecture), or null for a raw map. */
  referenceId: string | null;
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

/**
 * A merge: the recipe names models by identity; `ids` maps each identity to the workspace model
 * that has it. The merged model joins the workspace as `name`.
 */
export interface MergeJob {
  recipe: MergeRecipe;
  ids: Record<string, string>;
  target: ScoreTarget;
  name: string;
}

export interface MergeReply {
  entry: ModelEntry;
  /** Base, inputs and merge on the target (loss; PSNR in dB or accuracy in [0, 1]). */
  scores: MergeScore[];
  /** INRs: the merge's reconstruction [H, W, C]; empty for classifiers. */
  reconstruction: Float32Array;
}

/** The merge's score against λ or one input's weight. */
export interface MergeSweepJob {
  recipe: MergeRecipe;
  ids: Record<string, string>;
  target: ScoreTarget;
  param: SweepParam;
  values: number[];
}

/** Progress of a long analysis job. */
export interface JobProgress {
  done: number;
  total: number;
  label: string;
  /** Classifier training: every epoch finished so far, one value per member (the live curves). */
  history?: EpochRecord[];
  /** Classifier training: which path trains (fused kernel or tfjs, with the reason). */
  kernel?: string;
  /** Weight-space training (zoo-train): every epoch of the running method so far (its live curve). */
  wsEpochs?: WsEpoch[];
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
  /** 'curve': train on the fused wasm kernel, as the app does, instead of the tfjs backend. */
  kernel?: boolean;
}

export interface BenchReply {
  /** Milliseconds per repetition, warm-up excluded. */
  times: number[];
  backend: BackendName;
  layout: MatmulLayout;
}

/** What a classifier job trains on: the packed MNIST bytes (the app's split), or a dropped dataset. */
export type ClassifierDataSpec =
  | { kind: 'mnist'; bin: Uint8Array }
  | { kind: 'dataset'; name: string; dataset: LabelledDataset; heldOutFraction: number; seed: number };

export interface ClassifierTrainJob {
  settings: ClassifierSettings;
  data: ClassifierDataSpec;
  group: string;
  /**
   * 'webgpu': train on the WGSL kernel even on a software adapter (tests), refusing when it
   * cannot; default 'auto' (WGSL on a hardware adapter where it covers the run, else wasm or tfjs).
   */
  kernel?: 'auto' | 'webgpu';
}

export interface ClassifierTrainReply {
  models: ModelEntry[];
  history: EpochRecord[];
  /** Ended early by Stop (the models trained so far still joined). */
  stopped: boolean;
  /** The split in words. */
  description: string;
  /** Which path trained, e.g. "fused wasm relaxed × 1 worker" or "tfjs wasm (fused kernel: …)". */
  kernel: string;
}

export interface ClassifierFineTuneJob {
  baseId: string;
  data: ClassifierDataSpec;
  /** One subset: a fine-tuned model; several: one task model per subset. */
  subsets: number[][];
  training: ClassifierTraining;
  seed: number;
}

export interface ClassifierFineTuneReply {
  models: ModelEntry[];
  /** Held-out accuracy on the subset's classes before and after, and on all classes after. */
  results: { classes: string; before: number; after: number; allAfter: number }[];
}

export type PresetName = 'rebasin' | 'widths' | 'repair' | 'soup';

export interface ClassifierPresetJob {
  preset: PresetName;
  /** The packed MNIST bytes (/data/mnist.bin), transferred. */
  mnist: Uint8Array;
  /** Hidden widths; empty: the preset's own (e.g. 512, 512, 512 for Git Re-Basin). */
  hidden: number[];
  /** The widths swept by 'widths'. */
  widths: number[];
  /** Training epochs; 0: the preset's own. */
  epochs: number;
  seed: number;
}

/** A path curve as plain numbers. */
export interface CurveData {
  alphas: number[];
  losses: number[];
  accuracies: number[];
  barrier: number;
  accuracyDrop: number;
}

export interface ClassifierPresetReply {
  preset: PresetName;
  models: ModelEntry[];
  curves?: { method: string; train: CurveData | null; heldOut: CurveData }[];
  points?: WidthPoint[];
  endpoints?: { accuracy: number; loss: number };
  midpoints?: MidpointScore[];
  soup?: {
    base: number;
    ingredients: SoupIngredient[];
    bestSingle: number;
    uniform: number;
    greedy: number;
    greedyMembers: number;
  };
  notes: string[];
  paper: PaperClaim;
  /** What ran, in words (architecture, epochs), to read beside the paper's setup. */
  setup: string;
  seconds: number;
}

/** The payload of a job that stands for another job (pause, resume, stop, cancel). */
/** Fit a zoo: one SIREN per MNIST digit (DWSNets setting by default), or one image under many seeds. */
export interface ZooFitJob {
  /** The packed MNIST file (data/mnist.ts), copied to the worker. */
  mnist: Uint8Array;
  perClass: number;
  classes: number[];
  size: number;
  hidden: number[];
  steps: number;
  psnr: number;
  seed: number;
  lr: number;
  /** Members trained at once; default the largest that fits the worker's memory budget. */
  batch?: number;
  /** Instead of MNIST: one image fitted `count` times from different seeds (labels all 0). */
  image?: { data: ImageData01; name: string; count: number };
}

/** Build a zoo of MNIST classifiers labelled by init seed or by task (engine/zoo/classifier-source.ts). */
export interface ZooClassifiersJob extends ClassifierZooSettings {
  /** The packed MNIST file (data/mnist.ts), copied to the worker. */
  mnist: Uint8Array;
}

/** What the app shows of the worker's zoo (its weights stay in the worker). */
export interface ZooSummary {
  name: string;
  n: number;
  arch: MlpArch;
  archInferred: boolean;
  labels: Int32Array;
  labelNames: string[] | null;
  split: { train: number; val: number; test: number } | null;
  psnr: Float32Array | null;
  inr: { height: number; width: number; channels: number } | null;
  source: string | null;
  /** Members shown in the grid, and their reconstructions [shown, H, W, C] (empty without inr). */
  thumbIndex: Int32Array;
  thumbs: Float32Array;
  /**
   * Classifier zoos: `thumbs` holds, per shown member, the mean |first-layer weight| of each input
   * pixel [shown, height, width], scaled to [0, 1] (which pixels the network reads).
   */
  inputMaps?: { height: number; width: number };
  /** Classifier zoos: each member's held-out accuracy on its task, and how the zoo was built. */
  accuracy?: Float32Array;
  classifiers?: ClassifierZooSettings;
  /** Set by a fit: whether it was cancelled (the zoo holds the members finished by then), its time. */
  cancelled?: boolean;
  seconds?: number;
}

export interface ZooTrainJob {
  method: WsMethod;
  epochs: number;
  seed: number;
  augment: WsAugment[];
}

/** PCA of the zoo's weights, raw and after weight matching every member to member 0. */
export interface ZooCloudReply {
  labels: Int32Array;
  raw: { coords: number[][]; explainedVarianceRatio: number[] };
  aligned: { coords: number[][]; explainedVarianceRatio: number[] };
}

/** The payload of a job that stands for another job (pause, resume, cancel). */
export interface JobRef {
  job: number;
}

/**
 * Every request the worker answers: what it takes, and what it resolves with. The client's
 * `call`/`ask` return `Api[T]['result']` typed, so no call site checks reply types by hand.
 * Long jobs also stream `progress` (training), `backend` and `job-progress` messages.
 */
export interface Api {
  train: { payload: TrainJob; result: TrainResult };
  pause: { payload: JobRef; result: null };
  resume: { payload: JobRef; result: null };
  cancel: { payload: JobRef; result: null };
  /** Ends a job early keeping what it has done (training, classifier training, zoo fitting); cancel keeps nothing. */
  stop: { payload: JobRef; result: null };
  'classifier-train': { payload: ClassifierTrainJob; result: ClassifierTrainReply };
  'classifier-finetune': { payload: ClassifierFineTuneJob; result: ClassifierFineTuneReply };
  'classifier-preset': { payload: ClassifierPresetJob; result: ClassifierPresetReply };
  /** Liveness: answered at once, even while a job runs (the client restarts a silent worker). */
  ping: { payload: null; result: null };
  inspect: { payload: { files: { name: string; bytes: Uint8Array }[] }; result: InspectResult };
  /** Forgets an inspected checkpoint the person did not confirm. */
  release: { payload: { token: string }; result: null };
  'parse-dataset': { payload: { name: string; bytes: Uint8Array }; result: LabelledDataset };
  'add-checkpoint': { payload: AddCheckpoint; result: ModelEntry };
  export: {
    payload: { modelId: string; format: ExportFormat };
    result: { bytes: Uint8Array; filename: string };
  };
  remove: { payload: { modelId: string }; result: null };
  /** Puts a restarted worker's workspace back, ids included (the client's copies, see WorkspaceChange). */
  restore: { payload: { models: { entry: ModelEntry; model: Model }[] }; result: null };
  align: { payload: AlignJob; result: AlignReply };
  paths: { payload: PathsJob; result: PathCurveReply[] };
  /** `image` is the reconstruction at α for INRs, empty for classifiers. */
  render: {
    payload: { aId: string; bId: string; kind: PathKind; alpha: number; target: ScoreTarget };
    result: { image: Float32Array; loss: number; metric: number };
  };
  cloud: { payload: CloudJob; result: CloudGroup[] };
  plane: { payload: PlaneJob; result: PlaneReply };
  bench: { payload: BenchJob; result: BenchReply };
  directions: { payload: DirectionsJob; result: DirectionsReply };
  merge: { payload: MergeJob; result: MergeReply };
  'merge-sweep': { payload: MergeSweepJob; result: MergeSweep };
  'zoo-fit': { payload: ZooFitJob; result: ZooSummary };
  'zoo-classifiers': { payload: ZooClassifiersJob; result: ZooSummary };
  'zoo-open': { payload: { name: string; bytes: Uint8Array }; result: ZooSummary };
  'zoo-train': { payload: ZooTrainJob; result: WsResult };
  'zoo-cloud': { payload: { components: number }; result: ZooCloudReply };
  'zoo-export': {
    payload: { format: 'npz' | 'safetensors' };
    result: { bytes: Uint8Array; filename: string };
  };
}

export type RequestType = keyof Api;
export type Payload<T extends RequestType> = Api[T]['payload'];
export type Result<T extends RequestType> = Api[T]['result'];

/** Requests the app sends. */
export type Request = { [T in RequestType]: { type: T; id: number; payload: Payload<T> } }[RequestType];

/** A request's result; `request` names the request it answers. */
export type ResultReply = {
  [T in RequestType]: { type: 'result'; id: number; request: T; payload: Result<T> };
}[RequestType];

/**
 * A change of the worker's workspace, announced as it happens: the client keeps a copy of every
 * model so that a restarted worker gets the workspace back (`restore`).
 */
export type WorkspaceChange =
  { kind: 'added'; entry: ModelEntry; model: Model } | { kind: 'removed'; id: string };

/** Replies the worker sends: a result or an error per request, progress on the way, workspace changes. */
export type Reply =
  | ResultReply
  | { type: 'workspace'; id: null; payload: WorkspaceChange }
  | { type: 'progress'; id: number; payload: TrainProgress }
  | { type: 'job-progress'; id: number; payload: JobProgress }
  | { type: 'backend'; id: number; payload: BackendInfo }
  /** `id` is null when the message had none (a malformed message). */
  | { type: 'error'; id: number | null; payload: { name: string; message: string } };

/** The request types the worker knows, for checking messages at its boundary. */
export const REQUEST_TYPES: readonly RequestType[] = [
  'train',
  'pause',
  'resume',
  'cancel',
  'stop',
  'classifier-train',
  'classifier-finetune',
  'classifier-preset',
  'ping',
  'inspect',
  'release',
  'parse-dataset',
  'add-checkpoint',
  'export',
  'remove',
  'restore',
  'align',
  'paths',
  'render',
  'cloud',
  'plane',
  'bench',
  'directions',
  'merge',
  'merge-sweep',
  'zoo-fit',
  'zoo-classifiers',
  'zoo-open',
  'zoo-train',
  'zoo-cloud',
  'zoo-export',
] satisfies readonly RequestType[];

/** The buffers of a reply that should be transferred rather than copied. */
export function transferables(reply: Reply): Transferable[] {
  if (reply.type === 'progress')
    return reply.payload.predictions ? [reply.payload.predictions.buffer as ArrayBuffer] : [];
  if (reply.type !== 'result') return [];
  switch (reply.request) {
    case 'export':
    case 'zoo-export':
      return [reply.payload.bytes.buffer as ArrayBuffer];
    case 'zoo-fit':
    case 'zoo-classifiers':
    case 'zoo-open':
      return [reply.payload.thumbs.buffer as ArrayBuffer];
    case 'paths':
      return reply.payload.flatMap(
        (c) => [c.alphas.buffer, c.losses.buffer, c.metrics.buffer, c.filmstrip.buffer] as ArrayBuffer[],
      );
    case 'render':
      return [reply.payload.image.buffer as ArrayBuffer];
    case 'merge':
      return [reply.payload.reconstruction.buffer as ArrayBuffer];
    case 'parse-dataset':
      // x and labels may be views of one buffer (a stored .npz): each buffer once.
      return [...new Set([reply.payload.x.buffer, reply.payload.labels.buffer] as ArrayBuffer[])];
    case 'plane':
    case 'directions':
      return [reply.payload.loss.buffer, reply.payload.metric.buffer] as ArrayBuffer[];
    default:
      return [];
  }
}
