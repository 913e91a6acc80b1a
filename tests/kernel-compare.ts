/** What the kernel tests share: tfjs on cpu as the reference, both kernel builds, weight comparison. */
import { beforeAll } from 'vitest';
import { enableRelaxedSimd } from '../src/cli/kernel-pool';
import { initNodeBackend } from '../src/cli/tf-node';
import { type KernelFlavour } from '../src/engine/kernels/mlp-kernel';
import { paramShapes, type Model } from '../src/engine/model';

/**
 * Starts tfjs-cpu (the reference) before the file's tests and returns both kernel builds: plain
 * SIMD, and relaxed SIMD (Node 20 has it behind a V8 flag, which the CLI turns on; Chromium has it
 * by default).
 */
export function kernelTestSetup(): KernelFlavour[] {
  beforeAll(async () => {
    await initNodeBackend('cpu');
  });
  enableRelaxedSimd();
  return ['simd', 'relaxed'];
}

/**
 * Largest |a − b| / max|b| over each tensor of each member: "relative" to the tensor's scale,
 * because Adam normalises every coordinate's step, so a weight whose gradient is near zero can
 * move by a rounding-sized amount that is large against its own tiny value.
 */
export function worstRelative(a: Model[], b: Model[]): number {
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
