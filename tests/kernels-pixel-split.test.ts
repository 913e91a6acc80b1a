/**
 * The pixel split (src/engine/kernels/split-pool.ts): one member's pixels in fixed chunks over 1, 2
 * and 4 worker threads trains bit-identical models (the chunks and the order of their sum do not
 * depend on the workers), agrees with the tfjs reference trainer after 20 Adam steps, and a pool
 * stopped between steps, or disposed mid-step, is left consistent; `train-inr --models 1` uses it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nodeKernelPool, nodeShardPorts } from '../src/cli/kernel-pool';
import { readCheckpoint } from '../src/engine/checkpoints/index';
import { smoothTarget } from '../src/engine/kernels/agreement';
import { KernelPool } from '../src/engine/kernels/pool';
import { pixelChunks, pixelSplitPlan } from '../src/engine/kernels/split-pool';
import { chunkPixels } from '../src/engine/kernels/split-shard';
import { flattenModel, initModel, type MlpArch, type Model } from '../src/engine/model';
import { PopulationTrainer } from '../src/engine/tf/trainer';
import { cliJson } from './helpers/cli';
import { kernelTestSetup, worstRelative } from './kernel-compare';

kernelTestSetup();

const siren: MlpArch = { widths: [2, 16, 16, 1], activation: 'sine', w0: 30 };
// 56×56 = 3136 pixels: 49 tiles, 3 chunks (the last one padded).
const data = { kind: 'regression' as const, ...smoothTarget(56, 56, 1) };

const flat = (ms: readonly Model[]) => ms.map((m) => Array.from(flattenModel(m)));

/** Members after `steps` steps (in calls of `per`) on the pixel split over `threads` threads. */
async function splitRun(models: Model[], threads: number, steps: number, per = 4) {
  const pool = await KernelPool.create(models, data, { lr: 1e-3 }, nodeShardPorts(4, threads), 'pixels');
  try {
    expect(pool.pixelSplit).toEqual({ chunks: 3, workers: Math.min(3, threads) });
    const losses: number[] = [];
    for (let done = 0; done < steps; done += per)
      losses.push(...(await pool.step(Math.min(per, steps - done))));
    expect(pool.steps).toBe(steps);
    return {
      models: await pool.models(),
      losses,
      evaluate: await pool.evaluate(),
      snapshot: await pool.snapshot(),
    };
  } finally {
    pool.dispose();
  }
}

describe('pixel split', () => {
  it('chunks depend on the pixels alone: whole tiles, covering every pixel once', () => {
    expect(pixelChunks(64 * 64)).toBe(4);
    expect(pixelChunks(256 * 256)).toBe(8);
    expect(pixelChunks(3136)).toBe(3);
    expect(pixelChunks(1000)).toBe(1);
    const ranges = Array.from({ length: 3 }, (_, c) => chunkPixels(3136, 3, c));
    expect(ranges).toEqual([
      [0, 1024],
      [1024, 2048],
      [2048, 3136],
    ]);
    const plan = (opts: object, k = 1, shards = 2) => pixelSplitPlan(k, data, { lr: 1e-3, ...opts }, shards);
    expect(plan({})).toEqual({ chunks: 3 });
    expect(plan({}, 2, 2)).toMatchObject({ reason: expect.stringMatching(/fill 2 worker/) });
    expect(plan({ pixelSubsets: { fraction: 0.5, seed: 1 } })).toMatchObject({
      reason: expect.stringMatching(/pixel subsets/),
    });
    expect(plan({ optimizer: 'sgd' })).toMatchObject({ reason: expect.stringMatching(/Adam/) });
  });

  it('1, 2 and 4 threads train bit-identical members, close to the tfjs reference after 20 steps', async () => {
    const models = [initModel(siren, 11), initModel(siren, 12)];
    const runs = [];
    for (const threads of [1, 2, 4]) runs.push(await splitRun(models, threads, 20, threads === 2 ? 7 : 4));
    const [one, ...rest] = runs;
    for (const r of rest) {
      expect(flat(r.models)).toEqual(flat(one!.models));
      expect(Array.from(r.evaluate)).toEqual(Array.from(one!.evaluate));
      expect(flat(r.snapshot.models)).toEqual(flat(one!.models));
      expect(r.snapshot.m.map((x) => Array.from(x))).toEqual(one!.snapshot.m.map((x) => Array.from(x)));
    }
    const ref = new PopulationTrainer(models, data, { lr: 1e-3 });
    try {
      for (let s = 0; s < 20; s++) ref.step();
      expect(worstRelative(one!.models, await ref.models())).toBeLessThan(1e-4);
      const mse = await ref.evaluate();
      one!.evaluate.forEach((v, k) => expect(Math.abs(v - mse[k]!)).toBeLessThan(1e-4 * mse[k]!));
    } finally {
      ref.dispose();
    }
    // Training did something, and the reported loss is the mean over all the pixels.
    const initial = (await splitRun(models, 1, 1)).losses;
    one!.evaluate.forEach((v, k) => expect(v).toBeLessThan(initial[k]!));
  });

  it('one member on more threads than members splits its pixels by itself (auto)', async () => {
    const pool = await nodeKernelPool([initModel(siren, 3)], data, { lr: 1e-3 }, 2);
    try {
      expect(pool.pixelSplit).toEqual({ chunks: 3, workers: 2 });
      expect(pool.memberSplitReason).toBeNull();
      await pool.step(3);
      const snap = await pool.snapshot();
      expect(snap.steps).toBe(3);
      // A pool continued from a snapshot goes on exactly as the one that never stopped.
      const more = await KernelPool.create(snap.models, data, { lr: 1e-3 }, nodeShardPorts(4, 4), 'pixels');
      try {
        await more.resume(snap);
        await Promise.all([more.step(2), pool.step(2)]);
        expect(flat(await more.models())).toEqual(flat(await pool.models()));
      } finally {
        more.dispose();
      }
    } finally {
      pool.dispose();
    }
    const members = await nodeKernelPool([initModel(siren, 3), initModel(siren, 4)], data, { lr: 1e-3 }, 2);
    try {
      expect(members.pixelSplit).toBeNull();
      expect(members.memberSplitReason).toMatch(/2 member\(s\) fill 2 worker/);
    } finally {
      members.dispose();
    }
  });

  afterEach(() => void vi.unstubAllGlobals());

  it('without SharedArrayBuffer one member trains on the member split, and says why', async () => {
    vi.stubGlobal('SharedArrayBuffer', undefined);
    const pool = await nodeKernelPool([initModel(siren, 3)], data, { lr: 1e-3 }, 2);
    try {
      expect(pool.pixelSplit).toBeNull();
      expect(pool.workers).toBe(1);
      expect(pool.memberSplitReason).toMatch(/no SharedArrayBuffer/);
      const before = await pool.evaluate();
      await pool.step(5);
      expect((await pool.evaluate())[0]).toBeLessThan(before[0]!);
    } finally {
      pool.dispose();
    }
  });

  it('a stop between steps leaves every member at one step; a dispose mid-step ends every shard', async () => {
    const models = [initModel(siren, 21)];
    const pool = await KernelPool.create(models, data, { lr: 1e-3 }, nodeShardPorts(4, 2), 'pixels');
    const stop = new AbortController();
    let steps = 0;
    try {
      setTimeout(() => stop.abort(), 30);
      while (!stop.signal.aborted) {
        await pool.step(1);
        steps += 1;
      }
      expect(pool.steps).toBe(steps);
      const stopped = flat(await pool.models());
      const again = await splitRun(models, 4, steps, 1);
      expect(flat(again.models)).toEqual(stopped);
      // Disposed while a step is in flight: the step rejects, no shard is left waiting.
      const inFlight = pool.step(50);
      pool.dispose();
      await expect(inFlight).rejects.toThrow();
      await expect(pool.step(1)).rejects.toThrow(/after dispose/);
    } finally {
      pool.dispose();
    }
  });
});

describe('weightscope train-inr --models 1 on the pixel split', () => {
  it('splits the pixels over the threads (auto), the same bits as one thread with --split pixels', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'weightscope-split-'));
    try {
      // 56×56 = 3136 pixels: 49 tiles, 3 chunks.
      const png = new PNG({ width: 56, height: 56 });
      for (let i = 0; i < 56 * 56; i++) png.data.set([(i * 37) % 256, (i * 11) % 256, 128, 255], 4 * i);
      writeFileSync(path.join(dir, 'img.png'), PNG.sync.write(png));
      const run = (out: string, ...flags: string[]) =>
        cliJson(
          'train-inr',
          ...['--image', path.join(dir, 'img.png'), '--seed', '5', '--steps', '8', '--hidden', '16,16'],
          ...['--out', path.join(dir, out), ...flags],
        );
      const [split, one, members] = await Promise.all([
        run('split.safetensors', '--threads', '2'),
        run('one.safetensors', '--threads', '1', '--split', 'pixels'),
        run('members.safetensors', '--threads', '2', '--split', 'members'),
      ]);
      expect(split).toMatchObject({ threads: 2, split: { by: 'pixels', chunks: 3 } });
      expect(split.kernel).toMatch(/^fused wasm (simd|relaxed) × 2 threads, pixels split in 3 chunks$/);
      expect(one).toMatchObject({ threads: 1, split: { by: 'pixels', chunks: 3 } });
      expect(members).toMatchObject({
        threads: 1,
        split: { by: 'members', why: 'members split by request' },
      });
      expect(split.finalLoss).toBe(one.finalLoss);
      expect(split.finalLoss as number).toBeLessThan(split.initialLoss as number);
      const weights = (file: string) =>
        readCheckpoint([
          { name: file, bytes: new Uint8Array(readFileSync(path.join(dir, file))) },
        ]).tensors.map((t) => Array.from(t.data as Float32Array));
      expect(weights('split.safetensors')).toEqual(weights('one.safetensors'));
      // The member split rounds its gradient sum differently: close, not the same bits.
      expect(Math.abs((members.finalLoss as number) - (one.finalLoss as number))).toBeLessThan(
        1e-4 * (one.finalLoss as number),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 100_000);
});
