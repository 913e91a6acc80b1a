/**
 * Per-member learning rates (a model soup's ingredients, Wortsman et al. 2022): K members, each at
 * its own base rate under the run's schedule, trained as ONE population equal the same members
 * trained as one run per rate, on the fused kernel (in this thread and split over worker
 * threads) and on the tfjs reference, with Adam and with SGD + momentum on a cosine schedule.
 */
import { describe, expect, it } from 'vitest';
import { shardPortsFor } from '../src/cli/kernel-pool';
import { batchSeed, learningRateAt, stepsPerEpoch } from '../src/engine/classifier/schedule';
import type { ClassifierTraining } from '../src/engine/classifier/settings';
import type { ClassificationData } from '../src/engine/data/eval-data';
import { initModel, type MlpArch, type Model } from '../src/engine/model';
import { createRng } from '../src/engine/rng';
import type { KernelHooks } from '../src/engine/tf/classifier-path';
import { trainClassifierRun } from '../src/engine/tf/classifier-run';
import { kernelTestSetup, worstRelative } from './kernel-compare';

kernelTestSetup();

const arch: MlpArch = { widths: [5, 12, 7, 3], activation: 'relu' };
const n = 60;
const rng = createRng(21);
const x = Float32Array.from({ length: n * 5 }, () => rng.normal());
const labels = Int32Array.from(
  { length: n },
  (_, i) => (x[5 * i]! > 0 ? 1 : 0) + (x[5 * i + 1]! > 0.5 ? 1 : 0),
);
const data: ClassificationData = { kind: 'classification', x, labels, n, inputs: 5, classes: 3 };
// Ingredients cycle over the rates, as the soup preset assigns them.
const RATES = [0.003, 0.01, 0.03];
const K = 6;
const lrs = Array.from({ length: K }, (_, i) => RATES[i % RATES.length]!);
const seeds = lrs.map((_, i) => batchSeed(4, i));

const TRAININGS: [string, ClassifierTraining][] = [
  [
    'SGD + momentum, cosine',
    {
      epochs: 3,
      batch: 11,
      optimizer: 'sgd',
      lr: 0.01,
      momentum: 0.9,
      weightDecay: 1e-4,
      schedule: 'cosine',
    },
  ],
  [
    'Adam, cosine',
    { epochs: 3, batch: 11, optimizer: 'adam', lr: 0.01, momentum: 0, weightDecay: 0, schedule: 'cosine' },
  ],
];

async function train(
  members: number[],
  base: Model,
  training: ClassifierTraining,
  kernel: KernelHooks,
  perMember: boolean,
): Promise<Model[]> {
  const run = await trainClassifierRun(
    members.map(() => base),
    data,
    data,
    {
      ...training,
      lr: lrs[members[0]!]!,
      ...(perMember ? { memberLrs: members.map((i) => lrs[i]!) } : {}),
      batchSeeds: members.map((i) => seeds[i]!),
    },
    { kernel },
  );
  return run.models;
}

/** The ingredients trained one run per rate (the preset's old way), in member order. */
async function byGroups(base: Model, training: ClassifierTraining, kernel: KernelHooks): Promise<Model[]> {
  const out = new Array<Model>(K);
  for (const lr of RATES) {
    const members = lrs.flatMap((l, i) => (l === lr ? [i] : []));
    const models = await train(members, base, training, kernel, false);
    members.forEach((i, j) => (out[i] = models[j]!));
  }
  return out;
}

describe('per-member learning rates: one population equals one run per rate', () => {
  const base = initModel(arch, 3);
  const all = lrs.map((_, i) => i);
  const paths: [string, KernelHooks][] = [
    ['fused kernel', { choice: 'fused' }],
    ['fused kernel on 2 worker threads', { choice: 'fused', ports: shardPortsFor(2) }],
    ['tfjs', { choice: 'tfjs' }],
  ];
  for (const [tname, training] of TRAININGS)
    for (const [pname, kernel] of paths)
      it(`${tname} on ${pname}`, async () => {
        const groups = await byGroups(
          base,
          training,
          kernel.choice === 'tfjs' ? kernel : { choice: 'fused' },
        );
        const together = await train(all, base, training, kernel, true);
        expect(worstRelative(together, groups)).toBeLessThan(1e-6);
        // The rates mattered: every member at the first rate is far from the groups' result.
        const oneRate = await train(all, base, training, kernel, false);
        expect(worstRelative(oneRate.slice(1, 3), groups.slice(1, 3))).toBeGreaterThan(1e-3);
      }, 60_000);

  it("records each member's own rate per epoch, not the first member's", async () => {
    const training = TRAININGS[0]![1];
    for (const kernel of [{ choice: 'fused' }, { choice: 'tfjs' }] as KernelHooks[]) {
      const run = await trainClassifierRun(
        [base, base, base],
        data,
        data,
        { ...training, lr: RATES[0]!, memberLrs: RATES, batchSeeds: [1, 2, 3] },
        { kernel },
      );
      const total = stepsPerEpoch(n, training.batch) * training.epochs;
      expect(run.history).toHaveLength(training.epochs);
      run.history.forEach((r, e) => {
        const t = (e + 1) * stepsPerEpoch(n, training.batch);
        // The cosine schedule scales each member's own base rate.
        expect(r.memberLrs).toEqual(RATES.map((lr) => learningRateAt('cosine', lr, t, total)));
      });
      expect(run.history[0]!.memberLrs![2]).toBeGreaterThan(run.history[0]!.memberLrs![0]!);
      const plain = await trainClassifierRun(
        [base],
        data,
        data,
        { ...training, batchSeeds: [1] },
        { kernel },
      );
      expect(plain.history[0]!.memberLrs).toBeUndefined();
    }
  });

  it('refuses a rate list that does not fit the population', async () => {
    const training = TRAININGS[0]![1];
    const run = (memberLrs: number[]) =>
      trainClassifierRun(
        [base, base],
        data,
        data,
        { ...training, memberLrs, batchSeeds: [1, 2] },
        {
          kernel: { choice: 'fused' },
        },
      );
    await expect(run([0.01])).rejects.toThrow(/2 models but 1 learning rates/);
    await expect(run([0.01, -1])).rejects.toThrow(/learning rate must be/);
  });
});
