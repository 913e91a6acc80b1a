/**
 * A NumPy array as an image target: a `.npy` holding a 2-D (H × W) or 3-D (H × W × C, C = 1, 3
 * or 4) float or integer array whose values all lie in [0, 1] is what INR datasets store images
 * as. Anything else is not an image (it may well be a weight matrix: the app then asks).
 */
import { isNpy, parseNpy } from './checkpoints/numpy';
import type { ImageData01 } from './inr';
import { MAX_IMAGE_SIDE } from './image-header';

/** The array as an image at its own size (alpha dropped), or null when it cannot be one. */
export function npyImage(bytes: Uint8Array, name = 'array.npy'): ImageData01 | null {
  if (!isNpy(bytes)) return null;
  let t;
  try {
    t = parseNpy(bytes, name);
  } catch {
    return null;
  }
  const shape = t.shape;
  if (shape.length !== 2 && shape.length !== 3) return null;
  const [height, width] = shape as [number, number];
  const c = shape.length === 3 ? shape[2]! : 1;
  if (![1, 3, 4].includes(c) || height < 2 || width < 2) return null;
  if (height > MAX_IMAGE_SIDE || width > MAX_IMAGE_SIDE) return null;
  const src = t.data ?? t.intData;
  if (!src) return null;
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (!(v >= 0 && v <= 1)) return null;
  }
  const channels = c === 1 ? 1 : 3;
  const data = new Float32Array(height * width * channels);
  for (let p = 0; p < height * width; p++)
    for (let k = 0; k < channels; k++) data[p * channels + k] = src[p * c + k]!;
  return { width, height, channels, data };
}
