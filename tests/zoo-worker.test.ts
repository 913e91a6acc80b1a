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
import type { Payload, Reply, RequestType, Result } from '../src/workers/protocol';

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

  /**
   * Sends `message` about job `id` the moment its progress reports two finished INRs (from inside
   * the reply callback: on the fused kernel a small fit can finish before any timer fires).
   */
  const afterTwoDone = (id: number, message: 'stop' | 'cancel') =>
    new Promise<void>((resolve) => {
      const watch = (r: Reply) => {
        if (r.type !== 'job-progress' || r.id !== id || r.payload.done < 2) return;
        listeners.delete(watch);
        handle({ type: message, id: nextId++, payload: { job: id } });
        resolve();
      };
      listeners.add(watch);
    });

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
});
