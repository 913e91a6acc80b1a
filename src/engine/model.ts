import { createRng, type Rng } from './rng';
import { numel, shapeString, type Tensor } from './tensor';

/** Every hidden-layer nonlinearity, defined once (schema, readers, CLI and forms use this list). */
export const ACTIVATIONS = ['relu', 'sine', 'tanh', 'gelu'] as const;

/** Hidden-layer nonlinearity. Sine is SIREN's `sin(w0 · z)`. */
export type Activation = (typeof ACTIVATIONS)[number];

/**
 * Random Fourier features (Tancik et al. 2020): γ(x) = [sin(2πBx), cos(2πBx)], B ~ N(0, σ²),
 * B of shape [features, inputs]. B is stored in the model as tensor `encoding.B`; it is fixed,
 * never trained and never permuted.
 */
export interface FourierFeatures {
  features: number;
  sigma: number;
}

/**
 * An MLP: `widths` = [inputs, hidden…, outputs]. Output = last linear layer + `outputOffset`.
 * With `encoding`, the first layer sees 2·features inputs instead of `widths[0]`.
 */
export interface MlpArch {
  widths: number[];
  activation: Activation;
  /** SIREN frequency; only for activation 'sine' (default 30). */
  w0?: number;
  outputOffset?: number;
  encoding?: FourierFeatures;
}

/**
 * A model: architecture plus named float32 tensors in PyTorch layout. Canonical names are
 * `layers.{i}.weight` ([out, in]) and `layers.{i}.bias` ([out]), and `encoding.B` when present.
 */
export interface Model {
  arch: MlpArch;
  params: Record<string, Tensor>;
}

export const weightName = (layer: number): string => `layers.${layer}.weight`;
export const biasName = (layer: number): string => `layers.${layer}.bias`;
export const ENCODING_NAME = 'encoding.B';

/** Number of linear layers. */
export const layerCount = (arch: MlpArch): number => arch.widths.length - 1;

/**
 * Most linear layers an MLP may have, anywhere (imports, training, links). Real INRs and the
 * MLPs of the Re-Basin papers have 2–10; the bound keeps a hostile file's 10,000 "layers" out.
 */
export const MAX_LAYERS = 64;

/**
 * Ranges of the architecture's scalar settings, the same as the share schema's
 * (src/engine/experiment/schema.ts; a test keeps the two equal). Checkpoint metadata and import
 * answers are held to them too: a w0 of 1e308 from a file is as untrusted as one from a link.
 */
export const ARCH_BOUNDS = {
  w0: [1, 200],
  outputOffset: [-10, 10],
  fourierFeatures: [1, 256],
  fourierSigma: [0.01, 100],
} as const;

/** Thrown when an architecture is deeper than MAX_LAYERS or has a width below 1. */
export class ArchitectureBoundsError extends RangeError {
  override name = 'ArchitectureBoundsError';
}

/** Refuses more than MAX_LAYERS layers and non-positive widths, before anything is allocated. */
export function checkArchBounds(arch: MlpArch): void {
  const layers = layerCount(arch);
  if (layers < 1 || layers > MAX_LAYERS)
    throw new ArchitectureBoundsError(
      `an MLP has 1 to ${MAX_LAYERS} linear layers (limit MAX_LAYERS); this one has ${layers}`,
    );
  for (const w of arch.widths)
    if (!Number.isSafeInteger(w) || w < 1)
      throw new ArchitectureBoundsError(`layer widths must be positive integers; got ${w}`);
}

/** Input width the first linear layer sees (after any Fourier encoding). */
export function firstLayerInputs(arch: MlpArch): number {
  return arch.encoding ? 2 * arch.encoding.features : arch.widths[0]!;
}

/** The trainable tensors in canonical order, with shapes. */
export function paramShapes(arch: MlpArch): { name: string; shape: number[] }[] {
  const out: { name: string; shape: number[] }[] = [];
  for (let l = 0; l < layerCount(arch); l++) {
    const fanIn = l === 0 ? firstLayerInputs(arch) : arch.widths[l]!;
    out.push({ name: weightName(l), shape: [arch.widths[l + 1]!, fanIn] });
    out.push({ name: biasName(l), shape: [arch.widths[l + 1]!] });
  }
  return out;
}

/** Total number of trainable parameters. */
export function paramCount(arch: MlpArch): number {
  return paramShapes(arch).reduce((s, p) => s + numel(p.shape), 0);
}

/** SIREN's w0, defaulting to 30 (Sitzmann et al. 2020). */
export const sirenW0 = (arch: MlpArch): number => arch.w0 ?? 30;

/** How each activation is written in labels, the way papers write it (ReLU, GELU, tanh, SIREN). */
export const ACTIVATION_LABELS: Record<Activation, string> = {
  relu: 'ReLU',
  sine: 'SIREN',
  tanh: 'tanh',
  gelu: 'GELU',
};

/**
 * A short human label: "ReLU 784→64→10", "SIREN 2→64×3→1 (w0=30)" (three hidden layers of 64),
 * "GELU 2→32→16→1 + RFF 64". A run of equal hidden widths is written once with its count.
 */
export function describeArch(arch: MlpArch): string {
  const hidden = arch.widths.slice(1, -1);
  const same = hidden.length > 1 && hidden.every((w) => w === hidden[0]);
  const body = same ? [`${hidden[0]}×${hidden.length}`] : hidden;
  const io = [arch.widths[0], ...body, arch.widths[arch.widths.length - 1]].join('→');
  const name = ACTIVATION_LABELS[arch.activation];
  if (arch.activation === 'sine') return `${name} ${io} (w0=${sirenW0(arch)})`;
  const enc = arch.encoding ? ` + RFF ${arch.encoding.features}` : '';
  return `${name} ${io}${enc}`;
}

/**
 * "Same architecture", decided once for the whole app: two models whose keys are equal have the
 * same widths, activation, w₀ and Fourier encoding, so they can be aligned, interpolated, mapped
 * in one PCA and drawn in one loss plane. (`assertSameArchitecture` checks the tensor shapes
 * alone and names the first layer that differs.)
 */
export function archKey(arch: MlpArch): string {
  return `${arch.widths.join('-')}|${describeArch(arch)}`;
}

/** Thrown when two models (or a model and an operation) do not share an architecture. */
export class ArchitectureMismatchError extends Error {
  override name = 'ArchitectureMismatchError';
}

/** Thrown when a tensor holds NaN or ±Inf. */
export class NonFiniteWeightsError extends Error {
  override name = 'NonFiniteWeightsError';
}

/**
 * Checks two models can be compared weight by weight; the error names the first tensor whose
 * shape differs, so a person can see which layer is off.
 */
export function assertSameArchitecture(a: Model, b: Model, labels = ['A', 'B']): void {
  const sa = paramShapes(a.arch);
  const sb = paramShapes(b.arch);
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    const x = sa[i];
    const y = sb[i];
    if (!x || !y) {
      throw new ArchitectureMismatchError(
        `${labels[0]} has ${sa.length / 2} layers but ${labels[1]} has ${sb.length / 2}; ` +
          `first extra tensor: ${(x ?? y)!.name}`,
      );
    }
    if (x.shape.join() !== y.shape.join()) {
      throw new ArchitectureMismatchError(
        `layer ${x.name}: ${labels[0]} has shape ${shapeString(x.shape)} but ${labels[1]} has ` +
          `${shapeString(y.shape)}; models must share an architecture`,
      );
    }
  }
  if (a.arch.activation !== b.arch.activation) {
    throw new ArchitectureMismatchError(
      `${labels[0]} uses ${a.arch.activation} but ${labels[1]} uses ${b.arch.activation}`,
    );
  }
}

/** Refuses NaN/Inf weights, naming the tensor. */
export function assertFinite(model: Model, label = 'model'): void {
  for (const [name, t] of Object.entries(model.params)) {
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i]!)) {
        throw new NonFiniteWeightsError(
          `${label}: tensor ${name} holds a non-finite value (${t.data[i]}) at index ${i}`,
        );
      }
    }
  }
}

function fillUniform(n: number, bound: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform(-bound, bound);
  return out;
}

/**
 * Initialises an MLP from a seed.
 * - sine (SIREN, Sitzmann et al. 2020, Sec. 3.2): first layer U(−1/in, 1/in); later layers
 *   U(−√(6/in)/w0, √(6/in)/w0); biases as PyTorch's nn.Linear default, U(−1/√in, 1/√in).
 * - others: PyTorch's nn.Linear default (Kaiming-uniform with a=√5), U(−1/√in, 1/√in).
 * - Fourier features: B ~ N(0, σ²).
 */
export function initModel(arch: MlpArch, seed: number): Model {
  checkArchBounds(arch);
  const rng = createRng(seed);
  const params: Record<string, Tensor> = {};
  if (arch.encoding) {
    const { features, sigma } = arch.encoding;
    const inputs = arch.widths[0]!;
    const b = new Float32Array(features * inputs);
    for (let i = 0; i < b.length; i++) b[i] = sigma * rng.normal();
    params[ENCODING_NAME] = { data: b, shape: [features, inputs] };
  }
  const w0 = sirenW0(arch);
  // The shapes once, outside the loop: recomputing them per tensor made building quadratic in depth.
  const shapes = paramShapes(arch);
  for (const [l, { name, shape }] of shapes.entries()) {
    const layer = l >> 1;
    const isWeight = l % 2 === 0;
    const fanIn = isWeight ? shape[1]! : shapes[l - 1]!.shape[1]!;
    let bound: number;
    if (isWeight && arch.activation === 'sine') {
      bound = layer === 0 ? 1 / fanIn : Math.sqrt(6 / fanIn) / w0;
    } else {
      bound = 1 / Math.sqrt(fanIn);
    }
    params[name] = { data: fillUniform(numel(shape), bound, rng), shape };
  }
  return { arch: structuredCloneArch(arch), params };
}

/** A copy of an architecture, so models never share mutable arch objects. */
export function structuredCloneArch(arch: MlpArch): MlpArch {
  return {
    ...arch,
    widths: [...arch.widths],
    ...(arch.encoding ? { encoding: { ...arch.encoding } } : {}),
  };
}

/** Flattens the trainable tensors into one vector, in `paramShapes` order. */
export function flattenModel(model: Model): Float32Array {
  const shapes = paramShapes(model.arch);
  const out = new Float32Array(shapes.reduce((s, p) => s + numel(p.shape), 0));
  let off = 0;
  for (const { name } of shapes) {
    const t = model.params[name]!;
    out.set(t.data, off);
    off += t.data.length;
  }
  return out;
}

/** Inverse of `flattenModel`; non-trainable tensors (the Fourier matrix) come from `like`. */
export function unflattenModel(like: Model, flat: Float32Array | Float64Array): Model {
  const params: Record<string, Tensor> = {};
  if (like.params[ENCODING_NAME]) {
    const b = like.params[ENCODING_NAME];
    params[ENCODING_NAME] = { data: new Float32Array(b.data), shape: [...b.shape] };
  }
  let off = 0;
  for (const { name, shape } of paramShapes(like.arch)) {
    const n = numel(shape);
    params[name] = { data: Float32Array.from(flat.subarray(off, off + n)), shape };
    off += n;
  }
  if (off !== flat.length) throw new RangeError(`flat vector has ${flat.length} values, model needs ${off}`);
  return { arch: structuredCloneArch(like.arch), params };
}

/** A deep copy of a model. */
export function cloneModel(m: Model): Model {
  const params: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(m.params))
    params[k] = { data: new Float32Array(t.data), shape: [...t.shape] };
  return { arch: structuredCloneArch(m.arch), params };
}
