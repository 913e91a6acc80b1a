/**
 * The worker's message switch and every job it runs, in Node with the real registry (no browser):
 * every message gets an answer, a cancelled job answers AbortError and leaves the workspace as it
 * was, a failed alignment leaves no model behind, a cancelled import is released.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initModel, type MlpArch } from '../src/engine/model';
import { useBackend } from '../src/workers/backends';
import { createHandler } from '../src/workers/handler';
import { pendingCheckpoints } from '../src/workers/jobs/models';
import type { ImageTarget, Payload, Reply, RequestType } from '../src/workers/protocol';

beforeAll(async () => {
  // The worker's own backend switch, on the backend Node has without wasm paths.
  await useBackend('cpu');
});

/** A handler whose replies are collected, and a helper that awaits the answer to one request. */
function harness() {
  const replies: Reply[] = [];
  const waiters = new Map<number | null, (r: Reply) => void>();
  const handle = createHandler((r) => {
    replies.push(r);
    if (r.type === 'result' || r.type === 'error') waiters.get(r.id)?.(r);
  });
  let next = 1;
  const send = <T extends RequestType>(
    type: T,
    payload: Payload<T>,
  ): { id: number; answer: Promise<Reply> } => {
    const id = next++;
    const answer = new Promise<Reply>((resolve) => waiters.set(id, resolve));
    handle({ type, id, payload });
    return { id, answer };
  };
  const arch: MlpArch = { widths: [2, 24, 24, 1], activation: 'sine', w0: 30 };
  const ids = [1, 2, 3, 4].map(
    (s) => handle.registry.add(initModel(arch, s), { name: `net ${s}`, source: 'sample' }).id,
  );
  return { handle, replies, send, ids, registry: handle.registry };
}

const image: ImageTarget = {
  kind: 'image',
  id: 'test:grey@8',
  image: { width: 8, height: 8, channels: 1, data: new Float32Array(64).fill(0.5) },
};

describe('the worker answers every message', () => {
  it('malformed and unknown messages get an error reply naming the problem', () => {
    const { handle, replies } = harness();
    replies.length = 0; // the harness's own models were announced
    for (const m of [
      null,
      {},
      'align',
      { id: 'x', type: 'align' },
      { id: 7, type: 'nope', payload: {} },
      { id: 8, type: 'remove' },
    ])
      handle(m);
    expect(replies.map((r) => r.type)).toEqual(['error', 'error', 'error', 'error', 'error', 'error']);
    expect(replies.map((r) => r.id)).toEqual([null, null, null, null, 7, 8]);
    const texts = replies.map((r) => (r.type === 'error' ? r.payload.message : ''));
    expect(texts[0]).toMatch(/must be an object/);
    expect(texts[1]).toMatch(/numeric id/);
    expect(texts[4]).toMatch(/unknown request type "nope"/);
    expect(texts[5]).toMatch(/no payload/);
  });

  it('a request that throws answers with its error; ping answers at once', async () => {
    const { send } = harness();
    const bad = await send('export', { modelId: 'm999', format: 'npz' }).answer;
    expect(bad).toMatchObject({
      type: 'error',
      payload: { message: expect.stringMatching(/m999 is not in the workspace/) },
    });
    expect(await send('ping', null).answer).toMatchObject({ type: 'result', request: 'ping', payload: null });
  });
});

describe('cancelled jobs leave the workspace as it was', () => {
  const cases: [string, (ids: string[]) => [RequestType, unknown]][] = [
    [
      'align',
      (ids) => [
        'align',
        {
          refId: ids[0],
          modelIds: ids.slice(1),
          method: 'weight',
          signed: 'auto',
          seed: 0,
          target: null,
          heatmapLayer: 0,
        },
      ],
    ],
    ['cloud', (ids) => ['cloud', { modelIds: ids, alignTo: ids[0], components: 2, paths: [] }]],
    [
      'paths',
      (ids) => [
        'paths',
        {
          aId: ids[0],
          bId: ids[1],
          kinds: ['lerp', 'lerp-aligned', 'bezier'],
          points: 9,
          curveSteps: 50,
          curveSeed: 0,
          alignMethod: 'weight',
          target: image,
          filmstrip: 3,
        },
      ],
    ],
    ['plane', (ids) => ['plane', { anchorIds: ids.slice(0, 3), target: image, resolution: 9, margin: 0.2 }]],
    [
      'directions',
      (ids) => ['directions', { modelId: ids[0], target: image, dims: 2, points: 9, range: 1, seed: 0 }],
    ],
  ];
  for (const [name, make] of cases) {
    it(`${name}: cancelled after it starts, answers AbortError and adds nothing`, async () => {
      const { send, ids, registry } = harness();
      const [type, payload] = make(ids);
      const job = send(type, payload as Payload<typeof type>);
      // The job starts on the next turn; the cancel arrives while it yields between units of work.
      await new Promise((r) => setTimeout(r, 0));
      send('cancel', { job: job.id });
      const answer = await job.answer;
      expect(answer).toMatchObject({ type: 'error', payload: { name: 'AbortError' } });
      expect(registry.ids()).toEqual(ids);
    });
  }

  it('a job cancelled while it waits in the queue never starts', async () => {
    const { send, ids, registry } = harness();
    const first = send('cloud', { modelIds: ids, alignTo: null, components: 2, paths: [] });
    const second = send('align', {
      refId: ids[0]!,
      modelIds: ids.slice(1),
      method: 'weight',
      signed: 'auto',
      seed: 0,
      target: null,
      heatmapLayer: 0,
    });
    send('cancel', { job: second.id });
    expect((await first.answer).type).toBe('result');
    expect(await second.answer).toMatchObject({ type: 'error', payload: { name: 'AbortError' } });
    expect(registry.ids()).toEqual(ids);
  });
});

describe('worker state', () => {
  it('an alignment that fails midway (a model left meanwhile) leaves no model behind', async () => {
    const { send, ids, registry } = harness();
    const job = send('align', {
      refId: ids[0]!,
      modelIds: [ids[1]!, 'm404'],
      method: 'weight',
      signed: 'auto',
      seed: 0,
      target: null,
      heatmapLayer: 0,
    });
    expect(await job.answer).toMatchObject({
      type: 'error',
      payload: { message: expect.stringMatching(/m404/) },
    });
    expect(registry.ids()).toEqual(ids);
  });

  it('a cancelled import is released: the worker no longer holds the file', async () => {
    const { send } = harness();
    const before = pendingCheckpoints();
    const bytes = new Uint8Array(readFileSync('tests/fixtures/checkpoints/mlp_relu.npz'));
    const inspected = await send('inspect', { files: [{ name: 'mlp_relu.npz', bytes }] }).answer;
    expect(inspected.type).toBe('result');
    const token =
      inspected.type === 'result' && inspected.request === 'inspect' ? inspected.payload.token : '';
    expect(pendingCheckpoints()).toBe(before + 1);
    await send('release', { token }).answer;
    expect(pendingCheckpoints()).toBe(before);
    const late = await send('add-checkpoint', {
      token,
      name: 'late',
      activation: 'relu',
      w0: 30,
      outputOffset: 0,
      source: 'checkpoint',
    }).answer;
    expect(late).toMatchObject({
      type: 'error',
      payload: { message: expect.stringMatching(/no longer pending/) },
    });
  });

  it('unconfirmed inspections are bounded even if never released', async () => {
    const { send } = harness();
    const bytes = readFileSync('tests/fixtures/checkpoints/mlp_relu.npz');
    for (let i = 0; i < 10; i++)
      await send('inspect', { files: [{ name: 'mlp_relu.npz', bytes: new Uint8Array(bytes) }] }).answer;
    expect(pendingCheckpoints()).toBeLessThanOrEqual(4);
  });
});
