import { describe, expect, it } from 'vitest';
import { meanPairwiseDistance } from '../src/engine/landscape/cloud-stats';

describe('meanPairwiseDistance', () => {
  it('averages the Euclidean distance over all pairs', () => {
    // A 3-4-5 triangle: pairs at 3, 4 and 5.
    const pts = [new Float32Array([0, 0]), new Float32Array([3, 0]), new Float32Array([0, 4])];
    expect(meanPairwiseDistance(pts)).toBeCloseTo(4, 12);
  });
  it('is 0 for one point or identical points, and refuses mixed dimensions', () => {
    expect(meanPairwiseDistance([new Float32Array([1, 2])])).toBe(0);
    expect(meanPairwiseDistance([new Float32Array([1, 2]), new Float32Array([1, 2])])).toBe(0);
    expect(() => meanPairwiseDistance([new Float32Array(2), new Float32Array(3)])).toThrow(/expected 2/);
  });
});

describe('the worker’s cloud job', () => {
  it('aligns each architecture to a reference of its own, and alignment shrinks the mean distance', async () => {
    const { runCloud } = await import('../src/workers/jobs/cloud');
    const { ModelRegistry } = await import('../src/workers/registry');
    const { initModel } = await import('../src/engine/model');
    const registry = new ModelRegistry();
    const small = { widths: [2, 16, 16, 1], activation: 'relu' as const };
    const wide = { widths: [2, 24, 1], activation: 'relu' as const };
    const ids = [1, 2, 3, 4].map(
      (s) => registry.add(initModel(small, s), { name: `s${s}`, source: 'sample' }).id,
    );
    const wideIds = [5, 6, 7].map(
      (s) => registry.add(initModel(wide, s), { name: `w${s}`, source: 'sample' }).id,
    );
    const job = { modelIds: [...ids, ...wideIds], components: 2, paths: [] as [string, string][] };
    const raw = await runCloud({ ...job, alignTo: null }, registry, {
      signal: new AbortController().signal,
      progress: () => undefined,
    });
    const aligned = await runCloud({ ...job, alignTo: ids[0]! }, registry, {
      signal: new AbortController().signal,
      progress: () => undefined,
    });
    expect(raw.map((g) => g.referenceId)).toEqual([null, null]);
    // The wide group cannot use the small reference: it is aligned to its own first model.
    expect(aligned.map((g) => g.referenceId)).toEqual([ids[0], wideIds[0]]);
    expect(aligned[1]!.note).toMatch(/first model of this architecture/);
    // That architectures are mapped apart is the view's one note, not repeated on every group.
    expect(raw.map((g) => g.note)).toEqual([undefined, undefined]);
    expect(aligned[0]!.note).toBeUndefined();
    for (let g = 0; g < 2; g++) {
      expect(raw[g]!.meanDistance).toBeGreaterThan(0);
      // Weight matching minimises each model's distance to the reference, so the cloud tightens.
      expect(aligned[g]!.meanDistance).toBeLessThan(raw[g]!.meanDistance);
    }
  });
});
