/** `weightscope pca FILE…`: where a set of models lies in weight space, in 2 (or k) numbers each. */
import { alignModels } from '../../engine/align/index';
import { pca as pcaOf } from '../../engine/landscape/pca';
import { flattenModel, type Model } from '../../engine/model';
import { UsageError } from '../args';
import { fmt, type Command } from '../command';
import { ARCH_FLAGS, archFlags, loadModel, loadModels, sameArchitecture } from '../io';

export const pca: Command = {
  name: 'pca',
  summary: 'Principal-component coordinates of a set of models (flattened weights).',
  usage: 'pca FILE… [--align-to REF] [--components K] [--json]',
  spec: {
    positionals: { names: ['FILE'], min: 1, variadic: true },
    flags: {
      'align-to': { kind: 'string', arg: 'REF', help: 'first align every model to REF by weight matching' },
      components: { kind: 'int', arg: 'K', min: 1, max: 64, help: 'number of components (default 2)' },
      seed: { kind: 'int', arg: 'N', min: 0, help: 'seed of weight matching with --align-to (default 0)' },
      ...ARCH_FLAGS,
    },
  },
  details: `
PCA of the models' flattened trainable weights (centred, not normalised: a model's norm is
information), computed from the N×N Gram matrix. Independently trained networks differ mostly by
a permutation of their hidden units; --align-to removes it first, so that the map shows real
differences. REF defines the alignment only; list it among FILE… to place it on the map too.
When the models span fewer than K dimensions, the missing coordinates and ratios are 0.

JSON fields: names, coords (one row of K numbers per FILE), explainedVarianceRatio.

Example:
  weightscope pca runs/*.safetensors --align-to runs/seed-0.safetensors --json`,
  async run(args) {
    const files = args.positionals;
    if (files.length < 2) throw new UsageError('pca needs at least 2 models');
    const flags = archFlags(args);
    const loaded = loadModels(files, flags);
    let models: Model[] = loaded.map((l) => l.model);
    const refPath = args.string('align-to');
    if (refPath) {
      const ref = loadModel(refPath, flags);
      sameArchitecture(ref, loaded[0]!);
      const seed = args.number('seed') ?? 0;
      models = models.map((m) => alignModels(ref.model, m, { method: 'weight', seed }).model);
    }
    const k = args.number('components') ?? 2;
    const r = pcaOf(models.map(flattenModel), k);
    const json = { names: [...files], coords: r.coords, explainedVarianceRatio: r.explainedVarianceRatio };
    const lines = [
      `PCA of ${files.length} models${refPath ? ` aligned to ${refPath}` : ''} (${r.dim} weights each)`,
      `explained variance ratio: ${r.explainedVarianceRatio.map((v) => fmt(v, 3)).join(', ')}`,
      ...files.map((f, i) => `  ${r.coords[i]!.map((c) => fmt(c).padStart(10)).join(' ')}  ${f}`),
    ];
    return { json, text: lines.join('\n') };
  },
};
