/**
 * The shape plan of the WGSL population kernel: how a population of K MLPs and N pixels (or a
 * batch of N examples) is cut into workgroups, where each layer sits in a member's parameter
 * vector and in a tile's activation scratch, and which architectures the kernel refuses (with the
 * reason the badge shows).
 *
 * One workgroup of THREADS threads trains one (member, tile): a tile is `chunks` runs of S
 * examples. The workgroup computes every layer of a chunk as cooperative tiled GEMMs (mlp-wgsl.ts),
 * so no layer width is bounded by the workgroup memory: the chunk's activations live in a global
 * scratch buffer [K, tiles, scratch], made once. What bounds a shape is buffer size: the partials
 * [K, tiles, stride], the scratch, the parameters; `tiles` is cut to fit PARTIALS_BYTES and
 * SCRATCH_BYTES, and the driver refuses a population whose buffers the device cannot bind.
 */
import { firstLayerInputs, layerCount, paramShapes, type MlpArch } from '../../model';

/** Workgroup memory every WebGPU device offers (maxComputeWorkgroupStorageSize's minimum). */
export const WORKGROUP_BYTES = 16384;
/** Threads per workgroup: an 8 × 8 grid, each thread a 4 × 4 register block of a 32 × 32 output block. */
export const THREADS = 64;
/** Side of the thread grid. */
export const GRID = 8;
/** Side of a thread's register block. */
export const REG = 4;
/** Side of the output block a workgroup computes at once (GRID · REG). */
export const BLOCK = GRID * REG;
/** Depth of a staged slice of the reduction dimension (A tile BLOCK × DEPTH, B tile DEPTH × BLOCK). */
export const DEPTH = 16;
/** Examples per chunk: the pixel dimension of every GEMM (one output block wide). */
export const CHUNK = BLOCK;
/** Gradient partials are capped at this many bytes (below every device's maxStorageBufferBindingSize). */
export const PARTIALS_BYTES = 64 * 1024 * 1024;
/** The activation scratch likewise. */
export const SCRATCH_BYTES = 64 * 1024 * 1024;

/** Workgroups a dispatch takes along one dimension (maxComputeWorkgroupsPerDimension's minimum). */
export const MAX_GROUPS = 65535;

/** Activations the WGSL kernel implements. */
export const WGSL_ACTIVATIONS = ['sine', 'relu', 'tanh', 'gelu'] as const;
export type WgslActivation = (typeof WGSL_ACTIVATIONS)[number];

/** The losses: MSE on a full batch (INRs), softmax cross-entropy on minibatches (classifiers). */
export type WgslLoss = 'mse' | 'ce';

/**
 * Why the WGSL kernel cannot train this architecture (null: it can). Widths are not bounded here:
 * the buffers a population needs depend on K and the data, and WgslKernel.create checks them
 * against the device's limits.
 */
export function wgslCoverage(arch: MlpArch): string | null {
  const L = layerCount(arch);
  if (L < 1) return 'the model has no layers';
  if (!(WGSL_ACTIVATIONS as readonly string[]).includes(arch.activation))
    return `activation ${arch.activation} is not in the WGSL kernel (it has ${WGSL_ACTIVATIONS.join(', ')})`;
  if (arch.encoding && arch.activation === 'sine')
    return 'Fourier features with sine are not in the WGSL kernel';
  return null;
}

/** Everything the shader generator bakes in as constants. */
export interface WgslPlan {
  k: number;
  loss: WgslLoss;
  /** The update the second shader applies (SGD with momentum, or Adam). */
  optimizer: 'adam' | 'sgd';
  /** Pixels (MSE), or the most examples one dispatch takes (CE: the batch size). */
  n: number;
  inputs: number;
  /** Outputs per example (MSE channels, CE classes). */
  channels: number;
  /** Fourier features F (0: none). */
  features: number;
  /** Layer widths [L + 1]; widths[0] is the first layer's input (2F with features). */
  widths: number[];
  /** Floats per member's parameter vector (flattenModel's order: W_l [out, in], then b_l). */
  stride: number;
  wOff: number[];
  bOff: number[];
  /**
   * Offset of H_l [widths[l], S] in a tile's scratch, l = 0…L (H_L: the outputs, then dLoss/dOutput);
   * −1 for H_0 without features (the first layer reads the data set itself).
   */
  hOff: number[];
  /** Offset of D_l [widths[l], S] (the activation's derivative, then dLoss/dH_l), hidden l = 1…L−1; −1 elsewhere. */
  dOff: number[];
  /** Floats of one tile's scratch. */
  scratch: number;
  /** Examples per chunk (S = CHUNK). */
  s: number;
  /** Threads per workgroup. */
  threads: number;
  /** Chunks of S examples per tile. */
  chunks: number;
  /** Tiles per member (workgroups along x). */
  tiles: number;
  activation: WgslActivation;
  w0: number;
  outputOffset: number;
  /** MSE's dLoss/dOutput scale: tfjs's mean over N·C of squared differences, 2/(N·C). CE reads 1/batch from the uniform. */
  gradScale: number;
}

/**
 * Plans a population of k members on n pixels (or, for `loss` 'ce', on batches of at most n
 * examples). `tiles` forces the number of tiles per member (tests use it to run several chunks per
 * tile); by default it is as many as there are chunks, cut so that the partials and the scratch
 * stay within PARTIALS_BYTES and SCRATCH_BYTES.
 */
export function planWgsl(
  arch: MlpArch,
  k: number,
  n: number,
  inputs: number,
  channels: number,
  tiles?: number,
  { loss = 'mse', optimizer = 'adam' }: { loss?: WgslLoss; optimizer?: 'adam' | 'sgd' } = {},
): WgslPlan {
  const why = wgslCoverage(arch);
  if (why) throw new Error(`WGSL kernel cannot train this model: ${why}`);
  const L = layerCount(arch);
  const widths = [firstLayerInputs(arch), ...arch.widths.slice(1)];
  const features = arch.encoding?.features ?? 0;
  const wOff: number[] = [];
  const bOff: number[] = [];
  let off = 0;
  for (const [j, { shape }] of paramShapes(arch).entries()) {
    (j % 2 === 0 ? wOff : bOff).push(off);
    off += shape.reduce((a, b) => a * b, 1);
  }
  const S = CHUNK;
  const hOff: number[] = [];
  const dOff: number[] = [];
  let h = 0;
  for (let l = 0; l <= L; l++) {
    const stored = l > 0 || features > 0;
    hOff.push(stored ? h : -1);
    if (stored) h += widths[l]! * S;
    const hidden = l > 0 && l < L;
    dOff.push(hidden ? h : -1);
    if (hidden) h += widths[l]! * S;
  }
  const totalChunks = Math.max(1, Math.ceil(n / S));
  const byPartials = Math.floor(PARTIALS_BYTES / (4 * k * off));
  const byScratch = Math.floor(SCRATCH_BYTES / (4 * k * h));
  const want = Math.max(1, Math.min(tiles ?? totalChunks, totalChunks, byPartials, byScratch, MAX_GROUPS));
  const chunks = Math.ceil(totalChunks / want);
  return {
    k,
    loss,
    optimizer,
    n,
    inputs,
    channels,
    features,
    widths,
    stride: off,
    wOff,
    bOff,
    hOff,
    dOff,
    scratch: h,
    s: S,
    threads: THREADS,
    chunks,
    tiles: Math.ceil(totalChunks / chunks),
    activation: arch.activation as WgslActivation,
    w0: arch.w0 ?? 30,
    outputOffset: arch.outputOffset ?? 0,
    gradScale: 2 / (n * channels),
  };
}

/**
 * Why the buffers of this plan do not fit a device that binds at most `limit` bytes per storage
 * buffer (null: they fit). `setRows` is the longest data set's rows (the plan's n for an INR).
 * The partials and scratch shrink with `tiles` down to one tile per member; past that, the
 * population (or the model) is too large for one binding and the caller falls back.
 */
export function wgslBuffersFit(plan: WgslPlan, setRows: number, limit: number): string | null {
  const { k, tiles, stride, scratch, n, channels, inputs } = plan;
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const buffers: [string, number][] = [
    ['parameters', 4 * k * stride],
    ['gradient partials', 4 * k * tiles * stride],
    ['activation scratch', 4 * k * tiles * scratch],
    ['outputs', 4 * k * n * Math.max(2, channels)],
    ['data set', 4 * setRows * inputs],
  ];
  const [name, bytes] = buffers.reduce((a, b) => (b[1] > a[1] ? b : a));
  return bytes > limit
    ? `the population needs a ${mib(bytes)} buffer (${name}); this device binds at most ${mib(limit)}`
    : null;
}
