/**
 * The shape plan of the WGSL population kernel: how a population of K MLPs and N pixels is cut
 * into workgroups, where each layer sits in a member's parameter vector and in a thread's private
 * activation arrays, and which architectures the kernel refuses (with the reason the badge shows).
 *
 * One workgroup of S threads trains one (member, tile): a tile is `chunks` runs of S pixels, one
 * pixel per thread. The weight gradient of a chunk is a product over its S pixels, staged in
 * workgroup memory as two [width, S] blocks; that is what bounds the widest layer.
 */
import { firstLayerInputs, layerCount, paramShapes, type MlpArch } from '../../model';

/** Workgroup memory every WebGPU device offers (maxComputeWorkgroupStorageSize's minimum). */
export const WORKGROUP_BYTES = 16384;
/** Fewest threads a workgroup runs with: below this the widest layer is refused. */
export const MIN_WORKGROUP = 8;
/** Most threads a workgroup runs with. */
export const MAX_WORKGROUP = 64;
/** Widest layer the kernel takes: two [width, S] f32 blocks must fit the workgroup memory at S = 8. */
export const MAX_WIDTH = WORKGROUP_BYTES / (2 * 4 * MIN_WORKGROUP);
/** Most activations a thread keeps privately (every layer's input and derivative). */
export const MAX_PRIVATE_FLOATS = 2048;
/** Gradient partials are capped at this many bytes (below every device's maxStorageBufferBindingSize). */
export const PARTIALS_BYTES = 64 * 1024 * 1024;

/** Activations the WGSL kernel implements. */
export const WGSL_ACTIVATIONS = ['sine', 'relu', 'tanh', 'gelu'] as const;
export type WgslActivation = (typeof WGSL_ACTIVATIONS)[number];

/** The losses: MSE on a full batch (INRs), softmax cross-entropy on minibatches (classifiers). */
export type WgslLoss = 'mse' | 'ce';

/** Why the WGSL kernel cannot train this architecture (null: it can). */
export function wgslCoverage(arch: MlpArch): string | null {
  const L = layerCount(arch);
  if (L < 1) return 'the model has no layers';
  if (!(WGSL_ACTIVATIONS as readonly string[]).includes(arch.activation))
    return `activation ${arch.activation} is not in the WGSL kernel (it has ${WGSL_ACTIVATIONS.join(', ')})`;
  if (arch.encoding && arch.activation === 'sine')
    return 'Fourier features with sine are not in the WGSL kernel';
  const widths = [firstLayerInputs(arch), ...arch.widths.slice(1)];
  const widest = Math.max(...widths);
  if (widest > MAX_WIDTH)
    return `a layer of width ${widest} exceeds the WGSL kernel's ${MAX_WIDTH} (two [width, 8] tiles must fit 16 KiB of workgroup memory)`;
  const priv = 2 * widths.slice(0, L).reduce((a, b) => a + b, 0) + 2 * widest;
  if (priv > MAX_PRIVATE_FLOATS)
    return `the network keeps ${priv} activations per pixel, above the WGSL kernel's ${MAX_PRIVATE_FLOATS}`;
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
  /** Offset of layer l's input in a thread's private activations. */
  hOff: number[];
  /** Private activations per thread (every layer's input). */
  hSize: number;
  /** Threads per workgroup = pixels per chunk. */
  s: number;
  /** Chunks of S pixels per tile. */
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
 * Plans a population of k members on n pixels (or, for `loss` 'ce', on batches of at most n examples). `tiles` forces the number of tiles per member
 * (tests use it to run several chunks per tile); by default it is as many as there are chunks,
 * capped so that the partials stay within PARTIALS_BYTES.
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
  const widest = Math.max(...widths);
  let s = MAX_WORKGROUP;
  while (s > MIN_WORKGROUP && 2 * 4 * widest * s > WORKGROUP_BYTES) s /= 2;
  const wOff: number[] = [];
  const bOff: number[] = [];
  let off = 0;
  for (const [j, { shape }] of paramShapes(arch).entries()) {
    (j % 2 === 0 ? wOff : bOff).push(off);
    off += shape.reduce((a, b) => a * b, 1);
  }
  const hOff: number[] = [];
  let h = 0;
  for (let l = 0; l < L; l++) {
    hOff.push(h);
    h += widths[l]!;
  }
  const totalChunks = Math.max(1, Math.ceil(n / s));
  const byMemory = Math.max(1, Math.floor(PARTIALS_BYTES / (4 * k * off)));
  const want = Math.max(1, Math.min(tiles ?? totalChunks, totalChunks, byMemory));
  const chunks = Math.ceil(totalChunks / want);
  return {
    k,
    loss,
    optimizer,
    n,
    inputs,
    channels,
    features: arch.encoding?.features ?? 0,
    widths,
    stride: off,
    wOff,
    bOff,
    hOff,
    hSize: h,
    s,
    chunks,
    tiles: Math.ceil(totalChunks / chunks),
    activation: arch.activation as WgslActivation,
    w0: arch.w0 ?? 30,
    outputOffset: arch.outputOffset ?? 0,
    gradScale: 2 / (n * channels),
  };
}
