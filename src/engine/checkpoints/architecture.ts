import {
  ACTIVATIONS,
  ARCH_BOUNDS,
  ENCODING_NAME,
  MAX_LAYERS,
  biasName,
  weightName,
  type Activation,
  type FourierFeatures,
  type MlpArch,
  type Model,
} from '../model';
import type { Tensor } from '../tensor';
import { isEncodingName } from './layout';
import { DECODED_BYTES, IMPORT_LIMITS } from './budget';
import {
  ArchitectureInferenceError,
  CheckpointError,
  isFloatDType,
  type CheckpointContents,
  type RawTensor,
} from './types';

/**
 * Architecture inference: most formats store tensors without the network that uses them, so the
 * MLP is recovered from names and shapes — a chain of linear layers whose widths connect —
 * and the activation, which no common format records, is confirmed by the person (or read back
 * from Weightscope's own `weightscope.arch` metadata).
 */

/** An MLP found in a checkpoint: which tensor is which layer, and which weights are [in, out]. */
export interface ArchitectureInference {
  kind: 'mlp';
  /** [inputs, hidden…, outputs]; with an encoding, inputs are the raw coordinates. */
  widths: number[];
  layers: { weight: string; bias: string | null }[];
  /** Per layer: true when the weight is stored [in, out] (Keras/tfjs kernels). */
  transposed: boolean[];
  /** Name of the Fourier-feature matrix B [features, inputs], when present. */
  encodingTensor?: string;
}

const fail = (m: string): never => {
  throw new ArchitectureInferenceError(m);
};
const shapeOf = (t: RawTensor): string => `[${t.shape.join(', ')}]`;
/** "2 → 64 → 1", or the ends and a count when there are many layers. */
const chainOf = (w: number[]): string =>
  w.length <= 8
    ? w.join(' → ')
    : `${w.slice(0, 3).join(' → ')} → … → ${w.slice(-2).join(' → ')} (${w.length - 1} layers)`;

/** Most parameters of a model built from a checkpoint: the tensor budget, in float32 values. */
const MAX_MODEL_PARAMS = IMPORT_LIMITS.maxTensorBytes / DECODED_BYTES;

/** Splits `seq.0.weight` / `dense_Dense1/kernel` into prefix and role. */
function role(name: string): { prefix: string; kind: 'weight' | 'kernel' | 'bias' } | null {
  const m = /^(.*?)[./]?(weight|kernel|bias)$/.exec(name);
  return m ? { prefix: m[1]!, kind: m[2] as 'weight' | 'kernel' | 'bias' } : null;
}

/** Natural order: `layers.2` before `layers.10`, `dense_Dense2` before `dense_Dense10`. */
const natural = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

interface Candidate {
  prefix: string;
  weight: RawTensor;
  bias: RawTensor | null;
  hint: boolean;
}

function candidates(tensors: RawTensor[]): Candidate[] {
  const byPrefix = new Map<string, { weight?: RawTensor; bias?: RawTensor; hint: boolean }>();
  const unused: string[] = [];
  for (const t of tensors) {
    if (isEncodingName(t.name)) continue;
    const r = role(t.name);
    if (!r) {
      unused.push(t.name);
      continue;
    }
    const slot = byPrefix.get(r.prefix) ?? { hint: false };
    if (r.kind === 'bias') slot.bias = t;
    else {
      slot.weight = t;
      slot.hint = r.kind === 'kernel';
    }
    byPrefix.set(r.prefix, slot);
  }
  if (byPrefix.size === 0) {
    // Unnamed arrays (np.savez(*arrays) → arr_0, arr_1…): weights and biases in file order.
    const out: Candidate[] = [];
    for (const t of tensors) {
      if (isEncodingName(t.name)) continue;
      if (t.shape.length === 1 && out.length && !out[out.length - 1]!.bias) out[out.length - 1]!.bias = t;
      else out.push({ prefix: t.name, weight: t, bias: null, hint: false });
    }
    return out;
  }
  if (unused.length)
    fail(
      `tensors ${unused.slice(0, 6).join(', ')} are neither weights nor biases; Weightscope reads plain MLPs (linear layers only)`,
    );
  return [...byPrefix.entries()]
    .sort(([a], [b]) => natural(a, b))
    .map(([prefix, s]) => {
      if (!s.weight) return fail(`bias ${s.bias!.name} has no matching weight tensor`);
      return { prefix, weight: s.weight, bias: s.bias ?? null, hint: s.hint };
    });
}

function checkTypes(c: Candidate): void {
  for (const t of [c.weight, c.bias]) {
    if (t && (!isFloatDType(t.dtype) || !t.data))
      fail(
        `tensor ${t.name} holds ${t.dtype} values; weights and biases must be floating point (float16/32/64, bfloat16)`,
      );
  }
  if (c.weight.shape.length !== 2)
    fail(
      `tensor ${c.weight.name} has shape ${shapeOf(c.weight)}; only linear layers (2-D weights) form an MLP — convolutions, embeddings and norms are not supported`,
    );
  if (c.bias && c.bias.shape.length !== 1)
    fail(`bias ${c.bias.name} has shape ${shapeOf(c.bias)}; a bias must be 1-D`);
}

const dims = (c: Candidate, t: boolean): { inp: number; out: number } =>
  t
    ? { inp: c.weight.shape[0]!, out: c.weight.shape[1]! }
    : { inp: c.weight.shape[1]!, out: c.weight.shape[0]! };
const biasOk = (c: Candidate, t: boolean): boolean => !c.bias || c.bias.shape[0] === dims(c, t).out;

/** Chains layers greedily after choosing the first layer's orientation; null if they break. */
function chain(cs: Candidate[], first: boolean): boolean[] | null {
  const trans = [first];
  let prev = dims(cs[0]!, first).out;
  for (let i = 1; i < cs.length; i++) {
    const c = cs[i]!;
    const opts = [c.hint, !c.hint].filter((t) => dims(c, t).inp === prev && biasOk(c, t));
    if (!opts.length) return null;
    trans.push(opts[0]!);
    prev = dims(c, opts[0]!).out;
  }
  return trans;
}

/** Finds the chain of linear layers in a checkpoint; throws ArchitectureInferenceError if none. */
export function inferArchitecture(contents: CheckpointContents): ArchitectureInference {
  const cs = candidates(contents.tensors);
  if (cs.length === 0) fail('the checkpoint holds no weight tensors');
  if (cs.length > MAX_LAYERS)
    fail(
      `the checkpoint holds ${cs.length} weight tensors; an MLP here has at most ${MAX_LAYERS} linear layers (limit MAX_LAYERS)`,
    );
  cs.forEach(checkTypes);
  let trans: boolean[] | null = null;
  for (const first of [cs[0]!.hint, !cs[0]!.hint]) {
    if (biasOk(cs[0]!, first)) trans = trans ?? chain(cs, first);
  }
  if (!trans) {
    const desc = cs.map((c) => `${c.weight.name} ${shapeOf(c.weight)}`).join(', ');
    return fail(
      `these weight shapes form no MLP (each layer's input width must equal the previous layer's output width, biases matching outputs): ${desc}`,
    );
  }
  const widths = [dims(cs[0]!, trans[0]!).inp, ...cs.map((c, i) => dims(c, trans[i]!).out)];
  const zero = widths.findIndex((w) => w < 1);
  if (zero >= 0)
    fail(`layer widths ${chainOf(widths)} include ${widths[zero]}; every layer needs at least one unit`);
  let params = 0;
  for (let i = 1; i < widths.length; i++) params += widths[i]! * (widths[i - 1]! + 1);
  if (params > MAX_MODEL_PARAMS)
    fail(
      `an MLP ${chainOf(widths)} has ${params.toLocaleString('en-US')} parameters; Weightscope builds models of at most ${MAX_MODEL_PARAMS.toLocaleString('en-US')} (limit maxTensorBytes / 4)`,
    );
  const result: ArchitectureInference = {
    kind: 'mlp',
    widths,
    layers: cs.map((c) => ({ weight: c.weight.name, bias: c.bias?.name ?? null })),
    transposed: trans,
  };
  const enc = contents.tensors.find((t) => isEncodingName(t.name));
  if (enc) {
    if (!enc.data || enc.shape.length !== 2 || enc.shape[1]! < 1 || 2 * enc.shape[0]! !== widths[0]) {
      fail(
        `${enc.name} has shape ${shapeOf(enc)} but the first layer takes ${widths[0]} inputs (needs [${widths[0]! / 2}, inputs])`,
      );
    }
    result.encodingTensor = enc.name;
    widths[0] = enc.shape[1]!;
  }
  return result;
}

/** What the person confirms (or Weightscope's metadata supplies) beyond names and shapes. */
export interface ModelOptions {
  activation: Activation;
  w0?: number;
  outputOffset?: number;
  /** Fourier-feature settings; sigma is estimated from B (its RMS) when not given. */
  encoding?: FourierFeatures;
}

/** The named tensors of a checkpoint, looked up in O(1) (a linear find per layer was quadratic). */
function tensorIndex(contents: CheckpointContents): (name: string) => RawTensor {
  const byName = new Map<string, RawTensor>();
  for (const t of contents.tensors) if (!byName.has(t.name)) byName.set(t.name, t);
  return (name) => {
    const t = byName.get(name);
    if (!t || !t.data) return fail(`tensor ${name} is missing or not floating point`);
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i]!))
        throw new CheckpointError(
          'model',
          `tensor ${name} holds a non-finite value (${t.data[i]}) at index ${i}`,
        );
    }
    return t;
  };
}

/** Refuses a setting outside the share schema's range, naming it and the range. */
function inRange(what: string, v: number, [lo, hi]: readonly [number, number]): number {
  if (!(typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi))
    fail(`${what} = ${v} is outside [${lo}, ${hi}] (the range a shared experiment allows)`);
  return v;
}

function transpose(t: RawTensor): Tensor {
  const [r, c] = t.shape as [number, number];
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data![i * c + j]!;
  return { data: out, shape: [c, r] };
}

/**
 * Builds a Model with canonical names (layers.{i}.weight [out, in]); a missing bias is zeros.
 * The options are held to the share schema's ranges (ARCH_BOUNDS) and the encoding to its tensor.
 */
export function toModel(contents: CheckpointContents, inf: ArchitectureInference, opts: ModelOptions): Model {
  if (inf.layers.length < 1 || inf.layers.length > MAX_LAYERS)
    fail(
      `an MLP here has 1 to ${MAX_LAYERS} linear layers (limit MAX_LAYERS); this one has ${inf.layers.length}`,
    );
  if (!ACTIVATIONS.includes(opts.activation))
    fail(`activation ${String(opts.activation)} is not one of ${ACTIVATIONS.join(', ')}`);
  if (opts.w0 !== undefined) inRange('w0', opts.w0, ARCH_BOUNDS.w0);
  if (opts.outputOffset !== undefined) inRange('output offset', opts.outputOffset, ARCH_BOUNDS.outputOffset);
  const tensorOf = tensorIndex(contents);
  const params: Record<string, Tensor> = {};
  inf.layers.forEach((layer, i) => {
    const w = tensorOf(layer.weight);
    params[weightName(i)] = inf.transposed[i]
      ? transpose(w)
      : { data: new Float32Array(w.data!), shape: [...w.shape] };
    const out = params[weightName(i)]!.shape[0]!;
    params[biasName(i)] = layer.bias
      ? { data: new Float32Array(tensorOf(layer.bias).data!), shape: [out] }
      : { data: new Float32Array(out), shape: [out] };
  });
  const arch: MlpArch = { widths: [...inf.widths], activation: opts.activation };
  if (opts.w0 !== undefined) arch.w0 = opts.w0;
  if (opts.outputOffset !== undefined) arch.outputOffset = opts.outputOffset;
  if (inf.encodingTensor) {
    const b = tensorOf(inf.encodingTensor);
    params[ENCODING_NAME] = { data: new Float32Array(b.data!), shape: [...b.shape] };
    let ss = 0;
    for (const v of b.data!) ss += v * v;
    const features = b.shape[0]!;
    if (opts.encoding && opts.encoding.features !== features)
      fail(
        `the metadata says ${opts.encoding.features} Fourier features but ${inf.encodingTensor} holds ${features}`,
      );
    inRange('Fourier features', features, ARCH_BOUNDS.fourierFeatures);
    const sigma = opts.encoding ? opts.encoding.sigma : Math.sqrt(ss / Math.max(1, b.data!.length));
    arch.encoding = {
      features,
      sigma: opts.encoding ? inRange('Fourier sigma', sigma, ARCH_BOUNDS.fourierSigma) : sigma,
    };
  } else if (opts.encoding)
    fail(`the metadata names a Fourier encoding but the checkpoint has no ${ENCODING_NAME} (or 0.B)`);
  return { arch, params };
}

const isPosInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x > 0;

/**
 * Architecture hints stored in a checkpoint's metadata: Weightscope's own `weightscope.arch`
 * (the MlpArch JSON, validated field by field against the share schema's ranges — metadata is
 * untrusted; a value out of range throws ArchitectureInferenceError), or the Dense
 * activations a TensorFlow.js model.json records. Null when nothing usable is there.
 */
export function archFromMetadata(metadata: Record<string, string>): Partial<MlpArch> | null {
  const raw = metadata['weightscope.arch'];
  if (raw !== undefined) {
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      return null;
    }
    if (typeof v !== 'object' || v === null) return null;
    const o = v as Record<string, unknown>;
    const out: Partial<MlpArch> = {};
    if (
      Array.isArray(o.widths) &&
      o.widths.length >= 2 &&
      o.widths.length <= MAX_LAYERS + 1 &&
      o.widths.every(isPosInt)
    )
      out.widths = [...o.widths];
    if (ACTIVATIONS.includes(o.activation as Activation)) out.activation = o.activation as Activation;
    // Present but out of range is a refusal, not a silent default: the file says something false.
    if (o.w0 !== undefined) out.w0 = inRange('weightscope.arch w0', o.w0 as number, ARCH_BOUNDS.w0);
    if (o.outputOffset !== undefined)
      out.outputOffset = inRange(
        'weightscope.arch outputOffset',
        o.outputOffset as number,
        ARCH_BOUNDS.outputOffset,
      );
    const e = o.encoding as Record<string, unknown> | undefined;
    if (e !== undefined) {
      if (typeof e !== 'object' || e === null) return fail('weightscope.arch encoding is not an object');
      const features = inRange(
        'weightscope.arch encoding.features',
        e.features as number,
        ARCH_BOUNDS.fourierFeatures,
      );
      if (!isPosInt(features)) fail('weightscope.arch encoding.features must be an integer');
      out.encoding = {
        features,
        sigma: inRange('weightscope.arch encoding.sigma', e.sigma as number, ARCH_BOUNDS.fourierSigma),
      };
    }
    return Object.keys(out).length ? out : null;
  }
  const acts = metadata['tfjs.activations'];
  if (acts !== undefined) {
    let v: unknown;
    try {
      v = JSON.parse(acts);
    } catch {
      return null;
    }
    if (!Array.isArray(v) || v.length < 2) return null;
    const hidden = v.slice(0, -1);
    if (hidden.every((a) => a === hidden[0]) && ACTIVATIONS.includes(hidden[0] as Activation))
      return { activation: hidden[0] as Activation };
  }
  return null;
}
