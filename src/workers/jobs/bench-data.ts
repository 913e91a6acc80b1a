/**
 * The synthetic workloads of `npm run bench`, shared by the Node rows (bench/) and the worker rows
 * (jobs/bench.ts, through headless Chromium), so that both time exactly the same work. No tfjs, no
 * DOM: this file loads in Node and in a worker alike.
 */
import { coordinateGrid } from '../../engine/inr';
import type { RegressionData } from '../../engine/data/eval-data';
import { createRng } from '../../engine/rng';

/** A smooth synthetic test image (values in [0, 1]) as regression data. */
export function benchImage(size: number): RegressionData {
  const x = coordinateGrid(size, size);
  const y = new Float32Array(size * size);
  for (let i = 0; i < y.length; i++) y[i] = 0.5 + 0.4 * Math.sin(4 * x[2 * i]!) * Math.cos(3 * x[2 * i + 1]!);
  return { kind: 'regression', x, y, n: size * size, inputs: 2, channels: 1 };
}

/** N seeded Gaussian points in D dimensions, with a few dominant directions like a weight cloud. */
export function syntheticCloud(n: number, d: number, seed: number): Float32Array[] {
  const rng = createRng(seed);
  const axes = Array.from({ length: 4 }, () => Float32Array.from({ length: d }, () => rng.normal()));
  return Array.from({ length: n }, () => {
    const p = Float32Array.from({ length: d }, () => 0.1 * rng.normal());
    axes.forEach((ax, j) => {
      const c = (4 - j) * rng.normal();
      for (let i = 0; i < d; i++) p[i] = p[i]! + c * ax[i]!;
    });
    return p;
  });
}
