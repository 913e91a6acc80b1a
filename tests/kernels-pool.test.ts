/**
 * A population split over 1, 2 and 4 worker threads trains to bit-identical members: the fused
 * kernel computes each member independently, so where a member runs cannot change its numbers.
 */
import { describe, expect, it } from 'vitest';
import { nodeKernelPool } from '../src/cli/kernel-pool';
import { coordinateGrid } from '../src/engine/inr';
import { MlpKernel } from '../src/engine/kernels/mlp-kernel';
import { splitMembers } from '../src/engine/kernels/pool';
import { flattenModel, initModel, type MlpArch } from '../src/engine/model';

const arch: MlpArch = { widths: [2, 12, 12, 1], activation: 'sine', w0: 30 };
const size = 9;
const x = coordinateGrid(size, size);
const y = Float32Array.from({ length: size * size }, (_, i) => 0.5 + 0.4 * Math.sin(i));
const data = { kind: 'regression' as const, x, y, n: size * size, inputs: 2, channels: 1 };

describe('fused kernel pool', () => {
  it('splits members into balanced contiguous ranges', () => {
    expect(splitMembers(5, 2)).toEqual([
      [0, 2],
      [2, 5],
    ]);
    expect(splitMembers(3, 8)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
  });

  it('1, 2 and 4 workers give identical models, equal to one kernel in this thread', async () => {
    const models = Array.from({ length: 5 }, (_, k) => initModel(arch, 7 + k));
    const single = new MlpKernel(models, data, { lr: 1e-3 });
    for (let s = 0; s < 12; s++) single.step();
    const expected = single.models().map(flattenModel);
    for (const threads of [1, 2, 4]) {
      const pool = await nodeKernelPool(models, data, { lr: 1e-3 }, threads);
      try {
        expect(pool.workers).toBe(threads);
        await pool.step(5);
        await pool.step(7);
        expect(pool.steps).toBe(12);
        const got = (await pool.models()).map(flattenModel);
        got.forEach((m, k) => expect(Array.from(m)).toEqual(Array.from(expected[k]!)));
        expect(Array.from(await pool.evaluate())).toEqual(Array.from(single.evaluate()));
        expect((await pool.predictions()).length).toBe(5 * size * size);
      } finally {
        pool.dispose();
      }
    }
  });
});
