/**
 * Evaluating many models through the fused kernel (barrier points, plane grids) gives the losses
 * and metrics of the plain-TypeScript reference, chunk boundaries included.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../src/cli/tf-node';
import { coordinateGrid } from '../src/engine/inr';
import { kernelEvaluationCoverage } from '../src/engine/kernels/evaluate';
import { evaluateOnKernel } from '../src/engine/kernels/evaluate-many';
import { initModel, type MlpArch } from '../src/engine/model';
import type { EvalData } from '../src/engine/data/eval-data';
import { evaluateModelsCpu } from '../src/engine/paths/evaluate-cpu';
import { createRng } from '../src/engine/rng';
import { BatchEvaluator } from '../src/engine/tf/evaluate';

beforeAll(async () => {
  await initNodeBackend('cpu');
});

function regression(size: number, channels: number): EvalData {
  const x = coordinateGrid(size, size);
  const n = size * size;
  const y = Float32Array.from({ length: n * channels }, (_, i) => 0.5 + 0.4 * Math.sin(0.3 * i));
  return { kind: 'regression', x, y, n, inputs: 2, channels };
}

describe('evaluateOnKernel', () => {
  const cases: { name: string; arch: MlpArch; data: EvalData }[] = [
    { name: 'SIREN', arch: { widths: [2, 24, 24, 3], activation: 'sine', w0: 30 }, data: regression(11, 3) },
    {
      name: 'ReLU + Fourier features',
      arch: { widths: [2, 16, 1], activation: 'relu', encoding: { features: 6, sigma: 4 } },
      data: regression(9, 1),
    },
  ];
  const rng = createRng(3);
  const xs = Float32Array.from({ length: 50 * 6 }, () => rng.normal());
  cases.push({
    name: 'GELU classifier',
    arch: { widths: [6, 20, 4], activation: 'gelu' },
    data: {
      kind: 'classification',
      x: xs,
      labels: Int32Array.from(
        { length: 50 },
        (_, i) => (xs[6 * i]! > 0 ? 2 : 0) + (xs[6 * i + 1]! > 0 ? 1 : 0),
      ),
      n: 50,
      inputs: 6,
      classes: 4,
    },
  });
  for (const c of cases) {
    it(`${c.name}: 11 models in chunks of 4 match the TypeScript reference`, async () => {
      const models = Array.from({ length: 11 }, (_, i) => initModel(c.arch, 20 + i));
      expect(kernelEvaluationCoverage(models[0]!, c.data)).toBeNull();
      const done: number[] = [];
      const got = await evaluateOnKernel(11, (i) => models[i]!, c.data, {
        chunk: 4,
        onProgress: (d) => done.push(d),
      });
      const ref = evaluateModelsCpu(models, c.data);
      expect(done).toEqual([4, 8, 11]);
      got.loss.forEach((l, i) => expect(Math.abs(l - ref.loss[i]!)).toBeLessThan(1e-5 * (1 + ref.loss[i]!)));
      got.metric.forEach((m, i) => expect(Math.abs(m - ref.metric[i]!)).toBeLessThan(1e-3));
    });
  }

  it('refuses data whose outputs do not match the models', async () => {
    const m = initModel({ widths: [2, 8, 1], activation: 'sine' }, 1);
    expect(kernelEvaluationCoverage(m, regression(5, 3))).toMatch(/outputs/);
    await expect(evaluateOnKernel(1, () => m, regression(5, 3))).rejects.toThrow(/outputs/);
  });

  it('BatchEvaluator (barriers, planes) takes the kernel where it covers the models, and agrees with tfjs', async () => {
    const c = cases[0]!;
    const models = Array.from({ length: 5 }, (_, i) => initModel(c.arch, 60 + i));
    const ev = new BatchEvaluator(c.data);
    try {
      const fused = await ev.evaluate(5, (i) => models[i]!);
      expect(ev.lastPath).toBe('fused');
      const ref = await ev.evaluate(5, (i) => models[i]!, { kernel: false });
      expect(ev.lastPath).toBe('tfjs');
      fused.loss.forEach((l, i) =>
        expect(Math.abs(l - ref.loss[i]!)).toBeLessThan(1e-5 * (1 + ref.loss[i]!)),
      );
    } finally {
      ev.dispose();
    }
  });
});
