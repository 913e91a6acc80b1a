/**
 * Labelled datasets a person drops to score a classifier on: an `.npz` holding `x` (N × inputs,
 * float) and `y` (N integer labels), as `np.savez('digits.npz', x=x, y=y)` writes it. Parsed once,
 * here, at the boundary: shapes, finite inputs, integer labels and size caps are checked, and
 * every refusal names what to change.
 */
import { ImportBudget } from '../checkpoints/budget';
import { readNpz } from '../checkpoints/numpy';
import { CheckpointError, type RawTensor } from '../checkpoints/types';
import { isZip, ZipArchive } from '../checkpoints/zip';
import type { ClassificationData } from './eval-data';

/** A refused dataset file; the message says what is wrong and what to do. */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

/** Caps: scoring runs every path point over every row, so a few tens of thousands is plenty. */
export const DATASET_LIMITS = {
  maxRows: 100_000,
  /** Values in x (e.g. 40,000 × 784 float32 = 128 MB). */
  maxValues: 2 ** 25,
  maxClasses: 1000,
  maxBytes: 512 * 1024 * 1024,
} as const;

/** A labelled batch as read from a file; `classes` = largest label + 1. */
export interface LabelledDataset {
  /** Inputs [n, inputs], row-major. */
  x: Float32Array;
  labels: Int32Array;
  n: number;
  inputs: number;
  classes: number;
}

/**
 * Whether dropped bytes are meant as a dataset rather than a checkpoint: a zip holding an array
 * named `x` or `y`. No checkpoint names a weight that way, and a file with only one of the two is
 * still routed here, so that the refusal says which array is missing.
 */
export function isDatasetNpz(bytes: Uint8Array): boolean {
  if (!isZip(bytes)) return false;
  try {
    return new ZipArchive(bytes).entries.some((e) => e.name === 'x.npy' || e.name === 'y.npy');
  } catch {
    return false;
  }
}

const shape = (t: RawTensor): string => `${t.dtype} [${t.shape.join(', ')}]`;

/** Reads and validates a dataset `.npz`; throws DatasetError naming the problem. */
export function parseDatasetNpz(bytes: Uint8Array, name: string): LabelledDataset {
  if (bytes.length > DATASET_LIMITS.maxBytes)
    throw new DatasetError(
      `${name} is ${(bytes.length / 2 ** 20).toFixed(0)} MB; datasets are capped at ${DATASET_LIMITS.maxBytes / 2 ** 20} MB (use a subset)`,
    );
  let tensors: RawTensor[];
  // The caps below, as a budget charged while reading: x (float64 at most) and y inflate and
  // decode within them, so a 1 MB file claiming gigabytes is refused before it is inflated.
  const { maxValues, maxRows } = DATASET_LIMITS;
  const budget = new ImportBudget({
    maxInflatedBytes: 8 * (maxValues + maxRows) + 2 ** 20,
    maxTensorBytes: 4 * (maxValues + maxRows),
  });
  try {
    tensors = readNpz({ name, bytes }, budget).tensors;
  } catch (e) {
    if (e instanceof CheckpointError) throw new DatasetError(`${name} is not a readable .npz: ${e.message}`);
    throw e;
  }
  const x = tensors.find((t) => t.name === 'x');
  const y = tensors.find((t) => t.name === 'y');
  const found = tensors.map((t) => t.name).join(', ') || 'nothing';
  if (!x || !y)
    throw new DatasetError(
      `${name}: a dataset .npz holds two arrays, x (N × inputs, float) and y (N integer labels); it has ${found} (save it with np.savez(f, x=x, y=y))`,
    );
  if (!x.data)
    throw new DatasetError(
      `${name}: x must hold floats, not ${x.dtype} (convert with x.astype(np.float32), e.g. pixels / 255)`,
    );
  if (x.shape.length !== 2)
    throw new DatasetError(
      `${name}: x must be 2-D (N × inputs); got ${shape(x)} (flatten each example: x.reshape(len(x), -1))`,
    );
  const [n, inputs] = x.shape as [number, number];
  if (n < 1 || inputs < 1) throw new DatasetError(`${name}: x is empty (${shape(x)})`);
  if (n > DATASET_LIMITS.maxRows || x.data.length > DATASET_LIMITS.maxValues) {
    throw new DatasetError(
      `${name}: x is ${n} × ${inputs}; the limit is ${DATASET_LIMITS.maxRows.toLocaleString('en-US')} rows and ${DATASET_LIMITS.maxValues.toLocaleString('en-US')} values (use a subset)`,
    );
  }
  if (y.data)
    throw new DatasetError(
      `${name}: y holds ${y.dtype} floats; labels must be integers (save y.astype(np.int64))`,
    );
  if (!y.intData || y.dtype === 'BOOL')
    throw new DatasetError(`${name}: y must hold integer class labels that fit in int32; got ${shape(y)}`);
  if (y.shape.length !== 1)
    throw new DatasetError(`${name}: y must be 1-D (one label per row of x); got ${shape(y)}`);
  if (y.shape[0] !== n) throw new DatasetError(`${name}: x has ${n} rows but y has ${y.shape[0]} labels`);
  for (let i = 0; i < x.data.length; i++) {
    if (!Number.isFinite(x.data[i]!))
      throw new DatasetError(
        `${name}: x[${Math.floor(i / inputs)}, ${i % inputs}] is ${x.data[i]}; every input must be a finite number`,
      );
  }
  let classes = 0;
  for (let i = 0; i < n; i++) {
    const c = y.intData[i]!;
    if (c < 0 || c >= DATASET_LIMITS.maxClasses)
      throw new DatasetError(
        `${name}: label y[${i}] = ${c} is outside [0, ${DATASET_LIMITS.maxClasses}); labels are class indices 0, 1, 2, …`,
      );
    if (c + 1 > classes) classes = c + 1;
  }
  return { x: x.data, labels: y.intData, n, inputs, classes };
}

/**
 * The dataset as evaluation data for models with `inputs` inputs and `outputs` logits. Refuses a
 * mismatch with both shapes named, rather than a tensor-shape error deep inside tfjs.
 */
export function classificationFor(
  d: LabelledDataset,
  label: string,
  inputs: number,
  outputs: number,
): ClassificationData {
  if (d.inputs !== inputs || d.classes > outputs) {
    throw new DatasetError(
      `the model takes ${inputs} inputs and gives ${outputs} output${outputs === 1 ? '' : 's'}, but ${label} has ${d.inputs} inputs per example and labels 0–${d.classes - 1} (${d.classes} classes)`,
    );
  }
  return { kind: 'classification', x: d.x, labels: d.labels, n: d.n, inputs: d.inputs, classes: outputs };
}
