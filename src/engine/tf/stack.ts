import * as tf from '@tensorflow/tfjs-core';
import {
  ENCODING_NAME,
  biasName,
  layerCount,
  sirenW0,
  unflattenModel,
  weightName,
  type MlpArch,
  type Model,
} from '../model';
import type { PopulationSnapshot } from '../population-snapshot';

/**
 * A population of K models of one architecture held as stacked tensors, weights pre-transposed
 * to [K, in, out] so that every layer is a single batched matmul `[K, N, in] × [K, in, out]`
 * with no transpose in the forward pass.
 */
export interface StackedParams {
  /** [K, in, out] per layer. */
  weights: tf.Tensor3D[];
  /** [K, 1, out] per layer, broadcast over the batch. */
  biases: tf.Tensor3D[];
  /** Fourier matrices transposed, [K, inputs, features], when the arch has an encoding. */
  encoding: tf.Tensor3D | null;
}

/** Uploads K models as stacked tensors (caller disposes, or wraps in tf.tidy). */
export function stackModels(models: readonly Model[]): StackedParams {
  const arch = models[0]!.arch;
  const K = models.length;
  const weights: tf.Tensor3D[] = [];
  const biases: tf.Tensor3D[] = [];
  for (let l = 0; l < layerCount(arch); l++) {
    const [out, inp] = models[0]!.params[weightName(l)]!.shape as [number, number];
    const w = new Float32Array(K * inp * out);
    const b = new Float32Array(K * out);
    models.forEach((m, k) => {
      const src = m.params[weightName(l)]!.data;
      const base = k * inp * out;
      for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) w[base + i * out + o] = src[o * inp + i]!;
      b.set(m.params[biasName(l)]!.data, k * out);
    });
    weights.push(tf.tensor3d(w, [K, inp, out]));
    biases.push(tf.tensor3d(b, [K, 1, out]));
  }
  let encoding: tf.Tensor3D | null = null;
  if (arch.encoding) {
    const [m, inputs] = models[0]!.params[ENCODING_NAME]!.shape as [number, number];
    const e = new Float32Array(K * inputs * m);
    models.forEach((model, k) => {
      const src = model.params[ENCODING_NAME]!.data;
      for (let j = 0; j < m; j++)
        for (let i = 0; i < inputs; i++) e[k * inputs * m + i * m + j] = src[j * inputs + i]!;
    });
    encoding = tf.tensor3d(e, [K, inputs, m]);
  }
  return { weights, biases, encoding };
}

/** Downloads stacked tensors back into K models in PyTorch layout. */
export async function unstackModels(arch: MlpArch, p: StackedParams): Promise<Model[]> {
  const K = p.weights[0]!.shape[0];
  const models: Model[] = Array.from({ length: K }, () => ({
    arch: { ...arch, widths: [...arch.widths] },
    params: {},
  }));
  for (let l = 0; l < p.weights.length; l++) {
    const [, inp, out] = p.weights[l]!.shape;
    const w = await p.weights[l]!.data<'float32'>();
    const b = await p.biases[l]!.data<'float32'>();
    for (let k = 0; k < K; k++) {
      const wt = new Float32Array(out * inp);
      for (let o = 0; o < out; o++)
        for (let i = 0; i < inp; i++) wt[o * inp + i] = w[k * inp * out + i * out + o]!;
      models[k]!.params[weightName(l)] = { data: wt, shape: [out, inp] };
      models[k]!.params[biasName(l)] = { data: b.slice(k * out, (k + 1) * out), shape: [out] };
    }
  }
  if (p.encoding) {
    const [, inputs, m] = p.encoding.shape;
    const e = await p.encoding.data<'float32'>();
    for (let k = 0; k < K; k++) {
      const bt = new Float32Array(m * inputs);
      for (let j = 0; j < m; j++)
        for (let i = 0; i < inputs; i++) bt[j * inputs + i] = e[k * inputs * m + i * m + j]!;
      models[k]!.params[ENCODING_NAME] = { data: bt, shape: [m, inputs] };
    }
  }
  return models;
}

/** Disposes every tensor of a stack. */
export function disposeStack(p: StackedParams): void {
  tf.dispose([...p.weights, ...p.biases]);
  if (p.encoding) p.encoding.dispose();
}

/**
 * A snapshot's moments stacked as the trainers keep their variables ([...weights, ...biases],
 * [K, …] each), handed to `use` (an optimiser's restore, which copies them) and freed after.
 */
export function withStackedMoments(
  s: PopulationSnapshot,
  use: (m: tf.Tensor3D[], v: tf.Tensor3D[]) => void,
): void {
  const like = s.models[0]!;
  const stacked = (xs: Float32Array[]) => stackModels(xs.map((f) => unflattenModel(like, f)));
  const m = stacked(s.m);
  const v = stacked(s.v);
  try {
    use([...m.weights, ...m.biases], [...v.weights, ...v.biases]);
  } finally {
    disposeStack(m);
    disposeStack(v);
  }
}

function activate(z: tf.Tensor3D, arch: MlpArch): tf.Tensor3D {
  switch (arch.activation) {
    case 'relu':
      return tf.relu(z);
    case 'sine':
      return tf.sin(tf.mul(z, sirenW0(arch)) as tf.Tensor3D);
    case 'tanh':
      return tf.tanh(z);
    case 'gelu': {
      // tanh approximation, matching forward.ts.
      const inner = tf.mul(tf.add(z, tf.mul(tf.pow(z, 3), 0.044715)), 0.7978845608028654);
      return tf.mul(tf.mul(z, 0.5), tf.add(tf.tanh(inner), 1));
    }
  }
}

/**
 * How a layer's matmul is issued. 'batched': one `[K,N,in]×[K,in,out]` matmul. 'split': K plain
 * 2-D matmuls whose gradients use explicit transposes, because tfjs-wasm sends only batch-1,
 * non-transposed matmuls to XNNPACK and runs every other one in a slow scalar loop. Which is
 * faster depends on the backend, so it is measured, not assumed.
 */
export type MatmulLayout = 'batched' | 'split';

/** a·b for 2-D tensors, with a gradient made only of non-transposed matmuls. */
const plainMatMul = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
      tf.matMul(dy as tf.Tensor2D, tf.transpose(saved[1]!) as tf.Tensor2D),
      tf.matMul(tf.transpose(saved[0]!) as tf.Tensor2D, dy as tf.Tensor2D),
    ],
  };
}) as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

function layerMatMul(h: tf.Tensor3D, w: tf.Tensor3D, layout: MatmulLayout): tf.Tensor3D {
  if (layout === 'batched' || w.shape[0] === 1)
    return layout === 'batched'
      ? tf.matMul(h, w)
      : (tf.expandDims(
          plainMatMul(tf.squeeze(h, [0]) as tf.Tensor2D, tf.squeeze(w, [0]) as tf.Tensor2D),
          0,
        ) as tf.Tensor3D);
  const hs = tf.unstack(h) as tf.Tensor2D[];
  const ws = tf.unstack(w) as tf.Tensor2D[];
  return tf.stack(hs.map((hk, k) => plainMatMul(hk, ws[k]!))) as tf.Tensor3D;
}

/**
 * Batched forward pass of the whole population: x is [N, inputs] shared by all members, or
 * [K, N, inputs]; returns [K, N, outputs]. Call inside tf.tidy.
 */
export function forwardStacked(
  arch: MlpArch,
  p: StackedParams,
  x: tf.Tensor2D | tf.Tensor3D,
  layout: MatmulLayout = 'batched',
): tf.Tensor3D {
  const K = p.weights[0]!.shape[0];
  let h: tf.Tensor3D =
    x.rank === 2 ? (tf.broadcastTo(x, [K, x.shape[0], x.shape[1]!]) as tf.Tensor3D) : (x as tf.Tensor3D);
  if (p.encoding) {
    const proj = tf.mul(layerMatMul(h, p.encoding, layout), 2 * Math.PI) as tf.Tensor3D;
    h = tf.concat([tf.sin(proj), tf.cos(proj)], 2);
  }
  const L = layerCount(arch);
  for (let l = 0; l < L; l++) {
    h = tf.add(layerMatMul(h, p.weights[l]!, layout), p.biases[l]!);
    if (l < L - 1) h = activate(h, arch);
  }
  const offset = arch.outputOffset ?? 0;
  return offset !== 0 ? tf.add(h, offset) : h;
}

/** Per-member mean squared error [K] of a forward pass against targets y [N, C]. */
export function perMemberMse(pred: tf.Tensor3D, y: tf.Tensor2D): tf.Tensor1D {
  return tf.mean(tf.squaredDifference(pred, y), [1, 2]) as tf.Tensor1D;
}
