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

/** Channel mixing on the last axis: t [..., cIn] · m [cIn, cOut]. */
function mix(t: tf.Tensor, m: tf.Variable): tf.Tensor {
  const shape = t.shape;
  const cIn = shape[shape.length - 1]!;
  const out = tf.matMul(tf.reshape(t, [-1, cIn]), m as tf.Tensor2D);
  return tf.reshape(out, [...shape.slice(0, -1), m.shape[1]!]);
}

interface NpLayerParams {
  pointwise: tf.Variable;
  global: tf.Variable;
  row: tf.Variable;
  col: tf.Variable;
  biasCol: tf.Variable;
  biasGlobal: tf.Variable;
  wOffset: tf.Variable;
  bOffset: tf.Variable;
}

/** Per layer: W [B, out, in, c] and b [B, out, c]. */
interface WsFeatures {
  w: tf.Tensor4D[];
  b: tf.Tensor3D[];
}

function npLayerParams(rng: Rng, L: number, i: number, cIn: number, cOut: number): NpLayerParams {
  const rowIn = (1 + (i > 0 ? 2 : 0)) * cIn;
  const colIn = (2 + (i < L - 1 ? 1 : 0)) * cIn;
  const glob = 2 * L * cIn;
  // Four terms add up in each weight output (two in a bias), so each starts at half the usual scale.
  return {
    pointwise: uniformVar(rng, [cIn, cOut], 4 * cIn),
    global: uniformVar(rng, [glob, cOut], 4 * glob),
    row: uniformVar(rng, [rowIn, cOut], 4 * rowIn),
    col: uniformVar(rng, [colIn, cOut], 4 * colIn),
    biasCol: uniformVar(rng, [colIn, cOut], 2 * colIn),
    biasGlobal: uniformVar(rng, [glob, cOut], 2 * glob),
    wOffset: zerosVar([cOut]),
    bOffset: zerosVar([cOut]),
  };
}

/** Broadcasting sum (tf.addN needs equal shapes). */
const sum = (ts: tf.Tensor[]): tf.Tensor => ts.reduce((a, t) => tf.add(a, t));

/** One NP layer (NFN's NPLinear, written out term by term). */
function npLayer(f: WsFeatures, ps: NpLayerParams[]): WsFeatures {
  const L = f.w.length;
  const rowMeans = f.w.map((w) => tf.mean(w, 1) as tf.Tensor3D); // [B, in, c], indexed by input unit
  const colMeans = f.w.map((w) => tf.mean(w, 2) as tf.Tensor3D); // [B, out, c], indexed by output unit
  const glob = tf.concat(
    [...f.w.map((w) => tf.mean(w, [1, 2])), ...f.b.map((b) => tf.mean(b, 1))],
    1,
  ) as tf.Tensor2D;
  const w: tf.Tensor4D[] = [];
  const b: tf.Tensor3D[] = [];
  for (let i = 0; i < L; i++) {
    const p = ps[i]!;
    const [B, out, inp] = f.w[i]!.shape;
    const rowFeat = tf.concat([rowMeans[i]!, ...(i > 0 ? [colMeans[i - 1]!, f.b[i - 1]!] : [])], 2);
    const colFeat = tf.concat([colMeans[i]!, f.b[i]!, ...(i < L - 1 ? [rowMeans[i + 1]!] : [])], 2);
    const g = mix(glob, p.global);
    const cOut = p.pointwise.shape[1]!;
    w.push(
      sum([
        mix(f.w[i]!, p.pointwise),
        tf.reshape(g, [B, 1, 1, cOut]),
        tf.reshape(mix(rowFeat, p.row), [B, 1, inp, cOut]),
        tf.reshape(mix(colFeat, p.col), [B, out, 1, cOut]),
        tf.reshape(p.wOffset, [1, 1, 1, cOut]),
      ]) as tf.Tensor4D,
    );
    b.push(
      sum([
        mix(colFeat, p.biasCol),
        tf.reshape(mix(glob, p.biasGlobal), [B, 1, cOut]),
        tf.reshape(p.bOffset, [1, 1, cOut]),
      ]) as tf.Tensor3D,
    );
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
 * layer keeps one value per input, the last one per output).
 */
export function npNet(arch: MlpArch, classes: number, channels: number, seed: number): WsNet {
  const rng = createRng(seed);
  const slots = rowLayout(arch);
  const L = slots.length;
  const nIn = arch.widths[0]!;
  const nOut = arch.widths[L]!;
  const cIn = 1 + 2 * FOURIER;
  const chans = [cIn, channels, channels];
  const freqs = tf.tidy(() =>
    tf.variable(
      tf.tensor(
        Float32Array.from({ length: FOURIER }, () => 2 * Math.PI * FOURIER_SIGMA * rng.normal()),
        [FOURIER],
      ),
      false,
    ),
  );
  const layers = chans.slice(1).map((c, j) => slots.map((_, i) => npLayerParams(rng, L, i, chans[j]!, c)));
  const normalVar = (shape: number[]): tf.Variable => {
    const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
    return tf.tidy(() => tf.variable(tf.tensor(data, shape), true));
  };
  const inEmbed = normalVar([1, 1, nIn, cIn]);
  const outEmbed = normalVar([1, nOut, 1, cIn]);
  const outBiasEmbed = normalVar([1, nOut, cIn]);
  const encode = (t: tf.Tensor): tf.Tensor => {
    const proj = tf.mul(t, freqs);
    return tf.concat([t, tf.sin(proj), tf.cos(proj)], t.rank - 1);
  };
  // HNP pooling: layer 0 → nIn values, middle layers → 1, last → nOut (weights) + nOut (bias).
  const pooled = channels * (nIn + (L - 2) + 2 * nOut + (L - 1));
  const h1 = uniformVar(rng, [pooled, 64], pooled);
  const h1b = zerosVar([64]);
  const h2 = uniformVar(rng, [64, classes], 64);
  const h2b = zerosVar([classes]);
  const vars = [
    ...layers.flat().flatMap((p) => Object.values(p) as tf.Variable[]),
    inEmbed,
    outEmbed,
    outBiasEmbed,
    h1,
    h1b,
    h2,
    h2b,
  ];
  return {
    vars,
    logits(x) {
      let f = split(x, slots);
      f = { w: f.w.map((w) => encode(w) as tf.Tensor4D), b: f.b.map((b) => encode(b) as tf.Tensor3D) };
      f = {
        w: f.w.map((w, i) => {
          let t: tf.Tensor4D = w;
          if (i === 0) t = tf.add(t, inEmbed);
          if (i === L - 1) t = tf.add(t, outEmbed);
          return t;
        }),
        b: f.b.map((b, i) => (i === L - 1 ? tf.add(b, outBiasEmbed) : b)),
      };
      layers.forEach((ps, j) => {
        f = npLayer(f, ps);
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
      const h = tf.relu(tf.add(tf.matMul(pool, h1 as tf.Tensor2D), h1b));
      return tf.add(tf.matMul(h, h2 as tf.Tensor2D), h2b);
    },
    dispose: () => tf.dispose([...vars, freqs]),
  };
}
