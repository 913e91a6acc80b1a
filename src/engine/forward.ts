import { addGramNT } from './gram';
import {
  ENCODING_NAME,
  biasName,
  layerCount,
  sirenW0,
  weightName,
  type Activation,
  type Model,
} from './model';

/** Applies a hidden-layer activation in place. Sine is SIREN's sin(w0·z). */
export function activateInPlace(z: Float32Array, activation: Activation, w0: number): void {
  switch (activation) {
    case 'relu':
      for (let i = 0; i < z.length; i++) if (z[i]! < 0) z[i] = 0;
      return;
    case 'sine':
      for (let i = 0; i < z.length; i++) z[i] = Math.sin(w0 * z[i]!);
      return;
    case 'tanh':
      for (let i = 0; i < z.length; i++) z[i] = Math.tanh(z[i]!);
      return;
    case 'gelu':
      // tanh approximation, as tfjs and PyTorch's approximate='tanh' compute it.
      for (let i = 0; i < z.length; i++) {
        const x = z[i]!;
        z[i] = 0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
      }
      return;
  }
}

/** Random Fourier features γ(x) = [sin(2πBx), cos(2πBx)] for a batch x of shape [n, inputs]. */
export function fourierEncode(model: Model, x: Float32Array, n: number): Float32Array {
  const b = model.params[ENCODING_NAME];
  if (!b) return x;
  const [m, inputs] = b.shape as [number, number];
  const out = new Float32Array(n * 2 * m);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let k = 0; k < inputs; k++) s += b.data[j * inputs + k]! * x[r * inputs + k]!;
      const a = 2 * Math.PI * s;
      out[r * 2 * m + j] = Math.sin(a);
      out[r * 2 * m + m + j] = Math.cos(a);
    }
  }
  return out;
}

/**
 * y = x Wᵀ + b for x [n, in], W [out, in]; accumulates in float64. The product is gram.ts's
 * register-blocked kernel (x·Wᵀ is exactly its NT form), 2–3× faster than a plain triple loop on
 * the alignment proofs and activation matching of 512-wide layers.
 */
export function linear(
  x: Float32Array,
  n: number,
  w: Float32Array,
  b: Float32Array,
  inDim: number,
  outDim: number,
): Float32Array {
  const acc = new Float64Array(n * outDim);
  addGramNT(x, w, n, outDim, inDim, acc);
  const y = new Float32Array(n * outDim);
  for (let r = 0; r < n; r++) {
    const o = r * outDim;
    for (let j = 0; j < outDim; j++) y[o + j] = acc[o + j]! + b[j]!;
  }
  return y;
}

/**
 * Runs the MLP on the CPU in plain TypeScript, returning the output [n, outputs] and the
 * post-activation hidden features of every hidden layer ([n, width] each). This is the reference
 * the tfjs paths are checked against, and what alignment uses for its proofs and activations.
 */
export function forwardWithHidden(
  model: Model,
  x: Float32Array,
  n: number,
): { output: Float32Array; hidden: Float32Array[] } {
  const { arch } = model;
  const w0 = sirenW0(arch);
  let h = fourierEncode(model, x, n);
  const hidden: Float32Array[] = [];
  const L = layerCount(arch);
  for (let l = 0; l < L; l++) {
    const w = model.params[weightName(l)]!;
    const b = model.params[biasName(l)]!;
    const [outDim, inDim] = w.shape as [number, number];
    h = linear(h, n, w.data, b.data, inDim, outDim);
    if (l < L - 1) {
      activateInPlace(h, arch.activation, w0);
      hidden.push(h);
    }
  }
  const offset = arch.outputOffset ?? 0;
  if (offset !== 0) for (let i = 0; i < h.length; i++) h[i] = h[i]! + offset;
  return { output: h, hidden };
}

/** The MLP's output for a batch x of shape [n, inputs]. */
export function forward(model: Model, x: Float32Array, n: number): Float32Array {
  return forwardWithHidden(model, x, n).output;
}
