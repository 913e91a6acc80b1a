/**
 * The worker's zoo jobs through the real message switch: open (a refused file leaves the zoo as
 * it was), fit (Stop keeps the finished INRs, a cancel keeps nothing), train (np invariant), cloud and export.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packMnist } from '../scripts/mnist';
import { readZoo } from '../src/engine/zoo/index';
import { useBackend } from '../src/workers/backends';
import { createHandler } from '../src/workers/handler';
import type { Payload, Reply, RequestType, Result, ZooClassifiersJob } from '../src/workers/protocol';

const FIX = path.resolve(__dirname, 'fixtures/zoo');
let nextId = 1;
const replies: Reply[] = [];
const waiters = new Map<number, (r: Reply) => void>();
const listeners = new Set<(r: Reply) => void>();
const handle = createHandler((r) => {
  replies.push(r);
  for (const l of [...listeners]) l(r);
  if ((r.type === 'result' || r.type === 'error') && r.id !== null) waiters.get(r.id)?.(r);
});

/** Sends a request; resolves with its result or rejects with the worker's error message. */
function send<T extends RequestType>(
  type: T,
  payload: Payload<T>,
): { id: number; result: Promise<Result<T>> } {
  const id = nextId++;
  const result = new Promise<Result<T>>((resolve, reject) => {
    waiters.set(id, (r) =>
      r.type === 'error' ? reject(new Error(r.payload.message)) : resolve(r.payload as Result<T>),
    );
  });
  handle({ type, id, payload });
  return { id, result };
}

const file = (name: string) => ({ name, bytes: new Uint8Array(readFileSync(path.join(FIX, name))) });

const progressOf = (id: number) => replies.filter((r) => r.type === 'job-progress' && r.id === id);

const until = async (ok: () => boolean, what: string, ms = 30_000): Promise<void> => {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/**
 * Pauses a running job once it reports progress, waits until its progress stops (it may finish
 * the step in flight), checks that nothing more comes for a while, then resumes it.
 */
/**
 * Sends `message` about job `id` from inside the reply callback, the moment one of its progress
 * replies satisfies `when`: on the fused kernel a small job can finish before any timer fires.
 */
function sendWhen(
  id: number,
  when: (p: Extract<Reply, { type: 'job-progress' }>) => boolean,
  message: 'pause' | 'stop' | 'cancel',
): Promise<void> {
  return new Promise<void>((resolve) => {
    const watch = (r: Reply) => {
      if (r.type !== 'job-progress' || r.id !== id || !when(r)) return;
      listeners.delete(watch);
      handle({ type: message, id: nextId++, payload: { job: id } });
      resolve();
    };
    listeners.add(watch);
  });
}

async function pauseAndResume(job: { id: number; result: Promise<unknown> }): Promise<void> {
  let settled = false;
  void job.result.finally(() => (settled = true));
  await sendWhen(job.id, () => true, 'pause');
  let count = progressOf(job.id).length;
  let since = Date.now();
  await until(() => {
    const c = progressOf(job.id).length;
    if (c !== count) [count, since] = [c, Date.now()];
    return Date.now() - since > 600;
  }, 'the paused job to go quiet');
  await new Promise((r) => setTimeout(r, 1200));
  expect(progressOf(job.id).length).toBe(count);
  expect(settled).toBe(false);
  handle({ type: 'resume', id: nextId++, payload: { job: job.id } });
}

/** A tiny classifier zoo: 7×7 digits, 8 hidden units, 100 digits per class, two epochs. */
const tinyClassifiers = (patch: Partial<ZooClassifiersJob> = {}): ZooClassifiersJob => ({
  mnist: packMnist().slice(),
  labelBy: 'task',
  seeds: 2,
  tasks: [
    [0, 1],
    [2, 3],
  ],
  perLabel: 3,
  hidden: [8],
  size: 7,
  digitsPerClass: 100,
  epochs: 2,
  batch: 10,
  lr: 1e-2,
  seed: 0,
  ...patch,
});

beforeAll(async () => {
  await useBackend('cpu');
});

describe('zoo jobs in the worker', () => {
  it('open, refuse a bad file without touching the zoo, export what is there', async () => {
    const s = await send('zoo-open', file('siren_zoo.npz')).result;
    expect(s).toMatchObject({
      n: 6,
      inr: { height: 8, width: 8, channels: 1 },
      split: { train: 3, val: 1, test: 2 },
    });
    expect(s.thumbs).toHaveLength(6 * 64);
    await expect(send('zoo-open', file('bad_nan.npz')).result).rejects.toThrow(
      /member 4 has a non-finite value/,
    );
    const out = await send('zoo-export', { format: 'safetensors' }).result;
    expect(out.filename).toBe('siren_zoo.safetensors');
    expect(readZoo({ name: out.filename, bytes: out.bytes }).n).toBe(6);
  });

  const fitJob = () =>
    send('zoo-fit', {
      mnist: packMnist().slice(),
      perClass: 4,
      classes: [0, 1],
      size: 8,
      hidden: [8, 8],
      steps: 20,
      psnr: 99,
      seed: 0,
      lr: 3e-3,
      batch: 2,
    });

  /** Sends `message` about job `id` once its progress reports two finished INRs. */
  const afterTwoDone = (id: number, message: 'stop' | 'cancel') =>
    sendWhen(id, (r) => r.payload.done >= 2, message);

  it('a stopped fit keeps the INRs finished so far; a cancelled one keeps nothing', async () => {
    const job = fitJob();
    await afterTwoDone(job.id, 'stop');
    const s = await job.result;
    expect(s.cancelled).toBe(true);
    expect(s.n).toBeGreaterThanOrEqual(2);
    expect(s.n).toBeLessThan(8);
    const progress = replies.find((r) => r.type === 'job-progress' && r.id === job.id);
    expect(progress?.type === 'job-progress' ? progress.payload.label : '').toMatch(/INRs · batch 2/);
    // A cancel at the same point rejects, and the zoo stays the stopped fit's.
    const cancelled = fitJob();
    await afterTwoDone(cancelled.id, 'cancel');
    await expect(cancelled.result).rejects.toThrow(/abort/i);
    const out = await send('zoo-export', { format: 'npz' }).result;
    expect(readZoo({ name: out.filename, bytes: out.bytes }).n).toBe(s.n);
  }, 60_000);

  it('fits one image under many seeds: one label, members differing only by their init', async () => {
    const data = Float32Array.from({ length: 64 }, (_, i) => (i % 8) / 8);
    const s = await send('zoo-fit', {
      mnist: new Uint8Array(0),
      perClass: 1,
      classes: [0],
      size: 8,
      hidden: [8, 8],
      steps: 10,
      psnr: 99,
      seed: 3,
      lr: 3e-3,
      image: { data: { width: 8, height: 8, channels: 1, data }, name: 'ramp', count: 3 },
    }).result;
    expect(s).toMatchObject({ n: 3, name: 'seeds-zoo-3', labelNames: ['ramp'], source: 'seeds:ramp' });
    expect(Array.from(s.labels)).toEqual([0, 0, 0]);
  }, 60_000);

  it('trains np (invariant) and maps the cloud of the current zoo', async () => {
    await send('zoo-open', file('siren_zoo.npz')).result;
    const r = await send('zoo-train', { method: 'np', epochs: 1, seed: 0, augment: [] }).result;
    expect(r.epochs).toHaveLength(1);
    expect(r.invarianceMaxDiff).toBeLessThanOrEqual(1e-4);
    const c = await send('zoo-cloud', { components: 2 }).result;
    expect(c.raw.coords).toHaveLength(6);
    expect(c.aligned.coords).toHaveLength(6);
  }, 60_000);

  it('a paused fit makes no progress until resumed, then finishes every INR', async () => {
    const job = send('zoo-fit', {
      mnist: packMnist().slice(),
      perClass: 2,
      classes: [0, 1],
      size: 8,
      hidden: [8, 8],
      steps: 40,
      psnr: 99,
      seed: 0,
      lr: 3e-3,
      batch: 2,
    });
    await pauseAndResume(job);
    const s = await job.result;
    expect(s.n).toBe(4);
    expect(s.cancelled).toBe(false);
  }, 90_000);

  it('builds a classifier zoo labelled by task; the file records how; np and mlp train on it', async () => {
    const s = await send('zoo-classifiers', tinyClassifiers()).result;
    expect(s).toMatchObject({
      n: 6,
      arch: { widths: [49, 8, 10], activation: 'relu' },
      labelNames: ['0-1', '2-3'],
      source: 'classifiers:mnist:task',
      inputMaps: { height: 7, width: 7 },
      cancelled: false,
    });
    expect(Array.from(s.labels)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(s.thumbs).toHaveLength(6 * 49);
    expect(Math.max(...s.thumbs)).toBe(1);
    // Two-class tasks (argmax over all ten outputs): above chance on the held-out digits of the task.
    for (const a of s.accuracy!) expect(a).toBeGreaterThan(0.6);
    const out = await send('zoo-export', { format: 'npz' }).result;
    const back = readZoo({ name: out.filename, bytes: out.bytes });
    const { mnist: _m, ...settings } = tinyClassifiers();
    expect(back.meta.classifiers).toEqual(settings);
    expect(back.columns.map((c) => c.name)).toEqual(['seed', 'accuracy']);
    const train = send('zoo-train', { method: 'np', epochs: 2, seed: 0, augment: [] });
    const r = await train.result;
    expect(r.invarianceMaxDiff).toBeLessThanOrEqual(1e-4);
    // The live curve: each epoch's progress carries every epoch so far.
    const live = progressOf(train.id).map((p) =>
      p.type === 'job-progress' ? p.payload.wsEpochs?.length : 0,
    );
    expect(live).toEqual([1, 2]);
    const mlp = await send('zoo-train', { method: 'mlp', epochs: 1, seed: 0, augment: [] }).result;
    expect(mlp.epochs).toHaveLength(1);
    // A cancel after the first of three epochs rejects: no partly trained classifier comes back.
    const cancelled = send('zoo-train', { method: 'mlp', epochs: 3, seed: 0, augment: [] });
    await sendWhen(cancelled.id, (p) => p.payload.wsEpochs?.length === 1, 'cancel');
    await expect(cancelled.result).rejects.toThrow(/abort/i);
    expect(progressOf(cancelled.id)).toHaveLength(1);
  }, 120_000);

  it('a classifier zoo by seed pauses, resumes, and a stop keeps the finished labels', async () => {
    const paused = send('zoo-classifiers', tinyClassifiers({ labelBy: 'seed', perLabel: 2 }));
    await pauseAndResume(paused);
    const s = await paused.result;
    expect(s).toMatchObject({ n: 4, labelNames: ['init 0', 'init 1'], source: 'classifiers:mnist:seed' });
    // Members of one label share their init: their seed column says so.
    const zoo = readZoo({ name: 'z.npz', bytes: (await send('zoo-export', { format: 'npz' }).result).bytes });
    const seeds = zoo.columns.find((c) => c.name === 'seed')!.data;
    expect(seeds[0]).toBe(seeds[1]);
    expect(seeds[2]).toBe(seeds[3]);
    expect(seeds[0]).not.toBe(seeds[2]);

    const job = send('zoo-classifiers', tinyClassifiers({ labelBy: 'seed', seeds: 3, perLabel: 2 }));
    await sendWhen(job.id, (r) => r.payload.label.startsWith('2/6'), 'stop');
    const c = await job.result;
    expect(c.cancelled).toBe(true);
    expect([2, 4]).toContain(c.n);
    // A cancel at the same point rejects, and the zoo stays the stopped build's.
    const cancelled = send('zoo-classifiers', tinyClassifiers({ labelBy: 'seed', seeds: 3, perLabel: 2 }));
    await sendWhen(cancelled.id, (r) => r.payload.label.startsWith('2/6'), 'cancel');
    await expect(cancelled.result).rejects.toThrow(/abort/i);
    const kept = (await send('zoo-export', { format: 'npz' }).result).filename;
    expect(kept).toBe(`classifier-zoo-seed-${c.n}.npz`);
  }, 120_000);
});
