/**
 * A lost GPU device mid-run, for real: scripts/wgsl-failover.ts trains classifiers on the WGSL
 * kernel on Dawn (SwiftShader), destroys the kernel's GPUDevice before a given step, and compares
 * the run that failed over with one that switched engines at the checkpoint's step (weights and
 * epoch curves, to 1e-6): Adam and SGD with momentum, checkpoints every step and at epoch ends
 * only (steps replayed), onto the wasm kernel and onto tfjs. A kernel whose shaders fail to compile
 * falls back with the compiler's reason in the path; on an adapter taken for hardware, every path is
 * timed, the fastest trains with the figures in its path, and the same shape reuses the choice. Dawn finds Vulkan through the environment of a
 * new process, hence the child process (as tests/wgsl-node.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FailoverRow } from '../scripts/wgsl-failover';

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

describe.skipIf(!existsSync(ICD))(
  'WGSL classifier runs that lose their GPU device (Dawn, SwiftShader)',
  () => {
    it('continue from the last checkpoint on the wasm kernel or tfjs, as a run switched there, and say so', () => {
      const stdout = execFileSync(
        process.execPath,
        ['--import', './bin/register.mjs', 'scripts/wgsl-failover.ts', '--swiftshader'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 560_000 },
      );
      const out = JSON.parse(stdout.split('\n').find((l) => l.startsWith('{'))!) as {
        adapter: { architecture: string };
        rows: FailoverRow[];
        compile: { kernel: string; epochs: number; error?: string };
        measured: { first: string; again: string; error?: string };
      };
      expect(out.rows).toHaveLength(3);
      const [adam, sgd, tfjs] = out.rows as [FailoverRow, FailoverRow, FailoverRow];
      for (const r of out.rows) {
        expect(r.error, r.name).toBeUndefined();
        expect(r.epochs, r.name).toBe(3);
        expect(r.paths[0], r.name).toBe('fused WebGPU (2 dispatches a step; chosen by the run)');
        expect(r.paths).toHaveLength(2);
        expect(r.kernel).toBe(r.paths[1]);
        expect(r.weightsGap, r.name).toBeLessThan(1e-6);
        expect(r.curvesGap, r.name).toBeLessThan(1e-6);
      }
      expect(adam.kernel).toMatch(
        /^fused wasm (relaxed|simd) × 1 worker \(fused WebGPU kernel failed at step 4 \(GPU device lost.*\); continued from step 3 with its weights and optimiser state, 1 step replayed\)$/,
      );
      expect(sgd.kernel).toMatch(/continued from step 4 with its weights and optimiser state\)$/);
      expect(tfjs.kernel).toMatch(
        /^tfjs cpu \(fused kernel: failed: shards refused \(test\) \(fused WebGPU kernel failed at step 7 \(GPU device lost.*continued from step 6/,
      );
      // The garbled shader: the calibration meets the compiler's error, the run trains on the CPU.
      expect(out.compile.error).toBeUndefined();
      expect(out.compile.epochs).toBe(1);
      expect(out.compile.kernel).toMatch(
        /^fused wasm (relaxed|simd) × 1 worker \(fused wasm kernel [\d.]+ ms\/step, the fastest measured.*; fused WebGPU kernel failed: .*shader failed/,
      );
      // An adapter taken for hardware: the three paths timed, the fastest trains, its path carries
      // every figure; the same shape again reuses the choice.
      expect(out.measured.error).toBeUndefined();
      expect(out.measured.first).toMatch(/the fastest measured against/);
      for (const name of ['fused WebGPU kernel', 'fused wasm kernel', 'tfjs cpu'])
        expect(out.measured.first).toMatch(new RegExp(`${name} [\\d.]+`));
      expect(out.measured.again).toMatch(/\(reused\)/);
      expect(out.measured.again.replace(' (reused)', '')).toBe(out.measured.first);
    }, 600_000);
  },
);
