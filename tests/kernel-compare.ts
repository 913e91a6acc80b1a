/** What the kernel tests share: tfjs on cpu as the reference, both kernel builds, weight comparison. */
import { beforeAll } from 'vitest';
import { enableRelaxedSimd } from '../src/cli/kernel-pool';
import { initNodeBackend } from '../src/cli/tf-node';
import { type KernelFlavour } from '../src/engine/kernels/mlp-kernel';

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

export { worstRelative } from '../src/engine/kernels/agreement';
