/** Seeded test data for curve and kernel tests. */
import type { ClassificationData } from '../../src/engine/data/eval-data';
import { createRng } from '../../src/engine/rng';

/** n seeded Gaussian examples; the label from the signs of two inputs (a learnable rule). */
export function blobs(n: number, inputs: number, classes: number, seed: number): ClassificationData {
  const rng = createRng(seed);
  const x = Float32Array.from({ length: n * inputs }, () => rng.normal());
  const labels = Int32Array.from({ length: n }, (_, i) =>
    Math.min(classes - 1, (x[inputs * i]! > 0 ? 1 : 0) + (x[inputs * i + 1]! > 0.3 ? 2 : 0)),
  );
  return { kind: 'classification', x, labels, n, inputs, classes };
}
