/**
 * The paths job with training data beside held-out data (the worker, in Node, real registry):
 * every path is scored on both, curves are trained on the training data (classifiers too on the
 * fused kernel), and each trained curve reports its loss per step.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { trainCurveOnKernel } from '../src/engine/kernels/curve';
import { initModel, type MlpArch } from '../src/engine/model';
import { createRng } from '../src/engine/rng';
import { useBackend } from '../src/workers/backends';
import { createHandler } from '../src/workers/handler';
import { evalDataFor } from '../src/workers/jobs/score-data';
import type { ClassificationTarget, PathCurveReply, PathsJob, Reply } from '../src/workers/protocol';

beforeAll(async () => {
  await useBackend('cpu');
});

const INPUTS = 6;
const CLASSES = 3;
const ARCH: MlpArch = { widths: [INPUTS, 16, CLASSES], activation: 'relu' };

/** Seeded blobs: class c sits around a different corner. */
function blobs(n: number, seed: number, id: string): ClassificationTarget {
  const rng = createRng(seed);
  const x = new Float32Array(n * INPUTS);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % CLASSES;
    labels[i] = c;
    for (let j = 0; j < INPUTS; j++)
      x[i * INPUTS + j] = (j % CLASSES === c ? 1 : 0) + 0.5 * (rng.next() - 0.5);
  }
  return { kind: 'classification', id, label: id, x, labels, n, inputs: INPUTS, classes: CLASSES };
}

function harness() {
  const waiters = new Map<number, (r: Reply) => void>();
  const handle = createHandler((r) => {
    if ((r.type === 'result' || r.type === 'error') && r.id !== null) waiters.get(r.id)?.(r);
  });
  const ids = [11, 12].map(
    (s) => handle.registry.add(initModel(ARCH, s), { name: `clf ${s}`, source: 'sample' }).id,
  );
  let next = 1;
  const paths = async (job: Omit<PathsJob, 'aId' | 'bId'>): Promise<PathCurveReply[]> => {
    const id = next++;
    const answer = new Promise<Reply>((resolve) => waiters.set(id, resolve));
    handle({ type: 'paths', id, payload: { aId: ids[0]!, bId: ids[1]!, ...job } });
    const r = await answer;
    if (r.type !== 'result') throw new Error(JSON.stringify(r.payload));
    return r.payload as PathCurveReply[];
  };
  return { paths };
}

const base = {
  kinds: ['lerp', 'bezier'] as PathsJob['kinds'],
  points: 7,
  curveSteps: 12,
  curveSeed: 3,
  alignMethod: 'weight' as const,
  filmstrip: 0,
};

describe('paths: train and held-out curves', () => {
  it('scores every path on both sets, trains curves on the training set, reports the curve loss', async () => {
    const { paths } = harness();
    const held = blobs(48, 1, 'held');
    const train = blobs(48, 2, 'train');
    const both = await paths({ ...base, target: held, trainTarget: train });
    expect(both.map((c) => c.kind)).toEqual(['lerp', 'bezier']);
    for (const c of both) {
      expect(c.train!.losses).toHaveLength(7);
      expect(c.train!.metrics).toHaveLength(7);
      expect(Number.isFinite(c.train!.barrier)).toBe(true);
      // Different data, different numbers.
      expect(c.train!.losses[0]).not.toBeCloseTo(c.losses[0]!, 6);
    }
    expect(both[0]!.curveLoss).toBeUndefined();
    const loss = both[1]!.curveLoss!;
    expect(loss).toHaveLength(12);
    expect(loss.every(Number.isFinite)).toBe(true);
    // The classifiers' curve trained on the fused kernel (no tfjs note), on the training set:
    // its loss per step is the kernel trainer's on those digits, value for value.
    expect(both[1]!.note).toBeUndefined();
    const direct = await trainCurveOnKernel(
      initModel(ARCH, 11),
      initModel(ARCH, 12),
      evalDataFor(train, ARCH),
      {
        kind: 'bezier',
        steps: 12,
        seed: 3,
      },
    );
    expect(loss).toEqual(Array.from(direct.losses));

    // Scored on the training set alone, the held-out numbers are the train numbers of the first
    // job, and the curve (same seed, same training data) is the same curve.
    const trainOnly = await paths({ ...base, target: blobs(48, 2, 'train') });
    expect(trainOnly[0]!.train).toBeUndefined();
    for (const [i, c] of trainOnly.entries()) {
      Array.from(c.losses).forEach((v, k) => expect(v).toBeCloseTo(both[i]!.train!.losses[k]!, 5));
      expect(c.barrier).toBeCloseTo(both[i]!.train!.barrier, 5);
    }
    trainOnly[1]!.curveLoss!.forEach((v, k) => expect(v).toBeCloseTo(loss[k]!, 5));
  });
});
