/**
 * The replication presets at reduced sizes (real MNIST, real training, a few seconds each), and
 * fine-tuning: every number is computed here, so each assertion can fail.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { packMnist } from '../src/cli/mnist';
import { initNodeBackend } from '../src/cli/tf-node';
import { mnistTrainTest, selectClasses } from '../src/engine/classifier/data';
import { fineTune, fineTuneMetadata, makeTaskModels } from '../src/engine/classifier/finetune';
import { runRebasinPreset } from '../src/engine/classifier/presets/rebasin';
import { runRepairPreset } from '../src/engine/classifier/presets/repair';
import { runSoupPreset } from '../src/engine/classifier/presets/soup';
import { runWidthSweep } from '../src/engine/classifier/presets/widths';
import {
  classifierPopulation,
  DEFAULT_CLASSIFIER,
  DEFAULT_TRAINING,
} from '../src/engine/classifier/settings';
import { asClassification } from '../src/engine/classifier/data';
import { flattenModel } from '../src/engine/model';
import { trainClassifierRun } from '../src/engine/tf/classifier-run';

const mnist = packMnist();
const quick = { ...DEFAULT_TRAINING, epochs: 1, lr: 2e-3 };

beforeAll(async () => {
  tf.enableProdMode();
  await initNodeBackend('wasm');
});

describe('Git Re-Basin preset (reduced: 784-64-64-10, 1 epoch)', () => {
  it('shows a naive barrier above the aligned barriers, on train and held-out data', async () => {
    const fractions: number[] = [];
    const r = await runRebasinPreset(
      mnist,
      { hidden: [64, 64], training: quick, points: 5, trainProbePerClass: 30 },
      { onProgress: (f) => fractions.push(f) },
    );
    const by = Object.fromEntries(r.curves.map((c) => [c.method, c]));
    for (const split of ['train', 'heldOut'] as const) {
      expect(by.naive![split].barrier).toBeGreaterThan(by.weight![split].barrier + 0.05);
      expect(by.naive![split].barrier).toBeGreaterThan(by.activation![split].barrier + 0.05);
    }
    // Both lines start at A; the aligned one ends at π(B), the same function as B.
    expect(by.weight!.heldOut.losses[4]).toBeCloseTo(by.naive!.heldOut.losses[4]!, 4);
    expect(r.endpointAccuracy[0]).toBeGreaterThan(0.8);
    expect(r.notes.join(' ')).toMatch(/STE/);
    expect(r.paper.reported).toMatch(/barrier/);
    expect(fractions.at(-1)).toBe(1);
    for (let i = 1; i < fractions.length; i++)
      expect(fractions[i]!).toBeGreaterThanOrEqual(fractions[i - 1]!);
  }, 120_000);

  it('stops when cancelled, leaving no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const ctl = new AbortController();
    const run = runRebasinPreset(
      mnist,
      { hidden: [32], training: quick },
      {
        signal: ctl.signal,
        onProgress: (f) => f > 0.05 && ctl.abort(new Error('cancelled')),
      },
    );
    await expect(run).rejects.toThrow(/cancelled/);
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});

describe('the other presets at tiny sizes', () => {
  it('width sweep: one point per width with both barriers', async () => {
    const seen: number[] = [];
    const r = await runWidthSweep(
      mnist,
      { widths: [16, 64], depth: 1, training: quick, points: 5 },
      { onPoint: (p) => seen.push(p.width) },
    );
    expect(seen).toEqual([16, 64]);
    for (const p of r.points) {
      expect(Number.isFinite(p.naiveBarrier) && Number.isFinite(p.alignedBarrier)).toBe(true);
      expect(p.alignedBarrier).toBeLessThan(p.naiveBarrier);
    }
    await expect(runWidthSweep(mnist, { widths: [4] })).rejects.toThrow(/width 4 is outside 8–1024/);
  }, 120_000);

  it('REPAIR preset: naive and aligned midpoints, and says REPAIR is absent', async () => {
    const r = await runRepairPreset(mnist, { hidden: [32, 32, 32], training: quick, points: 5 });
    expect(r.midpoints.map((m) => m.label)).toEqual(['naive', 'aligned']);
    expect(r.midpoints[1]!.accuracy).toBeGreaterThan(r.midpoints[0]!.accuracy);
    expect(r.notes.join(' ')).toMatch(/REPAIR is not in this build/);
  }, 120_000);

  it('model soup: greedy soup never scores below the best single on validation', async () => {
    const r = await runSoupPreset(mnist, {
      hidden: [32],
      base: quick,
      fineTune: { ...quick, optimizer: 'sgd', momentum: 0.9 },
      ingredients: 3,
      lrs: [0.01, 0.03],
    });
    expect(r.ingredients).toHaveLength(3);
    expect(r.greedySoup.validationAccuracy).toBeGreaterThanOrEqual(r.bestSingle.validationAccuracy);
    expect(r.greedySoup.members).toContain(r.bestSingle.index);
    // The uniform soup is the mean of the ingredients, tensor by tensor.
    const mean = flattenModel(r.models.ingredients[0]!).map(
      (v, i) =>
        (v + flattenModel(r.models.ingredients[1]!)[i]! + flattenModel(r.models.ingredients[2]!)[i]!) / 3,
    );
    const u = flattenModel(r.models.uniform);
    for (let i = 0; i < u.length; i += 997) expect(u[i]).toBeCloseTo(mean[i]!, 6);
  }, 120_000);
});

describe('fine-tuning', () => {
  it('fine-tuning on digits 0-4 raises their accuracy and records the base', async () => {
    const split = mnistTrainTest(mnist);
    // A base that never saw 0-4: trained on 5-9 only.
    const s = { ...DEFAULT_CLASSIFIER, hidden: [32], ...quick };
    const pop = classifierPopulation(s, 784, 10);
    const base = (
      await trainClassifierRun(
        pop.models,
        asClassification(selectClasses(split.train, [5, 6, 7, 8, 9]), 10),
        asClassification(split.heldOut),
        { ...s, batchSeeds: pop.batchSeeds },
      )
    ).models[0]!;
    const r = await fineTune(base, split, { ...quick, classes: [0, 1, 2, 3, 4], seed: 1 });
    expect(r.before.taskAccuracy).toBeLessThan(0.1);
    expect(r.after.taskAccuracy).toBeGreaterThan(0.5);
    expect(r.classes).toEqual([0, 1, 2, 3, 4]);
    expect(flattenModel(base)).not.toEqual(flattenModel(r.model));
    const meta = fineTuneMetadata('sample:mnist-mlp-1', r, quick);
    expect(meta['weightscope.base']).toBe('sample:mnist-mlp-1');
    expect(JSON.parse(meta['weightscope.finetune']!).classes).toBe('0-4');

    const tasks = await makeTaskModels(
      base,
      split,
      [
        [0, 1],
        [2, 3],
      ],
      { ...quick, seed: 3 },
    );
    expect(tasks.map((t) => t.classes)).toEqual([
      [0, 1],
      [2, 3],
    ]);
    for (const t of tasks) expect(t.after.taskAccuracy).toBeGreaterThan(t.before.taskAccuracy);
  }, 120_000);
});
