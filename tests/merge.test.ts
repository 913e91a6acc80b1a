import { describe, expect, it } from 'vitest';
import { alignModels, applyPermutations, mlpPermutationSpec } from '../src/engine/align';
import {
  MERGE_METHODS,
  METHOD_INFO,
  MergeInputError,
  evaluateGradient,
  mergeModels,
  modelStockRatio,
  type MergeMethod,
  type MergeParams,
} from '../src/engine/merge';
import { cloneModel, initModel, type MlpArch, type Model } from '../src/engine/model';
import { createRng, randomPermutation } from '../src/engine/rng';

/** A 1→4→1 model whose first weight (4 entries) is `w0` and everything else `rest`. */
function tiny(w0: number[], rest = 0): Model {
  const arch: MlpArch = { widths: [1, w0.length, 1], activation: 'relu' };
  const m = initModel(arch, 1);
  m.params['layers.0.weight']!.data.set(w0);
  for (const n of ['layers.0.bias', 'layers.1.weight', 'layers.1.bias']) m.params[n]!.data.fill(rest);
  return m;
}
const first = (m: Model): number[] => Array.from(m.params['layers.0.weight']!.data);
const T1 = [1, -2, 3, 0.5];
const T2 = [-1, -1.5, 2, 0.5];

function maxDiff(a: Model, b: Model): number {
  let d = 0;
  for (const [k, t] of Object.entries(a.params))
    for (let i = 0; i < t.data.length; i++) d = Math.max(d, Math.abs(t.data[i]! - b.params[k]!.data[i]!));
  return d;
}

const ARCH: MlpArch = { widths: [3, 12, 10, 2], activation: 'relu' };

describe('merge methods against hand-computed cases', () => {
  const base = tiny([0, 0, 0, 0]);
  const models = [tiny(T1), tiny(T2)];

  it('ties: top-2 by magnitude, sign election, disjoint mean → [0, −1.75, 2.5, 0]', () => {
    const m = mergeModels('ties', models, { base, params: { density: 0.5 } });
    expect(first(m)).toEqual([0, -1.75, 2.5, 0]);
  });

  it('task_arithmetic at density 1 → Σ τ = [0, −3.5, 5, 1]; λ scales it', () => {
    expect(first(mergeModels('task_arithmetic', models, { base }))).toEqual([0, -3.5, 5, 1]);
    expect(first(mergeModels('task_arithmetic', models, { base, params: { lambda: 0.5 } }))).toEqual([
      0, -1.75, 2.5, 0.5,
    ]);
  });

  it('slerp([2, 0], [0, 1], ½) → [√2, √2/2]', () => {
    const a = tiny([2, 0]);
    const b = tiny([0, 1]);
    const m = mergeModels('slerp', [a, b], { params: { t: 0.5 } });
    const [x, y] = first(m);
    expect(x).toBeCloseTo(Math.SQRT2, 6);
    expect(y).toBeCloseTo(Math.SQRT2 / 2, 6);
    // base + one model is the same arc
    expect(first(mergeModels('slerp', [b], { base: a }))).toEqual(first(m));
  });

  it('model_stock: t = ⅔ at cos ½ and t = 1 at cos 1 for N = 2', () => {
    expect(modelStockRatio(2, 0.5)).toBeCloseTo(2 / 3, 12);
    expect(modelStockRatio(2, 1)).toBe(1);
    // τ₁ = [1, 0], τ₂ = [½, √3/2]: unit vectors at 60°, cos ½ → base + ⅔·mean(τ)
    const b = tiny([0, 0]);
    const m = mergeModels('model_stock', [tiny([1, 0]), tiny([0.5, Math.sqrt(3) / 2])], { base: b });
    const [x, y] = first(m);
    expect(x).toBeCloseTo((2 / 3) * 0.75, 6);
    expect(y).toBeCloseTo((2 / 3) * (Math.sqrt(3) / 4), 6);
    // parallel task vectors: cos 1, t = 1 → the plain average
    const p = mergeModels('model_stock', [tiny([1, 2]), tiny([2, 4])], { base: b });
    expect(first(p)[0]).toBeCloseTo(1.5, 6);
    expect(first(p)[1]).toBeCloseTo(3, 6);
  });

  it('breadcrumbs keeps the band between the γ outliers and the smallest entries', () => {
    const one = [tiny(T1)];
    expect(first(mergeModels('breadcrumbs', one, { base, params: { density: 0.5, gamma: 0.25 } }))).toEqual([
      1, -2, 0, 0,
    ]);
    // ⌊γn⌋ = 0: the band runs to the top instead of emptying the tensor
    expect(first(mergeModels('breadcrumbs', one, { base, params: { density: 0.5, gamma: 0.01 } }))).toEqual([
      0, -2, 3, 0,
    ]);
  });

  it('linear normalises by Σw (the uniform soup by default) and not when told', () => {
    expect(first(mergeModels('linear', models))).toEqual([0, -1.75, 2.5, 0.5]);
    expect(first(mergeModels('linear', models, { params: { weights: [1, 1], normalize: false } }))).toEqual([
      0, -3.5, 5, 1,
    ]);
  });

  it('DARE at density 1 is task arithmetic; below it keeps ≈ density and rescales to the L1 norm', () => {
    expect(first(mergeModels('dare_linear', models, { base }))).toEqual([0, -3.5, 5, 1]);
    const big = initModel(ARCH, 3);
    const zero = cloneModel(big);
    for (const t of Object.values(zero.params)) t.data.fill(0);
    const m = mergeModels('dare_linear', [big], { base: zero, params: { density: 0.3, seed: 5 } });
    const w = m.params['layers.1.weight']!.data;
    const src = big.params['layers.1.weight']!.data;
    let kept = 0;
    let l1 = 0;
    let l1src = 0;
    for (let i = 0; i < w.length; i++) {
      if (w[i] !== 0) kept++;
      l1 += Math.abs(w[i]!);
      l1src += Math.abs(src[i]!);
    }
    expect(kept / w.length).toBeGreaterThan(0.15);
    expect(kept / w.length).toBeLessThan(0.45);
    expect(l1).toBeCloseTo(l1src, 4);
  });

  it('DELLA keeps large entries more often than small ones', () => {
    const big = initModel({ widths: [200, 200, 2], activation: 'relu' }, 4);
    const zero = cloneModel(big);
    for (const t of Object.values(zero.params)) t.data.fill(0);
    const m = mergeModels('della_linear', [big], {
      base: zero,
      params: { density: 0.5, epsilon: 0.4, rescale: false },
    });
    const src = big.params['layers.0.weight']!.data;
    const out = m.params['layers.0.weight']!.data;
    const thr = 0.5 / Math.sqrt(200);
    let bigKept = 0;
    let bigN = 0;
    let smallKept = 0;
    let smallN = 0;
    for (let i = 0; i < src.length; i++) {
      const keptHere = out[i] !== 0 ? 1 : 0;
      if (Math.abs(src[i]!) > thr) {
        bigKept += keptHere;
        bigN++;
      } else {
        smallKept += keptHere;
        smallN++;
      }
    }
    expect(bigKept / bigN).toBeGreaterThan(smallKept / smallN + 0.2);
  });

  it('per-layer gradients interpolate over depth as mergekit does', () => {
    expect(evaluateGradient([0, 1], 0.5)).toBe(0.5);
    expect(evaluateGradient([1, 2, 4], 0.75)).toBe(3);
    expect(evaluateGradient([1, 2, 4], 1)).toBe(4);
    // two linear layers: layer 0 at t = 0 (λ = 0 → base), layer 1 at t = 1 (λ = 1)
    const m = mergeModels('task_arithmetic', [tiny(T1, 1)], { base, params: { lambda: [0, 1] } });
    expect(first(m)).toEqual([0, 0, 0, 0]);
    expect(m.params['layers.1.bias']!.data[0]).toBe(1);
  });
});

describe('merge invariants', () => {
  const a = initModel(ARCH, 11);
  const b = initModel(ARCH, 12);
  const c = initModel(ARCH, 13);

  it.each(MERGE_METHODS)('%s: merging a model with itself returns it', (method) => {
    const info = METHOD_INFO[method];
    const n = method === 'slerp' ? 2 : Math.max(2, info.minModels);
    const models = Array.from({ length: n }, () => cloneModel(a));
    const base = info.base === 'required' ? cloneModel(a) : undefined;
    const m = mergeModels(method, models, base ? { base } : {});
    expect(maxDiff(m, a)).toBe(0);
  });

  it('linear with weights (1, 0) returns the first model', () => {
    expect(maxDiff(mergeModels('linear', [a, b], { params: { weights: [1, 0] } }), a)).toBe(0);
  });

  it.each(MERGE_METHODS.filter((m) => METHOD_INFO[m].random))(
    '%s is reproducible from its seed and changes with it',
    (method) => {
      const params = { density: 0.5, epsilon: 0.2, seed: 7 };
      const x = mergeModels(method, [b, c], { base: a, params });
      const y = mergeModels(method, [b, c], { base: a, params });
      const z = mergeModels(method, [b, c], { base: a, params: { ...params, seed: 8 } });
      expect(maxDiff(x, y)).toBe(0);
      expect(maxDiff(x, z)).toBeGreaterThan(0);
    },
  );

  it.each(['linear', 'ties', 'dare_ties', 'della', 'model_stock', 'breadcrumbs_ties'] as MergeMethod[])(
    '%s: merging permuted copies after alignment equals merging the originals',
    (method) => {
      const spec = mlpPermutationSpec(ARCH);
      const rng = createRng(99);
      const permuted = (m: Model): Model =>
        applyPermutations(
          m,
          spec,
          Object.fromEntries(spec.perms.map((p) => [p.name, randomPermutation(p.size, rng)])),
        );
      const ref = initModel(ARCH, 20);
      // Activation matching solves one exact assignment per layer, so it is equivariant: a permuted
      // copy aligns to the very same model (weight matching's sweeps may stop elsewhere).
      const al = (m: Model): Model => alignModels(ref, m, { method: 'activation', seed: 0 }).model;
      const params: MergeParams = { density: 0.6, epsilon: 0.1, seed: 3 };
      const opts = METHOD_INFO[method].base === 'none' ? {} : { base: ref };
      const orig = mergeModels(method, [al(b), al(c)], {
        ...opts,
        params: method === 'model_stock' || method === 'linear' ? {} : params,
      });
      const perm = mergeModels(method, [al(permuted(b)), al(permuted(c))], {
        ...opts,
        params: method === 'model_stock' || method === 'linear' ? {} : params,
      });
      expect(maxDiff(orig, perm)).toBeLessThanOrEqual(1e-6);
    },
  );
});

describe('merge inputs refused with the reason', () => {
  const a = initModel(ARCH, 1);
  const b = initModel(ARCH, 2);
  const other = initModel({ widths: [3, 12, 11, 2], activation: 'relu' }, 3);
  const refuse = (fn: () => unknown, re: RegExp): void => {
    expect(fn).toThrow(MergeInputError);
    expect(fn).toThrow(re);
  };

  it('density outside (0, 1]', () => {
    refuse(
      () => mergeModels('ties', [b], { base: a, params: { density: 0 } }),
      /density = 0 is outside \(0, 1\]/,
    );
    refuse(() => mergeModels('ties', [b], { base: a, params: { density: 1.5 } }), /outside \(0, 1\]/);
    refuse(() => mergeModels('ties', [b], { base: a, params: { density: [0.5, -1] } }), /density = -1/);
  });

  it('ε that pushes keep probabilities out of (0, 1)', () => {
    refuse(
      () => mergeModels('della', [b], { base: a, params: { density: 0.5, epsilon: 0.5 } }),
      /density ± epsilon = 0.5 ± 0.5 leaves \(0, 1\)/,
    );
  });

  it('NaN weights, and weights of the wrong count', () => {
    refuse(
      () => mergeModels('linear', [a, b], { params: { weights: [1, NaN] } }),
      /weight of model 2 is NaN/,
    );
    refuse(() => mergeModels('linear', [a, b], { params: { weights: [1] } }), /1 weights for 2 models/);
    refuse(() => mergeModels('linear', [a, b], { params: { weights: [1, -1] } }), /sum to 0/);
  });

  it('a base of another architecture, naming the first tensor that differs', () => {
    refuse(
      () => mergeModels('ties', [b], { base: other, names: ['b.pt'], baseName: 'base.pt' }),
      /layers\.1\.weight: base\.pt has shape \[11, 12\] but b\.pt has \[10, 12\]/,
    );
  });

  it('one model where the method needs two; a missing base', () => {
    refuse(() => mergeModels('slerp', [a]), /exactly two models/);
    refuse(() => mergeModels('model_stock', [b], { base: a }), /at least 2 models besides the base; got 1/);
    refuse(() => mergeModels('ties', [a, b]), /needs a base model/);
    refuse(() => mergeModels('linear', [a], { base: b }), /uses no base/);
  });

  it('non-finite weights in a model; Model Stock at its pole', () => {
    const bad = cloneModel(b);
    bad.params['layers.0.bias']!.data[3] = NaN;
    refuse(
      () => mergeModels('linear', [a, bad], { names: ['a', 'bad'] }),
      /bad: tensor layers\.0\.bias holds a non-finite value/,
    );
    const base = tiny([0, 0]);
    refuse(() => mergeModels('model_stock', [tiny([1, 0]), tiny([-1, 0])], { base }), /−1\/\(N−1\)/);
  });
});

describe('magnitude ranks', () => {
  it('rank bands and row ranks agree with a stable sort, ties by position', async () => {
    const { rankBandMask, rowRanks } = await import('../src/engine/merge/rank');
    const rng = createRng(5);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + rng.int(40);
      // few distinct values, so ties are common
      const abs = Float64Array.from({ length: n }, () => rng.int(6) / 2);
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => abs[a]! - abs[b]! || a - b);
      const rank = new Array<number>(n);
      order.forEach((i, r) => (rank[i] = r));
      expect(Array.from(rowRanks(abs, 0, n))).toEqual(rank);
      const lo = rng.int(n);
      const hi = lo + rng.int(n - lo + 1);
      expect(Array.from(rankBandMask(abs, lo, hi))).toEqual(rank.map((r) => (r >= lo && r < hi ? 1 : 0)));
    }
  });
});
