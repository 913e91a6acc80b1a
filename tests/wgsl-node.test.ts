/**
 * The WGSL population kernel in Node, on Dawn (the `webgpu` package) over Chromium's SwiftShader
 * Vulkan driver: scripts/gpu-bench.ts --check-only --smoke, the script a GPU machine runs, checks
 * four of the browser test's agreement cases (e2e/wgsl.e2e.ts runs them all) against the tfjs
 * reference: INRs against PopulationTrainer (SIREN over several tiles and chunks, ReLU with Fourier
 * features), classifiers (tanh with SGD, momentum and L2 decay; GELU with Adam) against
 * ClassifierTrainer, two dispatches and no buffer made per step. Dawn finds
 * Vulkan through the environment of a new process, hence the child process. Without the driver
 * (no Debian Chromium) that test says so and is skipped; the browser test still covers the kernel.
 * The shape plan (what the kernel covers, how it cuts a population to fit the device's bindings)
 * is pure and tested here without a GPU.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AgreementRow } from '../scripts/wgsl-agreement';
import { gradsShader } from '../src/engine/kernels/wgsl/mlp-wgsl';
import {
  CHUNK,
  PARTIALS_BYTES,
  planWgsl,
  wgslBuffersFit,
  wgslCoverage,
  WORKGROUP_BYTES,
} from '../src/engine/kernels/wgsl/plan';
import type { MlpArch } from '../src/engine/model';

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
/** WebGPU's default maxStorageBufferBindingSize. */
const DEFAULT_BINDING = 128 * 2 ** 20;

describe.skipIf(!existsSync(ICD))('WGSL kernel on Dawn in Node (SwiftShader)', () => {
  it('the GPU benchmark script runs its agreement check: 1e-4 relative after 20 steps, two dispatches a step', () => {
    // Four cases (--smoke): the script is what a GPU machine runs; e2e/wgsl.e2e.ts runs every case.
    const stdout = execFileSync(
      process.execPath,
      ['--import', './bin/register.mjs', 'scripts/gpu-bench.ts', '--swiftshader', '--check-only', '--smoke'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 540_000 },
    );
    const line = stdout.split('\n').find((l) => l.startsWith('{'))!;
    const out = JSON.parse(line) as {
      adapter: { software: boolean };
      agreement: AgreementRow[];
      agreementOk: boolean;
    };
    expect(out.adapter.software).toBe(true);
    expect(out.agreement.map((r) => r.name.split(' ')[0])).toEqual(['SIREN', 'ReLU+FF(7)', 'tanh', 'GELU']);
    expect(out.agreement.some((r) => r.tiles > 1 && r.chunks > 1)).toBe(true);
    for (const r of out.agreement) {
      expect(r.worstRelative, r.name).toBeLessThan(1e-4);
      expect(r.mseRelative, r.name).toBeLessThan(1e-4);
      expect(r.dispatchesPerStep, r.name).toBe(2);
      expect(r.buffersMadeStepping, r.name).toBe(0);
    }
    expect(out.agreementOk).toBe(true);
  }, 560_000);
});

describe('WGSL shape plan', () => {
  it('covers any width, and says why it refuses an activation or sine with Fourier features', () => {
    for (const widths of [
      [784, 512, 512, 512, 10],
      [200, 250, 250, 250, 250, 10],
      [2, 1000, 1],
    ])
      expect(wgslCoverage({ widths, activation: 'relu' })).toBeNull();
    expect(wgslCoverage({ widths: [2, 8, 1], activation: 'swish' } as unknown as MlpArch)).toMatch(
      /activation swish is not in the WGSL kernel/,
    );
    expect(
      wgslCoverage({ widths: [2, 8, 1], activation: 'sine', encoding: { features: 4, sigma: 1 } }),
    ).toMatch(/Fourier features with sine/);
  });

  it('cuts the tiles to fit the partials, and refuses a population no tiling fits in a binding', () => {
    const mnist: MlpArch = { widths: [784, 512, 512, 512, 10], activation: 'relu' };
    const one = planWgsl(mnist, 1, 128, 784, 10, undefined, { loss: 'ce' });
    expect(one.tiles).toBe(128 / CHUNK);
    expect(wgslBuffersFit(one, 20000, DEFAULT_BINDING)).toBeNull();
    // All of MNIST's training set (60,000 × 784 floats) needs a device asked for larger bindings.
    expect(wgslBuffersFit(one, 60000, DEFAULT_BINDING)).toMatch(/179 MiB buffer \(data set\)/);
    const eight = planWgsl(mnist, 8, 128, 784, 10, undefined, { loss: 'ce' });
    expect(4 * 8 * eight.tiles * eight.stride).toBeLessThanOrEqual(PARTIALS_BYTES);
    expect(eight.tiles * eight.chunks * CHUNK).toBeGreaterThanOrEqual(128);
    expect(wgslBuffersFit(eight, 20000, DEFAULT_BINDING)).toBeNull();
    const many = planWgsl(mnist, 64, 128, 784, 10, undefined, { loss: 'ce' });
    expect(many.tiles).toBe(1);
    expect(wgslBuffersFit(many, 20000, DEFAULT_BINDING)).toMatch(
      /^the population needs a 228 MiB buffer \((parameters|gradient partials)\); this device binds at most 128 MiB$/,
    );
    // The layout of a tile's scratch: H_0 only with features, D_l for hidden layers only.
    const ff = planWgsl(
      { widths: [2, 9, 5, 1], activation: 'relu', encoding: { features: 3, sigma: 1 } },
      2,
      50,
      2,
      1,
    );
    expect(ff.hOff).toEqual([0, 6 * CHUNK, 24 * CHUNK, 34 * CHUNK]);
    expect(ff.dOff).toEqual([-1, 15 * CHUNK, 29 * CHUNK, -1]);
    expect(ff.scratch).toBe(35 * CHUNK);
  });

  it('stages GEMM tiles within the default workgroup memory and keeps no private arrays', () => {
    const code = gradsShader(
      planWgsl({ widths: [784, 300, 10], activation: 'gelu' }, 2, 13, 784, 10, undefined, { loss: 'ce' }),
    );
    const shared = [...code.matchAll(/var<workgroup> \w+: array<f32, (\d+)>/g)].map((m) => 4 * Number(m[1]));
    expect(shared.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(WORKGROUP_BYTES);
    expect(code).not.toMatch(/var \w+: array</);
    expect(code).toMatch(/@workgroup_size\(64\)/);
  });
});
