/**
 * Turns the experiment's data source into the INR target: an image resized to size×size with
 * values in [0, 1] (grayscale, or RGB when the picture has colour). Decoding uses the browser's
 * own codecs after the header has been checked at the boundary.
 */
import { readImageHeader, ImageInputError } from '../../engine/image-header';
import { rgbaToImage01, type ImageData01 } from '../../engine/inr';
import { npyImage } from '../../engine/image-npy';
import { isNpy } from '../../engine/checkpoints/numpy';

export interface SampleInfo {
  id: string;
  label: string;
  file: string;
  credit: string;
}

let samples: Promise<SampleInfo[]> | null = null;
let mnist: Promise<Uint8Array> | null = null;

/** The shipped sample images (public/samples/samples.json). */
export function sampleList(): Promise<SampleInfo[]> {
  samples ??= fetch('/samples/samples.json').then((r) => {
    if (!r.ok) throw new Error(`sample list missing (${r.status})`);
    return r.json() as Promise<SampleInfo[]>;
  });
  return samples;
}

/** The 10,000 MNIST digits packed by the dev server / build (see scripts/mnist.ts). */
export function mnistBytes(): Promise<Uint8Array> {
  mnist ??= fetch('/data/mnist.bin').then(async (r) => {
    if (!r.ok) throw new Error(`MNIST digits missing (${r.status})`);
    return new Uint8Array(await r.arrayBuffer());
  });
  return mnist;
}

function toTarget(
  source: CanvasImageSource,
  sw: number,
  sh: number,
  size: number,
  forceGray = false,
): ImageData01 {
  // Centre-crop to a square, then resize with the browser's high-quality filter.
  const side = Math.min(sw, sh);
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(source, (sw - side) / 2, (sh - side) / 2, side, side, 0, 0, size, size);
  return rgbaToImage01(ctx.getImageData(0, 0, size, size).data, size, size, forceGray);
}

/** A `.npy` image (engine/image-npy.ts) through the same crop and resize as any other image. */
function decodeNpy(bytes: Uint8Array, name: string, size: number): ImageData01 {
  const img = npyImage(bytes, name);
  if (!img)
    throw new ImageInputError(
      `${name} is not an image array (it must be 2-D or 3-D with 1, 3 or 4 channels, values in [0, 1])`,
    );
  const { width, height, channels, data } = img;
  const px = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    for (let k = 0; k < 3; k++)
      px[p * 4 + k] = Math.round(255 * data[p * channels + (channels === 1 ? 0 : k)]!);
    px[p * 4 + 3] = 255;
  }
  const canvas = new OffscreenCanvas(width, height);
  canvas.getContext('2d')!.putImageData(new ImageData(px, width, height), 0, 0);
  return toTarget(canvas, width, height, size, channels === 1);
}

async function decode(bytes: Uint8Array, name: string, size: number): Promise<ImageData01> {
  if (isNpy(bytes)) return decodeNpy(bytes, name, size);
  const header = readImageHeader(bytes, name);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as BlobPart], { type: `image/${header.format}` }));
  } catch {
    throw new ImageInputError(
      `${name} looks like a ${header.format.toUpperCase()} but the browser could not decode it`,
    );
  }
  try {
    return toTarget(bitmap, bitmap.width, bitmap.height, size);
  } finally {
    bitmap.close();
  }
}

/** A shipped sample at the given size. */
export async function loadSample(id: string, size: number): Promise<ImageData01> {
  const info = (await sampleList()).find((s) => s.id === id);
  if (!info) throw new ImageInputError(`there is no sample image called "${id}"`);
  const r = await fetch(`/samples/${info.file}`);
  if (!r.ok) throw new Error(`sample ${id} missing (${r.status})`);
  return decode(new Uint8Array(await r.arrayBuffer()), info.label, size);
}

/** MNIST digit `index` (0–9999), upsampled to the given size. */
export async function loadMnist(index: number, size: number): Promise<ImageData01> {
  const bytes = await mnistBytes();
  const count = 10_000;
  const px = new Uint8ClampedArray(28 * 28 * 4);
  for (let i = 0; i < 784; i++) {
    const v = bytes[count + index * 784 + i]!;
    px[i * 4] = px[i * 4 + 1] = px[i * 4 + 2] = v;
    px[i * 4 + 3] = 255;
  }
  const small = new OffscreenCanvas(28, 28);
  small.getContext('2d')!.putImageData(new ImageData(px, 28, 28), 0, 0);
  return toTarget(small, 28, 28, size, true);
}

/** A dropped image file; the header is validated before the browser decodes anything. */
export async function loadImageBytes(bytes: Uint8Array, name: string, size: number): Promise<ImageData01> {
  return decode(bytes, name, size);
}

/** SHA-256 of a file, hex, to reference dropped files in shared links. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
