/** `weightscope interpolate A B --alpha T`: one point on the straight or spherical path. */
import { interpolateModels, type InterpolationMethod } from '../../engine/paths/interpolate';
import { missing } from '../args';
import { fmt, type Command } from '../command';
import { imageSizeOf } from '../image-size';
import { ARCH_FLAGS, archFlags, loadModels } from '../io';
import { checkOutPath, fileRef, writeModel } from '../output';

export const interpolate: Command = {
  name: 'interpolate',
  summary: 'Write the model at alpha on the lerp or slerp path from A (alpha 0) to B (alpha 1).',
  usage: 'interpolate A B --alpha T --out F [--method lerp|slerp] [--json]',
  spec: {
    positionals: { names: ['A', 'B'], min: 2 },
    flags: {
      alpha: {
        kind: 'number',
        arg: 'T',
        help: 'position on the path: 0 = A, 1 = B (outside [0, 1] extrapolates)',
      },
      method: {
        kind: 'choice',
        choices: ['lerp', 'slerp'],
        help: 'lerp (default) or slerp per tensor (lerp where |cos| > 0.9995)',
      },
      out: { kind: 'string', arg: 'F', help: 'output file: .pt/.pth (PyTorch), .npz, else safetensors' },
      ...ARCH_FLAGS,
    },
  },
  details: `
Interpolates every tensor: (1−α)·A + α·B, or slerp per tensor. At α = 0 and α = 1 the output is
A or B bit for bit. Align B to A first (weight space is full of permuted copies) to interpolate
between matched units: weightscope align A B --out B-aligned.safetensors.

JSON fields: method, alpha, out.

Example:
  weightscope interpolate a.pt b.pt --alpha 0.5 --method slerp --out mid.safetensors --json`,
  async run(args) {
    const [pa, pb] = args.positionals as [string, string];
    const alpha = args.number('alpha') ?? missing('alpha');
    const out = args.string('out') ?? missing('out');
    const method = (args.string('method') ?? 'lerp') as InterpolationMethod;
    checkOutPath(out);
    const [a, b] = loadModels([pa, pb], archFlags(args));
    const model = interpolateModels(a!.model, b!.model, alpha, method);
    writeModel(
      out,
      model,
      {
        command: 'interpolate',
        inputs: [pa, pb].map(fileRef),
        method,
        options: { alpha },
        ...imageSizeOf(a!.contents.metadata),
      },
      a!.layout,
    );
    return {
      json: { method, alpha, out },
      text: `${method} at alpha ${fmt(alpha)} between ${pa} and ${pb} → ${out}`,
    };
  },
};
