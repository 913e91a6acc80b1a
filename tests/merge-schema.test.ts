import { describe, expect, it } from 'vitest';
import { mergeViewSchema } from '../src/engine/experiment/merge-schema';

const recipe = {
  method: 'ties',
  base: 'sample:mnist-mlp-1',
  models: ['sample:mnist-mlp-2', 'file:' + 'ab'.repeat(32)],
  params: { density: 0.5, lambda: [0.5, 1] },
  align: { matching: 'ste', reference: 'sample:mnist-mlp-1' },
  repair: true,
};

describe('the Merge tab in a link', () => {
  it('fills defaults and keeps the recipe', () => {
    const v = mergeViewSchema.parse({ recipe, sweep: { param: 'weight', index: 1 } });
    expect(v.recipe).toEqual({ ...recipe, align: { ...recipe.align, seed: 0 } });
    expect(v.sweep).toEqual({ param: 'weight', index: 1, from: 0, to: 1, points: 11 });
    expect(mergeViewSchema.parse(undefined)).toEqual({});
  });

  it('refuses what the engine refuses, with its words', () => {
    const bad = (r: object): string => {
      const res = mergeViewSchema.safeParse({ recipe: { ...recipe, ...r } });
      expect(res.success).toBe(false);
      return res.error!.issues.map((i) => i.message).join('; ');
    };
    expect(bad({ params: { density: 1.5 } })).toContain('density = 1.5 is outside (0, 1]');
    expect(bad({ params: { weights: [1] } })).toContain('1 weights for 2 models');
    expect(bad({ models: ['models[0]'] })).toContain('must be a model id');
    expect(bad({ method: 'frankenmerge' })).toBeTruthy();
    expect(bad({ models: [] })).toBeTruthy();
  });
});
