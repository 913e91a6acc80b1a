/**
 * The INR convention shared with SIREN, DWSNets and NFN datasets: coordinates are
 * linspace(−1, 1, n) per axis with 'ij' indexing, a coordinate is (row, col), pixel values lie in
 * [0, 1], the loss is MSE and PSNR = 10·log10(1/MSE).
 */

import type { RegressionData } from './data/eval-data';

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

/**
 * 8-bit RGBA pixels (a canvas's or a PNG decoder's) as an image in [0, 1]: three channels when
 * any pixel is coloured (a channel differs by more than 2 levels), else one grey channel
 * (ITU-R BT.601 luma), as every image the app or the CLI reads.
 */
export function rgbaToImage01(
  rgba: ArrayLike<number>,
  width: number,
  height: number,
  forceGray = false,
): ImageData01 {
  let colour = false;
  if (!forceGray)
    for (let i = 0; i < rgba.length && !colour; i += 4)
      colour = Math.abs(rgba[i]! - rgba[i + 1]!) > 2 || Math.abs(rgba[i + 1]! - rgba[i + 2]!) > 2;
  const channels = colour ? 3 : 1;
  const data = new Float32Array(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    if (colour) for (let c = 0; c < 3; c++) data[p * 3 + c] = rgba[p * 4 + c]! / 255;
    else data[p] = (0.299 * rgba[p * 4]! + 0.587 * rgba[p * 4 + 1]! + 0.114 * rgba[p * 4 + 2]!) / 255;
  }
  return { width, height, channels, data };
}

/** An image as an INR regression target over its coordinate grid ((row, col) in [−1, 1]²). */
export function imageRegressionData(img: ImageData01): RegressionData {
  return {
    kind: 'regression',
    x: coordinateGrid(img.height, img.width),
    y: img.data,
    n: img.width * img.height,
    inputs: 2,
    channels: img.channels,
  };
}
