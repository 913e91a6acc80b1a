import { describe, expect, it } from 'vitest';
import {
  activationMatching,
  alignMany,
  alignModels,
  applyPermutations,
  layerSimilarity,
  mlpPermutationSpec,
  PROOF_TOLERANCE,
  proofVerdict,
  proveSameFunction,
  weightMatching,
  type AlignResult,
  type PermutationSpec,
} from '../src/engine/align';
import { forward } from '../src/engine/forward';
import {
  ArchitectureMismatchError,
  NonFiniteWeightsError,
  cloneModel,
  initModel,
  paramShapes,
  type MlpArch,
  type Model,
} from '../src/engine/model';
import { createRng, randomPermutation } from '../src/engine/rng';

const ARCHS: Record<string, MlpArch> = {
  relu: { widths: [4, 24, 20, 16, 2], activation: 'relu' },
  sine: { widths: [2, 32, 32, 32, 1], activation: 'sine', w0: 30 },
  tanh: { widths: [3, 24, 24, 3], activation: 'tanh' },
  gelu: { widths: [3, 20, 16, 2], activation: 'gelu' },
  rff: {
    widths: [2, 24, 24, 1],
    activation: 'relu',
    encoding: { features: 12, sigma: 2 },
    outputOffset: 0.5,
  },
};
const ODD = new Set(['sine', 'tanh']);

function sqNorm(m: Model): number {
  let s = 0;
  for (const { name } of paramShapes(m.arch)) for (const x of m.params[name]!.data) s += x * x;
  return s;
}

function isIdentity(p: Int32Array): boolean {
  return p.every((x, i) => x === i);
}

function expectSameWeights(a: Model, b: Model): void {
  for (const name of Object.keys(a.params)) {
    expect(Array.from(b.params[name]!.data), name).toEqual(Array.from(a.params[name]!.data));
  }
}

/** B = a hidden random permutation (and, for odd activations, random sign flips) of A. */
function hide(
  a: Model,
  seed: number,
  withSigns: boolean,
): {
  b: Model;
  perms: Record<string, Int32Array>;
  signs: Record<string, Float32Array>;
  spec: PermutationSpec;
} {
  const spec = mlpPermutationSpec(a.arch);
  const rng = createRng(seed);
  const perms: Record<string, Int32Array> = {};
  const signs: Record<string, Float32Array> = {};
  for (const p of spec.perms) {
    perms[p.name] = randomPermutation(p.size, rng);
    signs[p.name] = Float32Array.from({ length: p.size }, () => (withSigns && rng.next() < 0.5 ? -1 : 1));
  }
  return { b: applyPermutations(a, spec, perms, signs), perms, signs, spec };
}

/** The alignment undoes the hidden one: aligned unit i is A's unit i with sign +1. */
function expectRecovered(res: AlignResult, hidden: ReturnType<typeof hide>): void {
  for (const p of hidden.spec.perms) {
    const perm = res.perms[p.name]!;
    const sign = res.signs?.[p.name];
    for (let i = 0; i < p.size; i++) {
      expect(hidden.perms[p.name]![perm[i]!]).toBe(i);
      expect((sign ? sign[i]! : 1) * hidden.signs[p.name]![perm[i]!]!).toBe(1);
    }
  }
}

function expectSameFunction(res: AlignResult): void {
  expect(res.maxOutputDiff).toBeLessThanOrEqual(1e-5 * Math.max(1, res.outputScale));
  expect(res.outputScale).toBeGreaterThan(0);
}

describe('permutation spec', () => {
  it('a permuted (and sign-flipped) network computes the same function', () => {
    for (const [key, arch] of Object.entries(ARCHS)) {
      const a = initModel(arch, 3);
      const { b } = hide(a, 4, ODD.has(key));
      const x = Float32Array.from({ length: 64 * arch.widths[0]! }, (_, i) => Math.sin(i * 0.7));
      const ya = forward(a, x, 64);
      const yb = forward(b, x, 64);
      for (let i = 0; i < ya.length; i++) expect(Math.abs(ya[i]! - yb[i]!), key).toBeLessThan(1e-5);
      // …and is a different point in weight space.
      expect(b.params['layers.0.weight']!.data).not.toEqual(a.params['layers.0.weight']!.data);
    }
  });

  it('the proof catches a permutation applied to only some of the tensors it should touch', () => {
    const a = initModel(ARCHS.tanh!, 5);
    const spec = mlpPermutationSpec(a.arch);
    const swap = Int32Array.from({ length: 24 }, (_, i) => (i === 0 ? 1 : i === 1 ? 0 : i));
    const broken = cloneModel(a);
    const half = applyPermutations(a, spec, { P_0: swap });
    broken.params['layers.0.weight'] = half.params['layers.0.weight']!; // rows swapped, bias and next layer not
    const { maxOutputDiff, outputScale, proved } = proveSameFunction(a, broken, 0);
    expect(maxOutputDiff).toBeGreaterThan(1e-3 * Math.max(1, outputScale));
    expect(proved).toBe(false);
    const whole = proveSameFunction(a, half, 0);
    expect(whole.maxOutputDiff).toBeLessThan(1e-6);
    expect(whole.proved).toBe(true);
    expect(whole.tolerance).toBe(PROOF_TOLERANCE * Math.max(1, whole.outputScale));
    // A non-finite difference never proves anything.
    expect(proofVerdict(NaN, 1).proved).toBe(false);
  });

  it('MLP spec: P_l acts on layer l rows, bias l and layer l+1 columns; encoding untouched', () => {
    const spec = mlpPermutationSpec(ARCHS.rff!);
    expect(spec.perms.map((p) => p.name)).toEqual(['P_0', 'P_1']);
    expect(spec.perms[1]!.axes).toEqual([
      { tensor: 'layers.1.weight', axis: 0 },
      { tensor: 'layers.1.bias', axis: 0 },
      { tensor: 'layers.2.weight', axis: 1 },
    ]);
    expect(spec.axesToPerm['encoding.B']).toBeUndefined();
    expect(spec.axesToPerm['layers.0.weight']).toEqual([0, -1]);
  });
});

describe('weight matching (Git Re-Basin Alg. 1)', () => {
  for (const key of ['relu', 'sine', 'tanh']) {
    it(`aligning a ${key} model to itself is the identity with objective ‖A‖²`, () => {
      const a = initModel(ARCHS[key]!, 11);
      const res = weightMatching(a, a);
      expect(res.signed).toBe(ODD.has(key));
      expect(Object.values(res.perms).every(isIdentity)).toBe(true);
      if (res.signs) expect(Object.values(res.signs).every((s) => s.every((x) => x === 1))).toBe(true);
      const norm2 = sqNorm(a);
      expect(Math.abs(res.objectiveAfter - norm2)).toBeLessThanOrEqual(1e-9 * norm2);
      expect(res.objectiveBefore).toBe(res.objectiveAfter);
      expect(res.sweeps).toBe(1);
      expect(res.maxOutputDiff).toBe(0);
    });
  }

  for (const key of Object.keys(ARCHS)) {
    it(`recovers a hidden permutation${ODD.has(key) ? ' and sign flips' : ''} exactly (${key})`, () => {
      const a = initModel(ARCHS[key]!, 21);
      const hidden = hide(a, 22, ODD.has(key));
      const res = weightMatching(a, hidden.b, { seed: 5 });
      expectRecovered(res, hidden);
      expectSameWeights(a, res.model);
      expect(res.objectiveAfter).toBeCloseTo(sqNorm(a), 9);
      expectSameFunction(res);
    });
  }

  for (const key of Object.keys(ARCHS)) {
    it(`aligns two independent ${key} models: same function, objective never decreases`, () => {
      const a = initModel(ARCHS[key]!, 31);
      const b = initModel(ARCHS[key]!, 32);
      const res = weightMatching(a, b, { seed: 1 });
      expectSameFunction(res);
      expect(res.sweeps).toBeGreaterThan(1);
      expect(res.objectivePerSweep.length).toBe(res.sweeps);
      expect(res.objectiveAfter).toBeGreaterThan(res.objectiveBefore);
      let prev = res.objectiveBefore;
      for (const o of res.objectivePerSweep) {
        expect(o).toBeGreaterThanOrEqual(prev);
        prev = o;
      }
      expect(res.objectiveAfter).toBe(res.objectivePerSweep[res.objectivePerSweep.length - 1]);
      // B itself is untouched.
      expect(b.params['layers.0.weight']!.data).toEqual(
        initModel(ARCHS[key]!, 32).params['layers.0.weight']!.data,
      );
    });
  }

  it('sign mode: auto is off for relu and gelu, on/off can be forced', () => {
    const relu = initModel(ARCHS.relu!, 1);
    const r = weightMatching(relu, initModel(ARCHS.relu!, 2));
    expect(r.signed).toBe(false);
    expect(r.signs).toBeUndefined();
    expect(weightMatching(initModel(ARCHS.gelu!, 1), initModel(ARCHS.gelu!, 2)).signed).toBe(false);
    const sine = initModel(ARCHS.sine!, 1);
    const sine2 = initModel(ARCHS.sine!, 2);
    const off = weightMatching(sine, sine2, { signed: 'off' });
    const on = weightMatching(sine, sine2, { signed: 'on' });
    expect(off.signed).toBe(false);
    expect(on.signed).toBe(true);
    // Signs can only help the objective.
    expect(on.objectiveAfter).toBeGreaterThan(off.objectiveAfter);
    expectSameFunction(on);
    // Forcing signs on a ReLU net breaks the function, and the proof catches it. The premise is
    // asserted: this pair does flip units (relu(−z) ≠ −relu(z)), so the check below cannot pass vacuously.
    const forced = weightMatching(relu, initModel(ARCHS.relu!, 2), { signed: 'on' });
    const flipped = Object.values(forced.signs!).some((s) => s.some((x) => x === -1));
    expect(flipped).toBe(true);
    expect(forced.maxOutputDiff).toBeGreaterThan(1e-3);
    expect(forced.proved).toBe(false);
  });

  it('is deterministic for a seed and respects maxSweeps', () => {
    const a = initModel(ARCHS.tanh!, 41);
    const b = initModel(ARCHS.tanh!, 42);
    const r1 = weightMatching(a, b, { seed: 3 });
    const r2 = weightMatching(a, b, { seed: 3 });
    expect(r1.objectivePerSweep).toEqual(r2.objectivePerSweep);
    expect(r1.perms).toEqual(r2.perms);
    const one = weightMatching(a, b, { maxSweeps: 1 });
    expect(one.sweeps).toBe(1);
    expectSameFunction(one);
  });

  it('works from the spec alone: a partial spec aligns only the permutations it names', () => {
    const a = initModel(ARCHS.relu!, 51);
    const full = mlpPermutationSpec(a.arch);
    const spec: PermutationSpec = { perms: [full.perms[1]!], axesToPerm: {} };
    for (const { tensor, axis } of spec.perms[0]!.axes) {
      const row = (spec.axesToPerm[tensor] ??= a.params[tensor]!.shape.map(() => -1));
      row[axis] = 0;
    }
    const hidden = hide(a, 52, false);
    const onlyP1 = applyPermutations(a, full, { P_1: hidden.perms.P_1! });
    const res = weightMatching(a, onlyP1, { spec });
    expect(Object.keys(res.perms)).toEqual(['P_1']);
    expectSameWeights(a, res.model);
  });
});

describe('activation matching', () => {
  for (const key of Object.keys(ARCHS)) {
    it(`recovers a hidden permutation${ODD.has(key) ? ' and sign flips' : ''} exactly (${key})`, () => {
      const a = initModel(ARCHS[key]!, 61);
      const hidden = hide(a, 62, ODD.has(key));
      const res = activationMatching(a, hidden.b, { seed: 2 });
      expect(res.method).toBe('activation');
      expectRecovered(res, hidden);
      expectSameWeights(a, res.model);
      expectSameFunction(res);
      // Every unit matched with correlation 1, except units constant over the batch (dead
      // ReLUs), which correlate 0 and are matched by weights instead.
      const units = mlpPermutationSpec(a.arch).perms.reduce((s, p) => s + p.size, 0);
      expect(res.objectiveAfter).toBeLessThanOrEqual(units + 1e-6);
      expect(Math.abs(res.objectiveAfter - Math.round(res.objectiveAfter))).toBeLessThan(1e-5);
      if (key !== 'relu') expect(res.objectiveAfter).toBeCloseTo(units, 5);
    });
  }

  for (const key of Object.keys(ARCHS)) {
    it(`aligns two independent ${key} models to the same function`, () => {
      const a = initModel(ARCHS[key]!, 71);
      const b = initModel(ARCHS[key]!, 72);
      const x = Float32Array.from({ length: 500 * ARCHS[key]!.widths[0]! }, (_, i) => Math.sin(i * 1.37));
      const res = alignModels(a, b, { method: 'activation', x });
      expectSameFunction(res);
      expect(res.signed).toBe(ODD.has(key));
      expect(res.objectiveAfter).toBeGreaterThanOrEqual(res.objectiveBefore);
    });
  }

  it('refuses a batch that is not whole rows', () => {
    const a = initModel(ARCHS.relu!, 1);
    expect(() => activationMatching(a, a, { x: new Float32Array(7) })).toThrow(/4-input rows/);
  });
});

describe('alignMany, layerSimilarity and bad input', () => {
  it('aligns many models to one reference with progress', () => {
    const arch = ARCHS.sine!;
    const ref = initModel(arch, 100);
    const models = [101, 102, 103].map((s) => initModel(arch, s));
    const calls: [number, number][] = [];
    const results = alignMany(ref, models, { method: 'weight' }, (d, t) => calls.push([d, t]));
    expect(calls).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    expect(results.map((r) => r.method)).toEqual(['weight', 'weight', 'weight']);
    results.forEach(expectSameFunction);
  });

  it('layerSimilarity: cosine 1 on the diagonal after aligning a hidden permutation', () => {
    const a = initModel(ARCHS.tanh!, 81);
    const hidden = hide(a, 82, true);
    const res = weightMatching(a, hidden.b);
    for (let p = 0; p < 2; p++) {
      const n = ARCHS.tanh!.widths[p + 1]!;
      const before = layerSimilarity(a, hidden.b, p);
      const after = layerSimilarity(a, res.model, p);
      expect(after.length).toBe(n * n);
      let diagBefore = 0;
      for (let i = 0; i < n; i++) {
        expect(after[i * n + i]).toBeCloseTo(1, 12);
        diagBefore += before[i * n + i]!;
      }
      expect(diagBefore).toBeLessThan(n / 2);
      for (const v of after) expect(Math.abs(v)).toBeLessThanOrEqual(1 + 1e-12);
    }
    expect(() => layerSimilarity(a, a, 2)).toThrow(RangeError);
  });

  it('mismatched architectures throw ArchitectureMismatchError naming the layer', () => {
    const a = initModel({ widths: [2, 16, 16, 1], activation: 'relu' }, 1);
    const b = initModel({ widths: [2, 16, 12, 1], activation: 'relu' }, 2);
    for (const run of [
      () => weightMatching(a, b),
      () => activationMatching(a, b),
      () => alignMany(a, [a, b]),
      () => layerSimilarity(a, b, 0),
    ]) {
      expect(run).toThrow(ArchitectureMismatchError);
      expect(run).toThrow(/layers\.1\.weight/);
    }
    const c = initModel({ widths: [2, 16, 16, 1], activation: 'tanh' }, 2);
    expect(() => weightMatching(a, c)).toThrow(ArchitectureMismatchError);
  });

  it('NaN or Inf weights throw NonFiniteWeightsError naming the tensor, before any work', () => {
    const a = initModel(ARCHS.relu!, 1);
    const bad = cloneModel(a);
    (bad.params['layers.2.bias']!.data as Float32Array)[3] = NaN;
    expect(() => weightMatching(a, bad)).toThrow(NonFiniteWeightsError);
    expect(() => weightMatching(a, bad)).toThrow(/layers\.2\.bias/);
    expect(() => activationMatching(bad, a)).toThrow(/layers\.2\.bias/);
    const inf = cloneModel(a);
    (inf.params['layers.0.weight']!.data as Float32Array)[0] = Infinity;
    const calls: number[] = [];
    expect(() => alignMany(a, [a, a, inf], {}, (d) => calls.push(d))).toThrow(/model 2.*layers\.0\.weight/);
    expect(calls).toEqual([]);
  });
});

describe('the worker’s align job', () => {
  it('cancelled between models: rejects and adds nothing; run to the end: adds every aligned model', async () => {
    const { runAlign } = await import('../src/workers/jobs/align');
    const { ModelRegistry } = await import('../src/workers/registry');
    const registry = new ModelRegistry();
    const arch: MlpArch = { widths: [2, 16, 16, 1], activation: 'relu' };
    const [ref, b, c] = [1, 2, 3].map(
      (s) => registry.add(initModel(arch, s), { name: `net ${s}`, source: 'sample' }).id,
    ) as [string, string, string];
    const job = {
      refId: ref,
      modelIds: [b, c],
      method: 'weight' as const,
      signed: 'auto' as const,
      seed: 0,
      target: null,
      heatmapLayer: 0,
    };
    const progress: number[] = [];
    const ctrl = new AbortController();
    // Cancelled after the first model: the job stops before the second and adds neither.
    await expect(
      runAlign(job, registry, {
        signal: ctrl.signal,
        progress: (p) => {
          progress.push(p.done);
          ctrl.abort();
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(progress).toEqual([1]);
    expect(registry.ids()).toEqual([ref, b, c]);
    const reply = await runAlign(job, registry, {
      signal: new AbortController().signal,
      progress: () => undefined,
    });
    expect(reply.results.map((r) => r.entry.name)).toEqual([
      'net 2 aligned to net 1',
      'net 3 aligned to net 1',
    ]);
    expect(reply.results.every((r) => r.proved)).toBe(true);
    expect(registry.entry(reply.results[1]!.entry.id).source).toBe('aligned');
  });
});
