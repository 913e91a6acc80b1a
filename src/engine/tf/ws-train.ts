/**
 * Trains a weight-space classifier on a zoo's labels (one method, one split) and measures what
 * matters for it: held-out accuracy per epoch, the confusion matrix, and how much the logits move
 * when the input weights are replaced by an equivalent network (a random hidden permutation, plus
 * sign flips for SIRENs). Minibatch Adam on softmax cross-entropy with soft targets (for MixUp).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { yieldToEvents } from '../cancel';
import { createRng, deriveSeed, randomPermutation } from '../rng';
import { augmentBatch } from '../weightspace/augment';
import { isSine } from '../weightspace/layout';
import { alignRow, fitScaling, methodRow, scaleRows, type InputScaling } from '../weightspace/prepare';
import { applySymmetry, canonicalSigns, randomSymmetry } from '../weightspace/symmetry';
import type { WsEpoch, WsResult, WsTrainOptions } from '../weightspace/types';
import { memberRow } from '../zoo/members';
import type { ZooSplit } from '../zoo/members';
import type { Zoo } from '../zoo/types';
import { mlpNet, npNet, type WsNet } from './ws-nets';

/** Logits of prepared rows, in chunks, read back to the CPU. */
async function logitsOf(
  net: WsNet,
  rows: readonly Float32Array[],
  s: InputScaling,
  classes: number,
): Promise<Float32Array> {
  const out = new Float32Array(rows.length * classes);
  const D = s.shift.length;
  for (let i = 0; i < rows.length; i += 256) {
    const chunk = rows.slice(i, i + 256);
    const t = tf.tidy(() => net.logits(tf.tensor2d(scaleRows(chunk, s), [chunk.length, D])));
    out.set(await t.data<'float32'>(), i * classes);
    t.dispose();
  }
  return out;
}

function argmax(logits: Float32Array, i: number, classes: number): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
  return best;
}

function accuracy(logits: Float32Array, y: readonly number[], classes: number): number {
  if (!y.length) return NaN;
  let ok = 0;
  y.forEach((c, i) => (ok += argmax(logits, i, classes) === c ? 1 : 0));
  return ok / y.length;
}

/**
 * Trains `opts.method` on the split's train members; reports on validation and test members.
 * Aborting `opts.signal` rejects with the signal's reason between batches and returns nothing:
 * a classifier trained for part of its epochs is not a result (docs/ARCHITECTURE.md, "Jobs and
 * cancellation").
 */
export async function trainWeightSpace(zoo: Zoo, split: ZooSplit, opts: WsTrainOptions): Promise<WsResult> {
  const t0 = performance.now();
  const { method, arch } = { method: opts.method, arch: zoo.arch };
  if (!split.train.length) throw new RangeError('the split has no training members');
  const classList = [...new Set(zoo.labels)].sort((a, b) => a - b);
  const K = classList.length;
  const cls = new Map(classList.map((c, i) => [c, i]));
  const y = (ids: number[]): number[] => ids.map((i) => cls.get(zoo.labels[i]!)!);
  const raw = Array.from({ length: zoo.n }, (_, i) => new Float32Array(memberRow(zoo, i)));
  const ref = raw[split.train[0]!]!;
  const alignSeed = deriveSeed(opts.seed, 1);
  const prepared = raw.map((r) => methodRow(method, r, arch, ref, alignSeed));
  const augs = opts.augment ?? [];
  const alignedTrain =
    augs.includes('mixup-aligned') && method !== 'mlp-aligned'
      ? new Map(split.train.map((i) => [i, alignRow(raw[i]!, ref, arch, alignSeed)]))
      : null;
  const scaling = fitScaling(
    method,
    split.train.map((i) => prepared[i]!),
    arch,
  );
  const width = opts.width ?? (method === 'np' ? 16 : 128);
  const net = method === 'np' ? npNet(arch, K, width, opts.seed) : mlpNet(zoo.dim, K, width, opts.seed);
  const optimizer = tf.train.adam(opts.lr ?? (method === 'np' ? 3e-3 : 1e-3));
  const rng = createRng(deriveSeed(opts.seed, 2));
  const batch = Math.max(1, opts.batch ?? 32);
  const epochs: WsEpoch[] = [];
  const sine = isSine(arch);
  // mlp-aligned augments rows already aligned (re-aligning every batch would undo the augmentation).
  const base = method === 'mlp-aligned' ? prepared : raw;
  const oneHot = (c: number): Float32Array => {
    const t = new Float32Array(K);
    t[c] = 1;
    return t;
  };
  const yTrain = y(split.train);
  try {
    for (let e = 1; e <= opts.epochs; e++) {
      opts.signal?.throwIfAborted();
      const order = Array.from(randomPermutation(split.train.length, rng));
      let lossSum = 0;
      for (let s = 0; s < order.length; s += batch) {
        const pos = order.slice(s, s + batch);
        const ids = pos.map((p) => split.train[p]!);
        let b = augmentBatch(
          { rows: ids.map((i) => base[i]!), targets: pos.map((p) => oneHot(yTrain[p]!)) },
          arch,
          augs,
          rng,
          {
            permute: method === 'mlp-augmented',
            ...(alignedTrain || method === 'mlp-aligned'
              ? { aligned: ids.map((i) => (alignedTrain ? alignedTrain.get(i)! : prepared[i]!)) }
              : {}),
          },
        );
        if (method === 'np' && sine) b = { ...b, rows: b.rows.map((r) => canonicalSigns(r, arch)) };
        const x = tf.tensor2d(scaleRows(b.rows, scaling), [b.rows.length, zoo.dim]);
        const t = tf.tensor2d(Float32Array.from(b.targets.flatMap((v) => Array.from(v))), [b.rows.length, K]);
        const loss = optimizer.minimize(
          () => tf.neg(tf.mean(tf.sum(tf.mul(t, tf.logSoftmax(net.logits(x))), 1))) as tf.Scalar,
          true,
          net.vars,
        );
        lossSum += (await loss!.data())[0]! * ids.length;
        tf.dispose([x, t, loss!]);
        // A turn of the event loop lets a cancel message in (only a caller that can cancel needs it).
        if (opts.signal) await yieldToEvents(opts.signal);
      }
      const acc = async (ids: number[]): Promise<number> =>
        accuracy(
          await logitsOf(
            net,
            ids.map((i) => prepared[i]!),
            scaling,
            K,
          ),
          y(ids),
          K,
        );
      const ep: WsEpoch = {
        epoch: e,
        loss: lossSum / split.train.length,
        trainAccuracy: await acc(split.train),
        valAccuracy: await acc(split.val),
        testAccuracy: await acc(split.test),
      };
      epochs.push(ep);
      opts.onEpoch?.(ep);
    }

    // Confusion matrix and the invariance check on held-out members (test, else val, else train).
    const held = split.test.length ? split.test : split.val.length ? split.val : split.train;
    const logits = await logitsOf(
      net,
      held.map((i) => prepared[i]!),
      scaling,
      K,
    );
    const confusion = classList.map(() => new Array<number>(K).fill(0));
    y(held).forEach((c, r) => confusion[c]![argmax(logits, r, K)]!++);
    const probe = held.slice(0, 64);
    const symRng = createRng(deriveSeed(opts.seed, 3));
    const moved = probe.map((i) =>
      methodRow(
        method,
        applySymmetry(raw[i]!, arch, randomSymmetry(arch, symRng, sine)),
        arch,
        ref,
        alignSeed,
      ),
    );
    const after = await logitsOf(net, moved, scaling, K);
    let invarianceMaxDiff = 0;
    let logitScale = 0;
    for (let j = 0; j < probe.length * K; j++) {
      invarianceMaxDiff = Math.max(invarianceMaxDiff, Math.abs(after[j]! - logits[j]!));
      logitScale = Math.max(logitScale, Math.abs(logits[j]!));
    }
    const last = epochs[epochs.length - 1];
    return {
      method,
      epochs,
      trainAccuracy: last?.trainAccuracy ?? NaN,
      testAccuracy: last?.testAccuracy ?? NaN,
      confusion,
      classes: classList,
      invarianceMaxDiff,
      logitScale,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    optimizer.dispose();
    net.dispose();
  }
}
