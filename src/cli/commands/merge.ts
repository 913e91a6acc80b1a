/** `weightscope merge FILE… --out F`: one model from several (model soup, or slerp of two). */
import { alignModels } from '../../engine/align/index';
import { slerpModels } from '../../engine/paths/interpolate';
import { mapModels } from '../../engine/paths/vector';
import type { Model } from '../../engine/model';
import { UsageError, missing } from '../args';
import type { Command } from '../command';
import { imageSizeOf } from '../image-size';
import { ARCH_FLAGS, archFlags, loadModel, loadModels, sameArchitecture } from '../io';
import { checkOutPath, fileRef, writeModel } from '../output';

/** Uniform average of every tensor, summed in float64 and rounded once. */
function meanModel(models: readonly Model[]): Model {
  return mapModels(models, (tensors) => {
    const out = new Float32Array(tensors[0]!.length);
    for (let i = 0; i < out.length; i++) {
      let s = 0;
      for (const t of tensors) s += t[i]!;
      out[i] = s / tensors.length;
    }
    return out;
  });
}

export const merge: Command = {
  name: 'merge',
  summary: 'Merge models into one: uniform average (model soup) or slerp of two.',
  usage: 'merge FILE… --out F [--method mean|slerp] [--align-to REF] [--json]',
  spec: {
    positionals: { names: ['FILE'], min: 1, variadic: true },
    flags: {
      out: { kind: 'string', arg: 'F', help: 'output file: .pt/.pth (PyTorch), .npz, else safetensors' },
      method: {
        kind: 'choice',
        choices: ['mean', 'slerp'],
        help: 'mean of all (default) or slerp at ½ (exactly 2 models)',
      },
      'align-to': { kind: 'string', arg: 'REF', help: 'first align every model to REF by weight matching' },
      seed: { kind: 'int', arg: 'N', min: 0, help: 'seed of weight matching with --align-to (default 0)' },
      ...ARCH_FLAGS,
    },
  },
  details: `
mean is the uniform model soup (Wortsman et al. 2022): every tensor averaged. slerp takes the
midpoint of the great-circle arc per tensor, as WARP does, for exactly two models. Averaging
networks that were trained apart only makes sense after alignment (Ainsworth et al. 2023), so
pass --align-to (REF defines the unit order; list it among FILE… to include it in the merge).

JSON fields: method, inputs, out.

Example:
  weightscope merge a.pt b.pt c.pt --align-to a.pt --out soup.safetensors --json`,
  async run(args) {
    const files = args.positionals;
    const out = args.string('out') ?? missing('out');
    const method = args.string('method') ?? 'mean';
    if (method === 'slerp' && files.length !== 2)
      throw new UsageError(`--method slerp merges exactly 2 models, got ${files.length}`);
    checkOutPath(out);
    const flags = archFlags(args);
    const loaded = loadModels(files, flags);
    let models = loaded.map((l) => l.model);
    const refPath = args.string('align-to');
    if (refPath) {
      const ref = loadModel(refPath, flags);
      sameArchitecture(ref, loaded[0]!);
      const seed = args.number('seed') ?? 0;
      models = models.map((m) => alignModels(ref.model, m, { method: 'weight', seed }).model);
    }
    const merged = method === 'slerp' ? slerpModels(models[0]!, models[1]!, 0.5) : meanModel(models);
    writeModel(
      out,
      merged,
      {
        command: 'merge',
        inputs: files.map(fileRef),
        method,
        options: { alignTo: refPath ? fileRef(refPath) : null },
        ...imageSizeOf(loaded[0]!.contents.metadata),
      },
      loaded[0]!.layout,
    );
    return {
      json: { method, inputs: [...files], out },
      text: `${method} of ${files.length} model(s)${refPath ? ` aligned to ${refPath}` : ''} → ${out}`,
    };
  },
};
