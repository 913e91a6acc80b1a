/**
 * Fits a zoo: one INR per target image, the population trained as one batched tfjs program
 * (every member's layer in one `[K, N, in] × [K, in, out]` matmul, as PopulationTrainer does for
 * one shared image, here with one target per member). Members stop on their own at a target
 * PSNR or a step cap; their slots are refilled from the queue, so the batch stays full until the
 * queue runs dry. Adam (Kingma & Ba 2015, Alg. 1) keeps a step count per member, so a member that
 * joins late gets its own bias correction, and training in a batch equals training alone.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { coordinateGrid, psnr } from '../inr';
import { initModel, layerCount, type MlpArch, type Model } from '../model';
import { deriveSeed } from '../rng';
import { meanPsnrOf, zooFitResult } from '../kernels/zoo-fit';
import type { ZooTargets } from '../zoo/sources';
import type { Zoo } from '../zoo/types';
import { forwardStacked, stackModels, unstackModels, type StackedParams } from './stack';

export interface ZooFitOptions {
  arch: MlpArch;
  /** Step cap per member. */
  maxSteps: number;
  /** Early stop: a member is done once its PSNR (dB) reaches this. */
  targetPsnr: number;
  seed: number;
  /** Adam learning rate (default 1e-3). */
  lr?: number;
  /** Members trained at once; default the largest that fits `memoryBudgetBytes`. */
  batchSize?: number;
  /** Working memory the batch may use (default 256 MB). */
  memoryBudgetBytes?: number;
  /** Steps between PSNR checks (each check is one GPU→CPU read; default 10). */
  evalEvery?: number;
  /** Cancel: checked between checks, an abort rejects with the signal's reason and keeps nothing. */
  signal?: AbortSignal;
  /** Stop: checked between checks, ends the fit early KEEPING the members finished (`stopped`). */
  stop?: AbortSignal;
  onProgress?: (p: ZooFitProgress) => void;
  /** Awaited between checks; resolves when the person un-pauses. */
  waitWhilePaused?: () => Promise<void>;
}

export interface ZooFitProgress {
  done: number;
  total: number;
  active: number;
  batchSize: number;
  /** Mean PSNR of the finished members (dB), NaN before the first. */
  meanPsnr: number;
  elapsedMs: number;
  /** Remaining time at the rate so far, null before the first member finishes. */
  etaMs: number | null;
}

export interface ZooFitResult {
  /** The finished members as a zoo (target order), or null when fewer than 2 finished. */
  zoo: Zoo | null;
  done: number;
  total: number;
  /** Ended early by `stop`: the zoo holds the members finished by then. */
  stopped: boolean;
  meanPsnr: number;
  seconds: number;
  batchSize: number;
}

/**
 * The largest batch whose activations fit the budget: per member, every layer's pre- and
 * post-activation outputs over the grid and their gradients (×4 float32 copies), plus weights
 * with Adam's two moments and a gradient. Capped at 1024 and at the number of targets.
 */
export function largestBatch(arch: MlpArch, pixels: number, budgetBytes: number, members: number): number {
  const units = arch.widths.slice(1).reduce((a, b) => a + b, 0);
  let params = 0;
  for (let l = 0; l < layerCount(arch); l++) params += (arch.widths[l]! + 1) * arch.widths[l + 1]!;
  const perMember = 4 * (4 * pixels * units + 4 * params + 2 * pixels);
  return Math.max(1, Math.min(1024, members, Math.floor(budgetBytes / perMember)));
}

interface Slot {
  index: number;
  t: number;
  lastMse: number;
}

/**
 * Fits one INR per target. `stop` keeps every member already finished; a cancel (`signal`)
 * rejects and keeps nothing (docs/ARCHITECTURE.md, "Jobs and cancellation").
 */
export async function fitZoo(src: ZooTargets, opts: ZooFitOptions): Promise<ZooFitResult> {
  const { arch, maxSteps, targetPsnr } = opts;
  const n = src.height * src.width;
  const C = src.channels;
  if (arch.widths[0] !== 2 || arch.widths[arch.widths.length - 1] !== C)
    throw new RangeError(
      `an INR maps 2 coordinates to ${C} channel(s); got widths [${arch.widths.join(', ')}]`,
    );
  const total = src.targets.length;
  const B = opts.batchSize ?? largestBatch(arch, n, opts.memoryBudgetBytes ?? 256 * 2 ** 20, total);
  const lr = opts.lr ?? 1e-3;
  const evalEvery = opts.evalEvery ?? 10;
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const t0 = performance.now();
  const x = tf.tensor2d(coordinateGrid(src.height, src.width), [n, 2]);
  const L = layerCount(arch);

  // Live state: params (weights then biases), Adam moments, targets; slot k is row k of each.
  let params: tf.Tensor3D[] = [];
  let m: tf.Tensor3D[] = [];
  let v: tf.Tensor3D[] = [];
  let y: tf.Tensor3D | null = null;
  let slots: Slot[] = [];
  const finished = new Map<number, { model: Model; psnr: number; steps: number }>();
  let next = 0;

  const stackOf = (ps: tf.Tensor3D[]): StackedParams => ({
    weights: ps.slice(0, L),
    biases: ps.slice(L),
    encoding: null,
  });
  /** Swaps in new state built inside one tidy; `y` is kept when the builder returns none. */
  const replace = (
    fn: () => { p: tf.Tensor3D[]; m: tf.Tensor3D[]; v: tf.Tensor3D[]; y?: tf.Tensor3D },
  ): void => {
    let newY: tf.Tensor3D | undefined;
    const out = tf.tidy(() => {
      const r = fn();
      newY = r.y;
      return [...r.p, ...r.m, ...r.v, ...(r.y ? [r.y] : [])];
    }) as tf.Tensor3D[];
    tf.dispose([...params, ...m, ...v, ...(newY && y ? [y] : [])]);
    params = out.slice(0, 2 * L);
    m = out.slice(2 * L, 4 * L);
    v = out.slice(4 * L, 6 * L);
    if (newY) y = out[6 * L]!;
  };

  /** Adds members from the queue until the batch is full. */
  const refill = (): void => {
    const add: number[] = [];
    while (slots.length + add.length < B && next < total) add.push(next++);
    if (!add.length) return;
    const models = add.map((i) => initModel(arch, deriveSeed(opts.seed, src.targets[i]!.sourceIndex)));
    const yNew = new Float32Array(add.length * n * C);
    add.forEach((i, r) => yNew.set(src.targets[i]!.pixels, r * n * C));
    replace(() => {
      const s = stackModels(models);
      const fresh = [...s.weights, ...s.biases];
      const cat = (old: tf.Tensor3D[], add3: tf.Tensor3D[]): tf.Tensor3D[] =>
        add3.map((a, i) => (old.length ? tf.concat([old[i]!, a], 0) : a));
      const yAdd = tf.tensor3d(yNew, [add.length, n, C]);
      return {
        p: cat(params, fresh),
        m: cat(
          m,
          fresh.map((t) => tf.zerosLike(t)),
        ),
        v: cat(
          v,
          fresh.map((t) => tf.zerosLike(t)),
        ),
        y: y ? tf.concat([y, yAdd], 0) : yAdd,
      };
    });
    slots.push(...add.map((index) => ({ index, t: 0, lastMse: Infinity })));
  };

  const step = (): void => {
    for (const s of slots) s.t++;
    const K = slots.length;
    const lrScale = new Float32Array(K);
    const bc2 = new Float32Array(K);
    slots.forEach((s, k) => {
      lrScale[k] = lr / (1 - b1 ** s.t);
      bc2[k] = Math.sqrt(1 - b2 ** s.t);
    });
    replace(() => {
      const lossFn = (...ps: tf.Tensor[]): tf.Scalar =>
        tf.sum(
          tf.mean(tf.squaredDifference(forwardStacked(arch, stackOf(ps as tf.Tensor3D[]), x), y!), [1, 2]),
        );
      const grads = tf.grads(lossFn)(params) as tf.Tensor3D[];
      const lrT = tf.tensor3d(lrScale, [K, 1, 1]);
      const bcT = tf.tensor3d(bc2, [K, 1, 1]);
      const mN = grads.map((g, i) => tf.add(tf.mul(m[i]!, b1), tf.mul(g, 1 - b1)));
      const vN = grads.map((g, i) => tf.add(tf.mul(v[i]!, b2), tf.mul(tf.square(g), 1 - b2)));
      const pN = params.map((p, i) =>
        tf.sub(p, tf.div(tf.mul(mN[i]!, lrT), tf.add(tf.div(tf.sqrt(vN[i]!), bcT), eps))),
      );
      return { p: pN as tf.Tensor3D[], m: mN as tf.Tensor3D[], v: vN as tf.Tensor3D[] };
    });
  };

  /** Reads every member's MSE, retires the finished ones (downloading their weights). */
  const retire = async (): Promise<void> => {
    const mseT = tf.tidy(() =>
      tf.mean(tf.squaredDifference(forwardStacked(arch, stackOf(params), x), y!), [1, 2]),
    );
    const mse = await mseT.data();
    mseT.dispose();
    const done: number[] = [];
    slots.forEach((s, k) => {
      s.lastMse = mse[k]!;
      if (psnr(s.lastMse) >= targetPsnr || s.t >= maxSteps) done.push(k);
    });
    if (!done.length) return;
    const idx = tf.tensor1d(Int32Array.from(done), 'int32');
    const picked = params.map((p) => tf.gather(p, idx) as tf.Tensor3D);
    idx.dispose();
    const models = await unstackModels(arch, stackOf(picked));
    tf.dispose(picked);
    done.forEach((k, r) => {
      const s = slots[k]!;
      finished.set(s.index, { model: models[r]!, psnr: psnr(s.lastMse), steps: s.t });
    });
    const keep = slots.map((_, k) => k).filter((k) => !done.includes(k));
    if (keep.length === 0) {
      tf.dispose([...params, ...m, ...v, y!]);
      [params, m, v, y] = [[], [], [], null];
    } else {
      const keepT = tf.tensor1d(Int32Array.from(keep), 'int32');
      replace(() => ({
        p: params.map((p) => tf.gather(p, keepT) as tf.Tensor3D),
        m: m.map((p) => tf.gather(p, keepT) as tf.Tensor3D),
        v: v.map((p) => tf.gather(p, keepT) as tf.Tensor3D),
        y: tf.gather(y!, keepT) as tf.Tensor3D,
      }));
      keepT.dispose();
    }
    slots = keep.map((k) => slots[k]!);
  };

  let stopped = false;
  try {
    while (next < total || slots.length) {
      opts.signal?.throwIfAborted();
      if (opts.stop?.aborted) {
        stopped = true;
        break;
      }
      await opts.waitWhilePaused?.();
      refill();
      for (let s = 0; s < evalEvery; s++) step();
      await retire();
      const elapsedMs = performance.now() - t0;
      const done = finished.size;
      opts.onProgress?.({
        done,
        total,
        active: slots.length,
        batchSize: B,
        meanPsnr: meanPsnrOf(finished),
        elapsedMs,
        etaMs: done ? (elapsedMs / done) * (total - done) : null,
      });
    }
  } finally {
    tf.dispose([...params, ...m, ...v, ...(y ? [y] : []), x]);
  }

  return zooFitResult(src, finished, { stopped, t0, batchSize: B });
}
