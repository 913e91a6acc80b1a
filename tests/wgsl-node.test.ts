/**
 * The WGSL population kernel in Node, on Dawn (the `webgpu` package) over Chromium's SwiftShader
 * Vulkan driver: scripts/gpu-bench.ts --check-only runs the same agreement cases as the browser test
 * (e2e/wgsl.e2e.ts) against the tfjs reference: INRs against PopulationTrainer, classifiers (ReLU,
 * tanh, GELU; Adam and SGD with momentum and L2 decay; minibatches that leave a workgroup part
 * empty) against ClassifierTrainer. Dawn finds Vulkan through the environment of a new
 * process, hence the child process. Without the driver (no Debian Chromium) the test says so and
 * is skipped; the browser test still covers the kernel.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AgreementRow } from '../scripts/wgsl-agreement';

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

describe.skipIf(!existsSync(ICD))('WGSL kernel on Dawn in Node (SwiftShader)', () => {
  it('agrees with the tfjs trainers to 1e-4 relative after 20 steps, in two dispatches a step', () => {
    const stdout = execFileSync(
      process.execPath,
      ['--import', './bin/register.mjs', 'scripts/gpu-bench.ts', '--swiftshader', '--check-only'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 110_000 },
    );
    const line = stdout.split('\n').find((l) => l.startsWith('{'))!;
    const out = JSON.parse(line) as {
      adapter: { software: boolean };
      agreement: AgreementRow[];
      agreementOk: boolean;
    };
    expect(out.adapter.software).toBe(true);
    expect(out.agreement.length).toBeGreaterThanOrEqual(4);
    for (const act of ['tanh', 'GELU', 'ReLU 6'])
      expect(out.agreement.some((r) => r.name.startsWith(act) && r.accuracyGap === 0)).toBe(true);
    for (const r of out.agreement) {
      expect(r.worstRelative, r.name).toBeLessThan(1e-4);
      expect(r.dispatchesPerStep, r.name).toBe(2);
    }
    expect(out.agreementOk).toBe(true);
  }, 120_000);
});
