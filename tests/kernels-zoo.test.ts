/**
 * Zoo fitting on the fused kernel (src/engine/kernels/zoo-fit.ts): per-member targets equal
 * separate single-target kernels; the zoo equals the tfjs trainer's after 20 steps; members stop
 * on their own at the target PSNR; splitting over 1, 2 and 3 shards gives the same zoo.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { packMnist } from '../scripts/mnist';
import { enableRelaxedSimd } from '../src/cli/kernel-pool';
import { initNodeBackend } from '../src/cli/tf-node';
import { forward } from '../src/engine/forward';
import { coordinateGrid, mse, psnr } from '../src/engine/inr';
import { MlpKernel } from '../src/engine/kernels/mlp-kernel';
import { inlinePort } from '../src/engine/kernels/pool';
import { fitZooOnKernel } from '../src/engine/kernels/zoo-fit';
import { flattenModel, initModel, type MlpArch } from '../src/engine/model';
import { fitZoo } from '../src/engine/tf/zoo-fit';
import { memberModel } from '../src/engine/zoo/members';
import { mnistTargets } from '../src/engine/zoo/sources';

enableRelaxedSimd();
const dwsnets: MlpArch = { widths: [2, 32, 32, 1], activation: 'sine', w0: 30 };
const small: MlpArch = { widths: [2, 8, 8, 1], activation: 'sine', w0: 30 };
const src = mnistTargets(packMnist(), { perClass: 2, seed: 3, size: 8, classes: [0, 1, 7] });
const ports = (n: number) => Array.from({ length: n }, inlinePort);

beforeAll(async () => {
  await initNodeBackend('cpu');
});

describe('per-member targets in the kernel', () => {
  it('equal K separate single-target kernels, step for step (odd pixel count, 2 channels)', () => {
    const [h, w, C] = [7, 9, 2];
    const n = h * w;
    const x = coordinateGrid(h, w);
    const arch: MlpArch = { widths: [2, 12, 5, C], activation: 'sine', w0: 30 };
    const K = 3;
    const ys = Array.from({ length: K }, (_, k) =>
      Float32Array.from({ length: n * C }, (_, i) => 0.5 + 0.4 * Math.sin(0.3 * i * (k + 1))),
    );
    const models = Array.from({ length: K }, (_, k) => initModel(arch, k + 1));
    const all = new Float32Array(K * n * C);
    ys.forEach((y, k) => all.set(y, k * n * C));
    const data = (y: Float32Array) => ({ kind: 'regression' as const, x, y, n, inputs: 2, channels: C });
    const joint = new MlpKernel(models, data(all), { lr: 3e-3, perMemberTargets: true });
    const alone = models.map((m, k) => new MlpKernel([m], data(ys[k]!), { lr: 3e-3 }));
    for (let s = 0; s < 20; s++) {
      joint.step();
      alone.forEach((a) => a.step());
    }
    const jl = joint.evaluate();
    joint.models().forEach((m, k) => {
      expect(flattenModel(m)).toEqual(flattenModel(alone[k]!.models()[0]!));
      expect(jl[k]).toBe(alone[k]!.evaluate()[0]);
    });
    // A member reset mid-way with a new target trains as a fresh kernel on that target would.
    joint.resetMember(1, models[0]!);
    joint.setTarget(1, ys[0]!);
    const fresh = new MlpKernel([models[0]!], data(ys[0]!), { lr: 3e-3 });
    for (let s = 0; s < 5; s++) {
      joint.step();
      fresh.step();
    }
    expect(joint.memberSteps(1)).toBe(5);
    expect(joint.memberSteps(0)).toBe(25);
    expect(flattenModel(joint.models()[1]!)).toEqual(flattenModel(fresh.models()[0]!));
  });
});

describe('fitZooOnKernel', () => {
  it('equals the tfjs trainer after 20 steps (DWSNets SIREN 2→32→32→1, 28×28 digits)', async () => {
    const digits = mnistTargets(packMnist(), { perClass: 1, seed: 1, size: 28, classes: [2, 5, 8] });
    const opts = { arch: dwsnets, maxSteps: 20, targetPsnr: 99, seed: 7, lr: 1e-3, evalEvery: 10 };
    const ref = await fitZoo(digits, opts);
    const fused = await fitZooOnKernel(digits, opts, ports(2));
    expect(fused.done).toBe(3);
    const [a, b] = [fused.zoo!.params, ref.zoo!.params];
    let d = 0;
    let s = 0;
    for (let i = 0; i < b.length; i++) {
      d = Math.max(d, Math.abs(a[i]! - b[i]!));
      s = Math.max(s, Math.abs(b[i]!));
    }
    expect(d / s).toBeLessThan(1e-4);
    const col = (r: typeof ref, name: string) =>
      Array.from(r.zoo!.columns.find((c) => c.name === name)!.data);
    expect(col(fused, 'steps')).toEqual([20, 20, 20]);
    col(fused, 'psnr').forEach((p, i) => expect(p).toBeCloseTo(col(ref, 'psnr')[i]!, 3));
    expect(Array.from(fused.zoo!.labels)).toEqual([2, 5, 8]);
  });

  it('stops each member at the target PSNR, and its recorded PSNR is what its weights give', async () => {
    const r = await fitZooOnKernel(
      src,
      { arch: small, maxSteps: 400, targetPsnr: 22, seed: 1, lr: 3e-3 },
      ports(2),
    );
    const zoo = r.zoo!;
    const steps = Array.from(zoo.columns.find((c) => c.name === 'steps')!.data);
    const ps = zoo.columns.find((c) => c.name === 'psnr')!.data;
    expect(r.done).toBe(6);
    // Members stop at different steps, each at the first check past the target (or the cap).
    expect(new Set(steps).size).toBeGreaterThan(1);
    const x = coordinateGrid(8, 8);
    steps.forEach((st, i) => {
      expect(st % 10).toBe(0);
      if (st < 400) expect(ps[i]).toBeGreaterThanOrEqual(22);
      const out = forward(memberModel(zoo, i), x, 64);
      expect(psnr(mse(out, src.targets[i]!.pixels))).toBeCloseTo(ps[i]!, 2);
    });
  });

  it('gives the same zoo on 1, 2 and 3 shards, with refills', async () => {
    const opts = { arch: small, maxSteps: 60, targetPsnr: 20, seed: 2, lr: 3e-3, batchSize: 2 };
    const [one, two, three] = (
      await Promise.all([1, 2, 3].map((n) => fitZooOnKernel(src, opts, ports(n))))
    ).map((r) => r.zoo!);
    expect(one!.n).toBe(6);
    expect(two!.params).toEqual(one!.params);
    expect(three!.params).toEqual(one!.params);
  });

  it('keeps the finished members when stopped; a cancel rejects', async () => {
    const opts = { arch: small, maxSteps: 10, targetPsnr: 99, seed: 2, batchSize: 2 };
    const ac = new AbortController();
    const r = await fitZooOnKernel(
      src,
      { ...opts, stop: ac.signal, onProgress: (p) => p.done >= 2 && ac.abort() },
      ports(1),
    );
    const cancel = new AbortController();
    await expect(
      fitZooOnKernel(
        src,
        { ...opts, signal: cancel.signal, onProgress: (p) => p.done >= 2 && cancel.abort() },
        ports(2),
      ),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(r.stopped).toBe(true);
    expect(r.done).toBeGreaterThanOrEqual(2);
    expect(r.done).toBeLessThan(6);
  });
});
