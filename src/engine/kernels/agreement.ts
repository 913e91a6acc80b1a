/**
 * What the fused kernels are checked with against the tfjs reference trainers: a smooth seeded
 * target, and the worst relative weight difference between two populations. Shared by the wasm
 * kernel's tests (tests/kernels.test.ts) and the WGSL kernel's (scripts/wgsl-agreement.ts).
 */
import type { RegressionData } from '../data/eval-data';
import { coordinateGrid } from '../inr';
import { paramShapes, type Model } from '../model';

/** A smooth target on a height×width grid with the last width's channels. */
export function smoothTarget(height: number, width: number, channels: number): Omit<RegressionData, 'kind'> {
  const x = coordinateGrid(height, width);
  const n = height * width;
  const y = new Float32Array(n * channels);
  for (let p = 0; p < n; p++)
    for (let c = 0; c < channels; c++)
      y[p * channels + c] = 0.5 + 0.4 * Math.sin(3 * x[2 * p]! + c) * Math.cos(2 * x[2 * p + 1]! - c);
  return { x, y, n, inputs: 2, channels };
}

/**
 * Worst |a − b| / max|b| per tensor: relative to the tensor's scale, because Adam normalises each
 * coordinate's step, so a weight whose gradient is near zero can move by a rounding-sized amount
 * that is large against its own tiny value.
 */
export function worstRelative(a: readonly Model[], b: readonly Model[]): number {
  let worst = 0;
  a.forEach((m, k) => {
    for (const { name } of paramShapes(m.arch)) {
      const fa = m.params[name]!.data;
      const fb = b[k]!.params[name]!.data;
      let scale = 0;
      let diff = 0;
      for (let i = 0; i < fa.length; i++) {
        scale = Math.max(scale, Math.abs(fb[i]!));
        diff = Math.max(diff, Math.abs(fa[i]! - fb[i]!));
      }
      worst = Math.max(worst, diff / scale);
    }
  });
  return worst;
}
