/**
 * A merge recipe as a model id and back: every recipe field survives (per-depth lists, per-model
 * weights, an optional base, an alignment reference outside the inputs, REPAIR), nested recipes
 * included, and ids that do not make a valid recipe are refused with the reason.
 */
import { describe, expect, it } from 'vitest';
import { formatModelId, parseModelId } from '../src/engine/experiment/model-id';
import { recipeFromModelId, recipeModelId } from '../src/engine/experiment/recipe-model-id';
import type { MergeRecipe } from '../src/engine/merge';

const back = (id: string): MergeRecipe => {
  const m = parseModelId(id);
  if (m.kind !== 'merge') throw new Error('not a merge');
  return recipeFromModelId(m);
};
const M = 'member:0123456789abcdef';

describe('merge recipes as model ids', () => {
  const inner: MergeRecipe = {
    method: 'linear',
    base: null,
    models: [`${M}/0`, `${M}/1`],
    params: { weights: [1, 2], normalize: false },
    align: { matching: 'ste', reference: `${M}/0`, seed: 2 },
    repair: true,
  };
  const cases: [string, MergeRecipe][] = [
    ['linear of two members, STE-aligned, REPAIR', inner],
    [
      'dare_ties with gradients, a seed and a reference outside the inputs',
      {
        method: 'dare_ties',
        base: 'sample:base',
        models: ['sample:a', 'sample:b'],
        params: { density: [0.3, 0.5, 0.9], lambda: 1.5, weights: [[0.5, 1], 1], seed: 7, rescale: true },
        align: { matching: 'weight', reference: 'sample:ref', seed: 0 },
        repair: false,
      },
    ],
    [
      'ties after STE alignment of 120 steps',
      {
        method: 'ties',
        base: `${M}/0`,
        models: [`${M}/1`, `${M}/2`],
        params: { density: 0.5 },
        align: { matching: 'ste', reference: `${M}/0`, seed: 0, steps: 120 },
        repair: false,
      },
    ],
    [
      'slerp with its optional base',
      {
        method: 'slerp',
        base: 'sample:a',
        models: ['sample:b'],
        params: { t: 0.25 },
        align: null,
        repair: false,
      },
    ],
    [
      'slerp without a base',
      {
        method: 'slerp',
        base: null,
        models: ['sample:a', 'sample:b'],
        params: {},
        align: null,
        repair: false,
      },
    ],
    [
      'a merge of a merge',
      {
        method: 'task_arithmetic',
        base: `${M}/2`,
        models: [recipeModelId(inner), `${M}/3`],
        params: { lambda: 0.5 },
        align: { matching: 'activation', reference: recipeModelId(inner), seed: 1 },
        repair: false,
      },
    ],
  ];
  it.each(cases)('%s: id → recipe gives the recipe back, the id is canonical', (_, r) => {
    const id = recipeModelId(r);
    expect(formatModelId(parseModelId(id))).toBe(id);
    expect(back(id)).toEqual(r);
  });

  it("STE's steps travel in the id (align_steps), the default 30 is left out", () => {
    const r = (steps?: number): MergeRecipe => ({
      ...inner,
      align: { matching: 'ste', reference: `${M}/0`, seed: 2, ...(steps !== undefined ? { steps } : {}) },
    });
    expect(recipeModelId(r(120))).toContain('align_steps=120');
    expect(recipeModelId(r(30))).toBe(recipeModelId(r()));
    expect(recipeModelId(r())).not.toContain('align_steps');
  });

  it('refuses ids that are no valid recipe, saying why', () => {
    const bad: [string, RegExp][] = [
      ['merge(magic, -, sample:a)', /not a merge method/],
      ['merge(ties, density=0.5, sample:a)', /ties needs at least 1 model|is not a valid recipe/],
      ['merge(linear, density=2;w_0=1, sample:a)', /is not a valid recipe/],
      ['merge(linear, align=weight;align_to=5, sample:a)', /align_to must index/],
      ['merge(linear, frobnicate=1, sample:a)', /unknown parameters: frobnicate/],
      ['merge(linear, normalize=maybe, sample:a)', /normalize must be true or false/],
      ['merge(dare_linear, seed=x, sample:a, sample:b)', /seed must be a number/],
      [
        'merge(linear, align=weight;align_seed=0;align_steps=50;align_to=0, sample:a)',
        /steps applies to ste/,
      ],
      ['merge(linear, align=ste;align_seed=0;align_steps=501;align_to=0, sample:a)', /is not a valid recipe/],
      ['merge(linear, align=ste;align_seed=0;align_steps=x;align_to=0, sample:a)', /is not a valid recipe/],
    ];
    for (const [id, why] of bad) expect(() => back(id), id).toThrow(why);
  });
});
