/**
 * The networks that read weights. Both take a batch of scaled rows [B, D] (weightspace/prepare)
 * and return logits [B, classes]; parameters are initialised from the engine's seeded Rng.
 *
 * - `mlpNet`: D → width → width → classes, ReLU.
 * - `npNet`: NFN's NP layers (Zhou et al. 2023, "Permutation Equivariant Neural Functionals",
 *   Sec. 3, the NP weight-space layer), each mixing every weight with its row mean, its column
 *   mean, the neighbouring layers' means that share its units, its bias, and the global means of
 *   every layer; then mean pooling per layer (invariant) and a small head. Every term is
 *   pointwise or a mean over a permuted axis, so the logits are invariant to hidden permutations
 *   up to float rounding.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { MlpArch } from '../model';
import { createRng, type Rng } from '../rng';
import { rowLayout, type LayerSlot } from '../weightspace/layout';

export interface WsNet {
  vars: tf.Variable[];
  /** Call inside tf.tidy. */
  logits(x: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

function uniformVar(rng: Rng, shape: number[], fanIn: number): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1);
  const bound = 1 / Math.sqrt(fanIn);
  const data = Float32Array.from({ length: n }, () => rng.uniform(-bound, bound));
  // Made inside tidy: a variable keeps its initial tensor's data, and the tensor itself must go.
  return tf.tidy(() => tf.variable(tf.tensor(data, shape), true));
}

const zerosVar = (shape: number[]): tf.Variable => tf.tidy(() => tf.variable(tf.zeros(shape), true));

/** The plain MLP on flattened weights. */
export function mlpNet(dim: number, classes: number, width: number, seed: number): WsNet {
  const rng = createRng(seed);
  const sizes = [dim, width, width, classes];
  const ws = sizes.slice(1).map((o, i) => uniformVar(rng, [sizes[i]!, o], sizes[i]!));
  const bs = sizes.slice(1).map((o) => zerosVar([o]));
  return {
    vars: [...ws, ...bs],
    logits(x) {
      let h: tf.Tensor2D = x;
      ws.forEach((w, i) => {
        h = tf.add(tf.matMul(h, w as tf.Tensor2D), bs[i]!);
        if (i < ws.length - 1) h = tf.relu(h);
      });
      return h;
    },
    dispose: () => tf.dispose([...ws, ...bs]),
  };
}

/**
 * x [R, cIn] · m [cIn, cOut] with a gradient that transposes explicitly. tfjs's own gradient asks
 * for xᵀ·dy as a transposed-A matmul, which tfjs-wasm runs ~3× slower than a transpose followed
 * by a plain matmul (measured here on [32768, 16]ᵀ·[32768, 16]: 6.2 ms against 2.1 ms); with
 * R = members × out × in, those products were the largest kernels of an NP training step.
 */
const matMul2d = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, m, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([x, m]);
  return {
    value: tf.matMul(x as tf.Tensor2D, m as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sx, sm] = saved as [tf.Tensor2D, tf.Tensor2D];
      const g = dy as tf.Tensor2D;
      return [tf.matMul(g, tf.transpose(sm)), tf.matMul(tf.transpose(sx), g)];
    },
  };
}) as (x: tf.Tensor2D, m: tf.Tensor2D) => tf.Tensor2D;

/** Channel mixing on the last axis: t [..., cIn] · m [cIn, cOut]. */
function mix(t: tf.Tensor, m: tf.Tensor): tf.Tensor {
  const shape = t.shape;
  const cIn = shape[shape.length - 1]!;
  const out = matMul2d(tf.reshape(t, [-1, cIn]), m as tf.Tensor2D);
  return tf.reshape(out, [...shape.slice(0, -1), m.shape[1]!]);
}

/**
 * Parameters packed into ONE variable and split into views inside the forward pass. The
 * optimizer then updates one tensor per step: Adam costs about a dozen kernels per variable, and
 * with one variable per matrix (55 in the NP network) most of a step's ~1,900 kernel launches were
 * the update. The gradient of the split is a single concat.
 */
class ParamPack {
  private readonly parts: { shape: number[]; data: Float32Array }[] = [];
  private variable: tf.Variable | null = null;

  /** Adds a parameter; returns its index in `views()`. */
  add(shape: number[], data: Float32Array): number {
    this.parts.push({ shape, data });
    return this.parts.length - 1;
  }

  build(): tf.Variable {
    const flat = new Float32Array(this.parts.reduce((a, p) => a + p.data.length, 0));
    let off = 0;
    for (const p of this.parts) {
      flat.set(p.data, off);
      off += p.data.length;
    }
    this.variable = tf.tidy(() => tf.variable(tf.tensor1d(flat), true));
    return this.variable;
  }

  /** Every parameter as a tensor of its shape. Call inside tf.tidy. */
  views(): tf.Tensor[] {
    const pieces = tf.split(
      this.variable!,
      this.parts.map((p) => p.data.length),
    );
    return pieces.map((t, i) => tf.reshape(t, this.parts[i]!.shape));
  }
}

const uniformData = (rng: Rng, n: number, fanIn: number): Float32Array => {
  const bound = 1 / Math.sqrt(fanIn);
  return Float32Array.from({ length: n }, () => rng.uniform(-bound, bound));
};

/** [rows, a] and [rows, b] side by side: [rows, a + b]. */
function hcat(x: Float32Array, a: number, y: Float32Array, b: number): Float32Array {
  const rows = x.length / a;
  const out = new Float32Array(rows * (a + b));
  for (let r = 0; r < rows; r++) {
    out.set(x.subarray(r * a, (r + 1) * a), r * (a + b));
    out.set(y.subarray(r * b, (r + 1) * b), r * (a + b) + a);
  }
  return out;
}

/**
 * One NP layer's parameters as indices into the pack. The two terms that read the same features
 * share one matrix (weight and bias outputs side by side), so each is one matmul:
 * `colBoth` = [col | biasCol] on the column features, `globBoth` = [global | biasGlobal] on the
 * global means, `offsets` = [wOffset | bOffset].
 */
interface NpLayerParams {
  pointwise: number;
  row: number;
  colBoth: number;
  globBoth: number;
  offsets: number;
  cOut: number;
}

/** Per layer: W [B, out, in, c] and b [B, out, c]. */
interface WsFeatures {
  w: tf.Tensor4D[];
  b: tf.Tensor3D[];
}

function npLayerParams(
  pack: ParamPack,
  rng: Rng,
  L: number,
  i: number,
  cIn: number,
  cOut: number,
): NpLayerParams {
  const rowIn = (1 + (i > 0 ? 2 : 0)) * cIn;
  const colIn = (2 + (i < L - 1 ? 1 : 0)) * cIn;
  const glob = 2 * L * cIn;
  // Four terms add up in each weight output (two in a bias), so each starts at half the usual
  // scale. Drawn in this order so that a seed gives the same network as before the packing.
  const pointwise = uniformData(rng, cIn * cOut, 4 * cIn);
  const global = uniformData(rng, glob * cOut, 4 * glob);
  const row = uniformData(rng, rowIn * cOut, 4 * rowIn);
  const col = uniformData(rng, colIn * cOut, 4 * colIn);
  const biasCol = uniformData(rng, colIn * cOut, 2 * colIn);
  const biasGlobal = uniformData(rng, glob * cOut, 2 * glob);
  return {
    pointwise: pack.add([cIn, cOut], pointwise),
    row: pack.add([rowIn, cOut], row),
    colBoth: pack.add([colIn, 2 * cOut], hcat(col, cOut, biasCol, cOut)),
    globBoth: pack.add([glob, 2 * cOut], hcat(global, cOut, biasGlobal, cOut)),
    offsets: pack.add([2 * cOut], new Float32Array(2 * cOut)),
    cOut,
  };
}

/**
 * One NP layer (NFN's NPLinear). Per output weight W'[j,k] of layer i:
 * P·W[j,k] + R·[rowmean_i, colmean_{i−1}, b_{i−1}][k] + C·[colmean_i, b_i, rowmean_{i+1}][j]
 * + G·(global means) + offset; per output bias: C_b·(column features)[j] + G_b·(global means) +
 * offset. The small terms that broadcast the same way are summed before they meet the big
 * [B, out, in, c] tensor, so each layer makes two full-size adds rather than four.
 */
function npLayer(f: WsFeatures, ps: NpLayerParams[], p: tf.Tensor[]): WsFeatures {
  const L = f.w.length;
  const B = f.w[0]!.shape[0];
  const rowMeans = f.w.map((w) => tf.mean(w, 1) as tf.Tensor3D); // [B, in, c], indexed by input unit
  const colMeans = f.w.map((w) => tf.mean(w, 2) as tf.Tensor3D); // [B, out, c], indexed by output unit
  const glob = tf.concat(
    [...colMeans.map((m) => tf.mean(m, 1)), ...f.b.map((b) => tf.mean(b, 1))],
    1,
  ) as tf.Tensor2D;
  const w: tf.Tensor4D[] = [];
  const b: tf.Tensor3D[] = [];
  for (let i = 0; i < L; i++) {
    const q = ps[i]!;
    const cOut = q.cOut;
    const [, out, inp] = f.w[i]!.shape;
    const rowFeat = tf.concat([rowMeans[i]!, ...(i > 0 ? [colMeans[i - 1]!, f.b[i - 1]!] : [])], 2);
    const colFeat = tf.concat([colMeans[i]!, f.b[i]!, ...(i < L - 1 ? [rowMeans[i + 1]!] : [])], 2);
    const [gW, gB] = tf.split(tf.add(tf.matMul(glob, p[q.globBoth] as tf.Tensor2D), p[q.offsets]!), 2, 1);
    const [cW, cB] = tf.split(mix(colFeat, p[q.colBoth]!), 2, 2);
    const rowTerm = tf.add(mix(rowFeat, p[q.row]!), tf.reshape(gW!, [B, 1, cOut]));
    w.push(
      tf.add(
        tf.add(mix(f.w[i]!, p[q.pointwise]!), tf.reshape(rowTerm, [B, 1, inp, cOut])),
        tf.reshape(cW!, [B, out, 1, cOut]),
      ) as tf.Tensor4D,
    );
    b.push(tf.add(cB!, tf.reshape(gB!, [B, 1, cOut])) as tf.Tensor3D);
  }
  return { w, b };
}

function split(x: tf.Tensor2D, slots: LayerSlot[]): WsFeatures {
  const B = x.shape[0];
  return {
    w: slots.map(
      (s) => tf.reshape(tf.slice(x, [0, s.w], [B, s.out * s.inp]), [B, s.out, s.inp, 1]) as tf.Tensor4D,
    ),
    b: slots.map((s) => tf.reshape(tf.slice(x, [0, s.b], [B, s.out]), [B, s.out, 1]) as tf.Tensor3D),
  };
}

/**
 * Each weight value first becomes [v, sin(2πBv), cos(2πBv)] with B ~ N(0, σ²) fixed per network:
 * NFN's GaussianFourierFeatureTransform, which its INR classifiers use. Pointwise, so it keeps
 * equivariance; on this machine it lifted held-out accuracy on small MNIST-INR zoos from ~0.6 to
 * ~0.75. Inputs are scaled to RMS 1 per layer (prepare.ts), hence σ = 1 rather than NFN's 10.
 */
const FOURIER = 8;
const FOURIER_SIGMA = 1;

/**
 * Fourier-encoded weights, two NP layers (→ c → c channels, ReLU between) and a head c·P → 64 → classes. Two things
 * from NFN break the NP layer's symmetry of the input and output units, which are not
 * interchangeable in an MLP: learned input/output embeddings added to the first and last layer
 * (NFN's `io_embed`), and pooling that averages only hidden axes (NFN's `HNPPool`: the first
 * layer keeps one value per input, the last one per output). All trainable parameters live in
 * one packed variable (ParamPack).
 */
export function npNet(arch: MlpArch, classes: number, channels: number, seed: number): WsNet {
  const rng = createRng(seed);
  const slots = rowLayout(arch);
  const L = slots.length;
  const nIn = arch.widths[0]!;
  const nOut = arch.widths[L]!;
  const cIn = 1 + 2 * FOURIER;
  const chans = [cIn, channels, channels];
  const freqs = tf.keep(
    tf.tensor(
      Float32Array.from({ length: FOURIER }, () => 2 * Math.PI * FOURIER_SIGMA * rng.normal()),
      [FOURIER],
    ),
  );
  const pack = new ParamPack();
  const layers = chans
    .slice(1)
    .map((c, j) => slots.map((_, i) => npLayerParams(pack, rng, L, i, chans[j]!, c)));
  const normal = (shape: number[]): number =>
    pack.add(
      shape,
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
    );
  const inEmbed = normal([1, 1, nIn, cIn]);
  const outEmbed = normal([1, nOut, 1, cIn]);
  const outBiasEmbed = normal([1, nOut, cIn]);
  const encode = (t: tf.Tensor): tf.Tensor => {
    const proj = tf.mul(t, freqs);
    return tf.concat([t, tf.sin(proj), tf.cos(proj)], t.rank - 1);
  };
  // HNP pooling: layer 0 → nIn values, middle layers → 1, last → nOut (weights) + nOut (bias).
  const pooled = channels * (nIn + (L - 2) + 2 * nOut + (L - 1));
  const h1 = pack.add([pooled, 64], uniformData(rng, pooled * 64, pooled));
  const h1b = pack.add([64], new Float32Array(64));
  const h2 = pack.add([64, classes], uniformData(rng, 64 * classes, 64));
  const h2b = pack.add([classes], new Float32Array(classes));
  const theta = pack.build();
  return {
    vars: [theta],
    logits(x) {
      const p = pack.views();
      let f = split(x, slots);
      f = {
        w: f.w.map((w, i) => {
          let t = encode(w) as tf.Tensor4D;
          if (i === 0) t = tf.add(t, p[inEmbed]!);
          if (i === L - 1) t = tf.add(t, p[outEmbed]!);
          return t;
        }),
        b: f.b.map((b, i) => {
          const t = encode(b) as tf.Tensor3D;
          return i === L - 1 ? tf.add(t, p[outBiasEmbed]!) : t;
        }),
      };
      layers.forEach((ps, j) => {
        f = npLayer(f, ps, p);
        if (j < layers.length - 1) f = { w: f.w.map((t) => tf.relu(t)), b: f.b.map((t) => tf.relu(t)) };
      });
      const B = x.shape[0];
      const parts: tf.Tensor2D[] = [];
      f.w.forEach((w, i) => {
        if (i === 0) parts.push(tf.reshape(tf.mean(w, 1), [B, -1]));
        else if (i === L - 1) parts.push(tf.reshape(tf.mean(w, 2), [B, -1]));
        else parts.push(tf.mean(w, [1, 2]) as tf.Tensor2D);
      });
      f.b.forEach((b, i) =>
        parts.push(i === L - 1 ? tf.reshape(b, [B, -1]) : (tf.mean(b, 1) as tf.Tensor2D)),
      );
      const pool = tf.concat(parts, 1);
      const h = tf.relu(tf.add(tf.matMul(pool, p[h1] as tf.Tensor2D), p[h1b]!));
      return tf.add(tf.matMul(h, p[h2] as tf.Tensor2D), p[h2b]!);
    },
    dispose: () => tf.dispose([theta, freqs]),
  };
}
