/**
 * Barrier points and loss-plane grids scored over the kernel pool (src/engine/kernels/
 * evaluate-many.ts): with 2 and 4 shards, in this thread and on worker threads, every model's
 * loss and metric equal the one-kernel result value for value (a model's numbers do not depend on
 * its chunk or shard); the shards are used, and closed at the end and on a cancel.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { enableRelaxedSimd, nodeShardPorts } from '../src/cli/kernel-pool';
import { initNodeBackend } from '../src/cli/tf-node';
import type { ClassificationData, EvalData } from '../src/engine/data/eval-data';
import { coordinateGrid } from '../src/engine/inr';
import { evaluateOnKernel } from '../src/engine/kernels/evaluate-many';
import { inlinePort, type ShardPort } from '../src/engine/kernels/pool';
import { lossPlane } from '../src/engine/landscape/plane';
import { initModel, type MlpArch, type Model } from '../src/engine/model';
import { pathCurve } from '../src/engine/paths/barrier';
import { createRng } from '../src/engine/rng';

enableRelaxedSimd();

beforeAll(async () => {
  await initNodeBackend('cpu');
});

const siren: MlpArch = { widths: [2, 16, 16, 1], activation: 'sine', w0: 30 };
const gelu: MlpArch = { widths: [6, 12, 4], activation: 'gelu' };
const image: EvalData = (() => {
  const x = coordinateGrid(10, 10);
  const y = Float32Array.from({ length: 100 }, (_, i) => 0.5 + 0.4 * Math.sin(0.3 * i));
  return { kind: 'regression', x, y, n: 100, inputs: 2, channels: 1 };
})();
const digits: ClassificationData = (() => {
  const rng = createRng(2);
  const x = Float32Array.from({ length: 70 * 6 }, () => rng.normal());
  const labels = Int32Array.from(
    { length: 70 },
    (_, i) => (x[6 * i]! > 0 ? 2 : 0) + (x[6 * i + 1]! > 0 ? 1 : 0),
  );
  return { kind: 'classification', x, labels, n: 70, inputs: 6, classes: 4 };
})();

/** `n` inline shards that count the chunks they score and record their closing. */
function counted(n: number) {
  const chunks: number[] = Array(n).fill(0);
  const closed: number[] = [];
  const ports = (models: number): ShardPort[] =>
    Array.from({ length: Math.min(n, models) }, (_, i) => {
      const p = inlinePort();
      return {
        request: (req) => {
          if (req.type === 'evalChunk') chunks[i]! += 1;
          return p.request(req);
        },
        close: () => (closed.push(i), p.close()),
      };
    });
  return { ports, chunks, closed };
}

const plain = (r: { loss: Float32Array; metric: Float32Array }) => [Array.from(r.loss), Array.from(r.metric)];

describe('evaluation over the kernel pool', () => {
  for (const [name, arch, data] of [
    ['SIREN', siren, image],
    ['GELU classifier', gelu, digits],
  ] as const) {
    it(`${name}: 2 and 4 shards score 25 models exactly as one kernel does`, async () => {
      const models: Model[] = Array.from({ length: 25 }, (_, i) => initModel(arch, 40 + i));
      const one = await evaluateOnKernel(25, (i) => models[i]!, data);
      for (const n of [2, 4]) {
        const { ports, chunks, closed } = counted(n);
        const done: number[] = [];
        const got = await evaluateOnKernel(25, (i) => models[i]!, data, {
          chunk: 8,
          ports,
          onProgress: (d) => done.push(d),
        });
        expect(plain(got)).toEqual(plain(one));
        // Every shard scored a chunk (chunks of at most 8), and all are closed.
        expect(chunks.every((c) => c >= 1)).toBe(true);
        expect(closed.sort()).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(done.at(-1)).toBe(25);
      }
    });
  }

  it('one chunk’s worth stays in this thread: no shard is started', async () => {
    const models = Array.from({ length: 25 }, (_, i) => initModel(siren, i + 1));
    let asked = 0;
    const got = await evaluateOnKernel(25, (i) => models[i]!, image, {
      ports: (m) => (asked++, counted(2).ports(m)),
    });
    expect(asked).toBe(0);
    expect(plain(got)).toEqual(plain(await evaluateOnKernel(25, (i) => models[i]!, image)));
  });

  it('a barrier and a loss plane on 2 worker threads equal the one-core ones', async () => {
    const [a, b, c] = [1, 2, 3].map((s) => initModel(siren, s)) as [Model, Model, Model];
    const threads = (m: number) => nodeShardPorts(m, 2);
    const barrier = await pathCurve(a, b, image, { points: 25 });
    const pooled = await pathCurve(a, b, image, { points: 25, chunk: 6, ports: threads });
    expect(Array.from(pooled.losses)).toEqual(Array.from(barrier.losses));
    expect(pooled.barrier).toBe(barrier.barrier);
    const plane = await lossPlane([a, b, c], image, { nx: 7, ny: 6 });
    const pooledPlane = await lossPlane([a, b, c], image, { nx: 7, ny: 6, ports: threads });
    expect(plain(pooledPlane)).toEqual(plain(plane));
  });

  it('a cancel between chunks rejects with its reason and closes every shard', async () => {
    const models = Array.from({ length: 40 }, (_, i) => initModel(siren, i + 1));
    const ctl = new AbortController();
    const { ports, closed } = counted(2);
    await expect(
      evaluateOnKernel(40, (i) => models[i]!, image, {
        chunk: 4,
        ports,
        signal: ctl.signal,
        onProgress: (d) => {
          if (d >= 8) ctl.abort(new Error('cancelled while scoring'));
        },
      }),
    ).rejects.toThrow(/cancelled while scoring/);
    expect(closed.sort()).toEqual([0, 1]);
  });
});
