/**
 * The INR convention shared with SIREN, DWSNets and NFN datasets: coordinates are
 * linspace(−1, 1, n) per axis with 'ij' indexing, a coordinate is (row, col), pixel values lie in
 * [0, 1], the loss is MSE and PSNR = 10·log10(1/MSE).
 */

/** An image: row-major [height, width, channels], values in [0, 1]. */
export interface ImageData01 {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

/** linspace(−1, 1, n); a single point sits at −1, as numpy and torch do for n = 1. */
export function linspace(n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = n === 1 ? -1 : -1 + (2 * i) / (n - 1);
  return out;
}

/** Coordinate grid [height·width, 2] of (row, col) pairs, 'ij' indexing. */
export function coordinateGrid(height: number, width: number): Float32Array {
  const rows = linspace(height);
  const cols = linspace(width);
  const out = new Float32Array(height * width * 2);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const i = (r * width + c) * 2;
      out[i] = rows[r]!;
      out[i + 1] = cols[c]!;
    }
  }
  return out;
}

/** Mean squared error, accumulated in float64. */
export function mse(prediction: ArrayLike<number>, target: ArrayLike<number>): number {
  if (prediction.length !== target.length)
    throw new RangeError(`mse: ${prediction.length} vs ${target.length} values`);
  let s = 0;
  for (let i = 0; i < target.length; i++) {
    const d = prediction[i]! - target[i]!;
    s += d * d;
  }
  return s / target.length;
}

/** PSNR in dB for signals in [0, 1]: 10·log10(1/MSE). */
export function psnr(mseValue: number): number {
  return 10 * Math.log10(1 / Math.max(mseValue, 1e-20));
}
