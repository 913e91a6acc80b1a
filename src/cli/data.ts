/**
 * `--data` and `--image` files: an image (PNG, or `.npy` [H, W] / [H, W, C] in [0, 1]) becomes an
 * INR target on the coordinate grid; an `.npz` with `x` (N × inputs, float) and `y` (N integer
 * labels) becomes a classification batch. The file type is recognised by its bytes.
 */
import { PNG } from 'pngjs';
import { CheckpointError, parseNpy, readNpyShape } from '../engine/checkpoints/index';
import { classificationFor, DatasetError, parseDatasetNpz } from '../engine/data/dataset';
import { checkImageSize, ImageInputError, readImageHeader } from '../engine/image-header';
import { imageRegressionData, rgbaToImage01, type ImageData01 } from '../engine/inr';
import type { ClassificationData, EvalData } from '../engine/data/eval-data';
import { CliError } from './args';
import { readInput } from './io';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];
const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const startsWith = (b: Uint8Array, m: number[]): boolean =>
  b.length >= m.length && m.every((x, i) => b[i] === x);

/**
 * PNG → [0, 1]. Like the app: RGB when any pixel's channels differ by more than 2/255, else
 * grayscale by luminance (ITU-R BT.601 weights); alpha is ignored.
 */
function decodePng(p: string, bytes: Uint8Array): ImageData01 {
  // The app's caps, from the header, before pngjs allocates anything.
  imageCaps(() => readImageHeader(bytes, p));
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new CliError(`${p}: not a readable PNG (${(e as Error).message})`);
  }
  return rgbaToImage01(png.data, png.width, png.height);
}

/** Runs an image-size check, turning its refusal into a CliError. */
function imageCaps(check: () => unknown): void {
  try {
    check();
  } catch (e) {
    if (e instanceof ImageInputError) throw new CliError(e.message);
    throw e;
  }
}

function decodeNpyImage(p: string, bytes: Uint8Array): ImageData01 {
  let t;
  try {
    // The same caps as a PNG, from the header, before any value is decoded.
    const { shape } = readNpyShape(bytes, p);
    if (shape.length === 2 || shape.length === 3) imageCaps(() => checkImageSize(shape[1]!, shape[0]!, p));
    t = parseNpy(bytes, p);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CliError(`${p}: ${e.message}`);
    throw e;
  }
  if (!t.data) throw new CliError(`${p}: an image .npy must hold floats in [0, 1], not ${t.dtype}`);
  const [h, w, c = 1] = t.shape;
  if ((t.shape.length !== 2 && t.shape.length !== 3) || !h || !w || c < 1 || c > 4) {
    throw new CliError(
      `${p}: an image .npy has shape [H, W] or [H, W, C] with C ≤ 4; got [${t.shape.join(', ')}]`,
    );
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of t.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!(lo >= 0 && hi <= 1))
    throw new CliError(
      `${p}: image values must lie in [0, 1], found [${lo}, ${hi}] (divide 8-bit pixels by 255)`,
    );
  return { width: w, height: h, channels: c, data: t.data };
}

/**
 * Area resampling of one axis: output cell o covers source [o·n/m, (o+1)·n/m), each source pixel
 * weighted by its overlap, so downsampling averages and nothing aliases.
 */
function resampleAxis(
  src: Float32Array,
  outer: number,
  n: number,
  inner: number,
  m: number,
  start = 0,
  span = n,
): Float32Array {
  const out = new Float32Array(outer * m * inner);
  const scale = span / m;
  for (let o = 0; o < m; o++) {
    const a = start + o * scale;
    const b = a + scale;
    for (let k = Math.floor(a); k < Math.min(n, Math.ceil(b)); k++) {
      const w = (Math.min(b, k + 1) - Math.max(a, k)) / scale;
      if (w <= 0) continue;
      for (let r = 0; r < outer; r++) {
        for (let c = 0; c < inner; c++)
          out[(r * m + o) * inner + c] = out[(r * m + o) * inner + c]! + w * src[(r * n + k) * inner + c]!;
      }
    }
  }
  return out;
}

/** Centre-crops to a square and resizes to size×size, as the app prepares its targets. */
export function resizeSquare(img: ImageData01, size: number): ImageData01 {
  const side = Math.min(img.width, img.height);
  const top = (img.height - side) / 2;
  const left = (img.width - side) / 2;
  const rows = resampleAxis(img.data, 1, img.height, img.width * img.channels, size, top, side);
  const data = resampleAxis(rows, size, img.width, img.channels, size, left, side);
  return { width: size, height: size, channels: img.channels, data };
}

/** Reads an image (PNG or .npy) with values in [0, 1]; `size` centre-crops and resizes. */
export function loadImage(p: string, size?: number, bytes: Uint8Array = readInput(p)): ImageData01 {
  let img: ImageData01;
  if (startsWith(bytes, PNG_MAGIC)) img = decodePng(p, bytes);
  else if (startsWith(bytes, NPY_MAGIC)) img = decodeNpyImage(p, bytes);
  else
    throw new CliError(
      `${p}: not an image; give a PNG, or a .npy of shape [H, W] or [H, W, C] with values in [0, 1]`,
    );
  return size === undefined ? img : resizeSquare(img, size);
}

/** A dataset `.npz` (x, y), checked by the same boundary as a drop in the app. */
function loadClassification(
  p: string,
  bytes: Uint8Array,
  modelInputs: number,
  classes: number,
): ClassificationData {
  try {
    return classificationFor(parseDatasetNpz(bytes, p), p, modelInputs, classes);
  } catch (e) {
    if (e instanceof DatasetError)
      throw new CliError(e.message.startsWith(p) ? e.message : `${p}: ${e.message}`);
    throw e;
  }
}

/**
 * `--data D` for models with `inputs` inputs and `outputs` outputs: an image for INRs, or a
 * classification `.npz`; `size` resizes an image to size×size (its training size). Checks the shapes against the models here, so that a mismatch is
 * reported in terms of the files rather than as a tensor-shape error deep inside tfjs.
 */
export function loadEvalData(p: string, inputs: number, outputs: number, size?: number): EvalData {
  const bytes = readInput(p);
  let data: EvalData;
  if (startsWith(bytes, ZIP_MAGIC)) data = loadClassification(p, bytes, inputs, outputs);
  else data = imageRegressionData(loadImage(p, size, bytes));
  if (data.inputs !== inputs)
    throw new CliError(`${p}: the models take ${inputs} inputs but an image gives 2 (row, col)`);
  if (data.kind === 'regression' && data.channels !== outputs) {
    throw new CliError(
      `${p}: the image has ${data.channels} channel(s) but the models have ${outputs} outputs`,
    );
  }
  return data;
}
