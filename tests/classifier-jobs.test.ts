/**
 * The Classifier lab's worker jobs through the real message switch, in Node: a population joins
 * the workspace with its curves, Stop keeps what was trained, bad settings and bad data are
 * refused with the reason and leave the workspace as it was, fine-tunes record their base, Pause
 * holds a training.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLASSIFIER } from '../src/engine/classifier/settings';
import type { LabelledDataset } from '../src/engine/data/dataset';
import { createRng } from '../src/engine/rng';
import { useBackend } from '../src/workers/backends';
import { createHandler } from '../src/workers/handler';
import type { ClassifierDataSpec, JobProgress, Payload, Reply, RequestType } from '../src/workers/protocol';

beforeAll(async () => {
  await useBackend('cpu');
});

function blobs(n = 120): LabelledDataset {
  const rng = createRng(9);
  const x = new Float32Array(n * 4);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let j = 0; j < 4; j++) x[i * 4 + j] = (j === labels[i] ? 2 : 0) + 0.5 * rng.normal();
  }
  return { x, labels, n, inputs: 4, classes: 3 };
}

const data = (d = blobs()): ClassifierDataSpec => ({
  kind: 'dataset',
  name: 'blobs.npz',
  dataset: d,
  heldOutFraction: 0.25,
  seed: 1,
});
const settings = { ...DEFAULT_CLASSIFIER, hidden: [16], batch: 16, epochs: 3, lr: 1e-2, population: 3 };

function harness() {
  const replies: Reply[] = [];
  const waiters = new Map<number, (r: Reply) => void>();
  const handle = createHandler((r) => {
    replies.push(r);
    if ((r.type === 'result' || r.type === 'error') && r.id !== null) waiters.get(r.id)?.(r);
  });
  let next = 1;
  const send = <T extends RequestType>(type: T, payload: Payload<T>) => {
    const id = next++;
    const answer = new Promise<Reply>((resolve) => waiters.set(id, resolve));
    handle({ type, id, payload });
    return { id, answer };
  };
  const progress = (id: number): JobProgress[] =>
    replies.flatMap((r) => (r.type === 'job-progress' && r.id === id ? [r.payload] : []));
  return { send, progress, registry: handle.registry };
}

describe('classifier jobs in the worker', () => {
  it('trains a population: curves stream as progress, every member joins with its held-out accuracy', async () => {
    const { send, progress, registry } = harness();
    const { id, answer } = send('classifier-train', { settings, data: data(), group: 'blobs' });
    const r = await answer;
    if (r.type !== 'result' || r.request !== 'classifier-train') throw new Error(JSON.stringify(r));
    expect(r.payload.models).toHaveLength(3);
    expect(r.payload.stopped).toBe(false);
    expect(r.payload.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(r.payload.description).toMatch(/90 training rows; 30 held out/);
    for (const m of r.payload.models) expect(m.accuracy!).toBeGreaterThan(0.8);
    expect(registry.ids()).toEqual(r.payload.models.map((m) => m.id));
    const last = progress(id).at(-1)!;
    expect(last.history).toHaveLength(3);
  });

  it('Pause holds the training; Stop, even while paused, keeps the members trained so far', async () => {
    const { send, progress } = harness();
    const job = send('classifier-train', {
      settings: { ...settings, epochs: 1000 },
      data: data(),
      group: 'b',
    });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // Pause once the first epoch is in (the fused kernel trains these tiny models in milliseconds).
    while (!progress(job.id).some((p) => (p.history?.length ?? 0) > 0)) await sleep(2);
    send('pause', { job: job.id });
    // The step in flight may still report; then nothing more comes.
    let count = -1;
    while (count !== progress(job.id).length) {
      count = progress(job.id).length;
      await sleep(300);
    }
    await sleep(500);
    expect(progress(job.id)).toHaveLength(count);
    send('stop', { job: job.id });
    const r = await job.answer;
    if (r.type !== 'result' || r.request !== 'classifier-train') throw new Error(JSON.stringify(r));
    expect(r.payload.stopped).toBe(true);
    expect(r.payload.models).toHaveLength(3);
    expect(r.payload.history.length).toBeLessThan(1000);
    // The path that trained, live and in the answer: the fused kernel, in this thread.
    expect(progress(job.id).at(-1)!.kernel).toMatch(/^fused wasm \w+ × 1 worker$/);
    expect(r.payload.kernel).toBe(progress(job.id).at(-1)!.kernel);
  });

  it('refuses bad settings and bad data with the reason; the workspace is unchanged', async () => {
    const { send, registry } = harness();
    const cases: [Payload<'classifier-train'>, RegExp][] = [
      [{ settings: { ...settings, epochs: 0 }, data: data(), group: 'x' }, /epochs must be a whole number/],
      [{ settings: { ...settings, lr: NaN }, data: data(), group: 'x' }, /learning rate/],
      [{ settings: { ...settings, batch: 500 }, data: data(), group: 'x' }, /batch size 500 is larger/],
      [
        { settings, data: data({ ...blobs(), labels: new Int32Array(120).fill(1), classes: 2 }), group: 'x' },
        /only class 1/,
      ],
    ];
    for (const [payload, reason] of cases) {
      const r = await send('classifier-train', payload).answer;
      expect(r.type).toBe('error');
      if (r.type === 'error') expect(r.payload.message).toMatch(reason);
    }
    expect(registry.ids()).toEqual([]);
  });

  it('fine-tunes a workspace model on a class subset, and makes task models, each recording its base', async () => {
    const { send } = harness();
    const trained = await send('classifier-train', {
      settings: { ...settings, population: 1 },
      data: data(),
      group: 'b',
    }).answer;
    if (trained.type !== 'result' || trained.request !== 'classifier-train') throw new Error('no base');
    const baseId = trained.payload.models[0]!.id;
    const training = { ...settings, epochs: 2 };
    const one = await send('classifier-finetune', {
      baseId,
      data: data(),
      subsets: [[0, 1]],
      training,
      seed: 2,
    }).answer;
    if (one.type !== 'result' || one.request !== 'classifier-finetune') throw new Error(JSON.stringify(one));
    expect(one.payload.models).toHaveLength(1);
    expect(one.payload.models[0]!.base).toBe(baseId);
    expect(one.payload.results[0]!.classes).toBe('0-1');
    const tasks = await send('classifier-finetune', {
      baseId,
      data: data(),
      subsets: [
        [0, 1],
        [1, 2],
      ],
      training,
      seed: 2,
    }).answer;
    if (tasks.type !== 'result' || tasks.request !== 'classifier-finetune')
      throw new Error(JSON.stringify(tasks));
    expect(tasks.payload.models.map((m) => m.base)).toEqual([baseId, baseId]);
    expect(tasks.payload.results.map((r) => r.classes)).toEqual(['0-1', '1-2']);
  });
});
