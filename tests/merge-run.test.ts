import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/cli/io';
import { initNodeBackend } from '../src/cli/tf-node';
import { classificationFor } from '../src/engine/data/dataset';
import { mnistSplit } from '../src/engine/data/mnist';
import { MergeInputError, recipeId, type MergeRecipe } from '../src/engine/merge';
import type { Model } from '../src/engine/model';
import { runMergeRecipe, sweepMergeRecipe } from '../src/engine/tf/merge-run';
import { packMnist } from '../scripts/mnist';

const ids = ['sample:mnist-mlp-1', 'sample:mnist-mlp-2', 'sample:mnist-mlp-3'];
const models = new Map<string, Model>(
  ids.map((id, k) => [id, loadModel(`public/models/mnist-mlp-${k + 1}.safetensors`).model]),
);
const data = classificationFor(mnistSplit(packMnist(), 'score'), 'MNIST', 784, 10);
const recipe: MergeRecipe = {
  method: 'ties',
  base: ids[0]!,
  models: [ids[1]!, ids[2]!],
  params: { density: 0.5 },
  align: { matching: 'weight', reference: ids[0]!, seed: 0 },
  repair: false,
};

describe('merge recipes', () => {
  it('names a recipe by what it is, deterministically', () => {
    expect(recipeId(recipe)).toBe(
      'merge(ties, base=sample:mnist-mlp-1, density=0.5, aligned(weight to sample:mnist-mlp-1, seed 0), sample:mnist-mlp-2, sample:mnist-mlp-3)',
    );
  });

  it('runs and scores base, inputs and merge; replays to the same numbers', async () => {
    const a = await runMergeRecipe(recipe, models, data, recipeId(recipe));
    const b = await runMergeRecipe(recipe, models, data, recipeId(recipe));
    expect(a.scores.map((s) => s.role)).toEqual(['base', 'input', 'input', 'merge']);
    expect(a.scores).toEqual(b.scores);
    for (const s of a.scores.slice(0, 3)) expect(s.metric).toBeGreaterThan(0.85);
    // the aligned TIES merge of three MNIST MLPs is still a classifier, well above chance
    expect(a.scores[3]!.metric).toBeGreaterThan(0.5);
    console.log(
      'TIES of MNIST MLPs after alignment:',
      a.scores.map((s) => `${s.role} ${s.loss.toFixed(3)} / ${(100 * s.metric).toFixed(1)}%`).join(', '),
    );
  });

  it('REPAIR changes the merge; λ sweep: λ = 0 is the base itself', async () => {
    await initNodeBackend('wasm');
    const rep = await runMergeRecipe({ ...recipe, repair: true }, models, data, 'r');
    const plain = await runMergeRecipe(recipe, models, data, 'p');
    expect(rep.scores[3]!.loss).not.toBe(plain.scores[3]!.loss);
    const sweep = await sweepMergeRecipe(recipe, models, data, { kind: 'lambda' }, [0, 0.5, 1]);
    expect(sweep.loss[0]).toBeCloseTo(plain.scores[0]!.loss, 5);
    expect(sweep.loss[2]).toBeCloseTo(plain.scores[3]!.loss, 6);
    const w = await sweepMergeRecipe(
      { ...recipe, method: 'linear', base: null },
      models,
      data,
      { kind: 'weight', index: 1 },
      [0, 1],
    );
    expect(w.loss).toHaveLength(2);
  });

  it('names a model that is not in the workspace', async () => {
    await expect(
      runMergeRecipe({ ...recipe, models: ['file:' + 'ab'.repeat(32)] }, models, data, 'x'),
    ).rejects.toThrow(MergeInputError);
    await expect(runMergeRecipe({ ...recipe, models: ['sample:nope'] }, models, data, 'x')).rejects.toThrow(
      /sample:nope is not in the workspace/,
    );
  });
});
