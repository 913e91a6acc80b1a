/**
 * PCA with its O(N²D) part, the Gram matrix G = X̃X̃ᵀ of the centred points, as ONE float32 GEMM on
 * the current tfjs backend: on a GPU (WebGL, WebGPU) the 6.5 GFLOP of 256 models × 50,000
 * parameters take milliseconds instead of the ~0.8 s of the float64 JavaScript kernel in
 * landscape/pca.ts. The price is float32 accumulation: entries of G carry a relative error around
 * 1e-6 to 1e-5 (tested against the float64 PCA), far below what a scatter plot can show.
 * Centring, the eigenproblem and the axes stay in float64.
 */
import * as tf from '@tensorflow/tfjs-core';
import { pca, pcaFromGram, pcaMean, type PcaResult } from '../landscape/pca';

/** G = X̃X̃ᵀ (float64 copy of a float32 product) on the current backend. */
export async function centredGramTf(points: readonly (Float32Array | Float64Array)[], mean: Float64Array): Promise<Float64Array> {
  const n = points.length;
  const dim = mean.length;
  const centred = new Float32Array(n * dim);
  points.forEach((p, i) => {
    const o = i * dim;
    for (let d = 0; d < dim; d++) centred[o + d] = p[d]! - mean[d]!;
  });
  // An explicit transpose, not matMul(x, x, false, true): tfjs-wasm 4.22 runs the transposed-
  // operand form outside XNNPACK, 8× slower here (2.9 s against 0.34 s for the product).
  const g = tf.tidy(() => {
    const x = tf.tensor2d(centred, [n, dim]);
    return tf.matMul(x, tf.transpose(x));
  });
  try {
    return Float64Array.from(await g.data());
  } finally {
    g.dispose();
  }
}

/** `pca` with the Gram matrix computed by tfjs; same result type, float32-accurate G. */
export async function pcaTf(points: readonly (Float32Array | Float64Array)[], k = 3): Promise<PcaResult> {
  const mean = pcaMean(points, k);
  return pcaFromGram(points, mean, await centredGramTf(points, mean), k);
}

/**
 * The PCA the Cloud view runs on `backend`: the tfjs Gram on a GPU backend (webgl, webgpu), where
 * the GEMM costs milliseconds; the exact float64 kernel on wasm and cpu, where it is as fast
 * (measured for 256 × 50,000: 0.96 s float64 JavaScript against 0.93 s through tfjs-wasm, whose
 * GEMM is quick but whose upload and transpose of 51 MB are not).
 */
export function pcaOnBackend(points: readonly (Float32Array | Float64Array)[], k: number, backend: string): Promise<PcaResult> {
  return backend === 'webgl' || backend === 'webgpu' ? pcaTf(points, k) : Promise.resolve(pca(points, k));
}
