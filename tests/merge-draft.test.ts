/**
 * The Merge form's draft as a recipe: STE's step count typed in the form reaches the recipe (the
 * default 30 left out, so one merge has one id), a bad count is refused with the reason, and a
 * recipe from a link goes back into the form as it was.
 */
import { describe, expect, it } from 'vitest';
import { draftRecipe, mergeStore, recipeDraft, type MergeDraft } from '../src/app/features/merge/merge-state';
import type { MlpArch } from '../src/engine/model';
import type { ModelEntry } from '../src/workers/protocol';

const arch: MlpArch = { widths: [2, 8, 1], activation: 'sine', w0: 30 };
const entry = (ref: string): ModelEntry =>
  ({ id: ref, ref, name: ref, arch, params: 17, source: 'sample' }) as ModelEntry;
const models = ['sample:a', 'sample:b'].map(entry);
const draft = (p: Partial<MergeDraft>): MergeDraft => ({
  ...mergeStore.getState().draft,
  method: 'linear',
  models: ['sample:a', 'sample:b'],
  align: true,
  matching: 'ste',
  ...p,
});

describe('the Merge form: STE steps', () => {
  it('reach the recipe; empty or 30 is the default and is left out', () => {
    expect(draftRecipe(draft({ steSteps: '80' }), models).align).toEqual({
      matching: 'ste',
      reference: 'sample:a',
      seed: 0,
      steps: 80,
    });
    for (const t of ['', '30', ' 30 '])
      expect(draftRecipe(draft({ steSteps: t }), models).align).not.toHaveProperty('steps');
    // Weight matching ignores a count typed while STE was chosen.
    expect(draftRecipe(draft({ matching: 'weight', steSteps: '80' }), models).align).not.toHaveProperty(
      'steps',
    );
  });

  it('refuses a count that is not a whole number from 1 to 500, saying so', () => {
    for (const t of ['0', '501', '2.5', 'many'])
      expect(() => draftRecipe(draft({ steSteps: t }), models), t).toThrow(
        /STE steps ".*" must be a whole number from 1 to 500/,
      );
  });

  it('a recipe goes back into the form with its steps', () => {
    const r = draftRecipe(draft({ steSteps: '120' }), models);
    expect(recipeDraft(r).steSteps).toBe('120');
    expect(draftRecipe(recipeDraft(r), models)).toEqual(r);
  });
});
