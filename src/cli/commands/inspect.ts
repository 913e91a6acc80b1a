/** `weightscope inspect FILE`: what a checkpoint holds and which MLP it describes. */
import { inferArchitecture, CheckpointError } from '../../engine/checkpoints/index';
import type { Command } from '../command';
import { readContents } from '../io';

export const inspect: Command = {
  name: 'inspect',
  summary: "List a checkpoint's tensors (name, dtype, shape) and the MLP inferred from them.",
  usage: 'inspect FILE [--json]',
  spec: { positionals: { names: ['FILE'], min: 1 }, flags: {} },
  details: `
FILE may be safetensors (or a sharded *.safetensors.index.json next to its shards), PyTorch
.pt/.pth, NumPy .npz/.npy, a TensorFlow.js model.json next to its shards, or Weightscope JSON.
The format is recognised by its bytes, not its name.

JSON fields: format, tensors [{name, dtype, shape}], architecture {kind, widths, layers
[{weight, bias}]} (null, with architectureError, when the tensors form no MLP), metadata.

Example:
  weightscope inspect model.pt --json`,
  async run(args) {
    const file = args.positionals[0]!;
    const contents = readContents(file);
    const tensors = contents.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: [...t.shape] }));
    let architecture: {
      kind: string;
      widths: number[];
      layers: { weight: string; bias: string | null }[];
    } | null = null;
    let architectureError: string | undefined;
    try {
      const inf = inferArchitecture(contents);
      architecture = {
        kind: inf.kind,
        widths: inf.widths,
        layers: inf.layers.map((l) => ({ weight: l.weight, bias: l.bias })),
      };
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      architectureError = e.message;
    }
    const json: Record<string, unknown> = {
      format: contents.format,
      tensors,
      architecture,
      metadata: contents.metadata,
    };
    if (architectureError !== undefined) json.architectureError = architectureError;
    const lines = [`${file}: ${contents.format}, ${tensors.length} tensors`];
    for (const t of tensors) lines.push(`  ${t.name}  ${t.dtype}  [${t.shape.join(', ')}]`);
    lines.push(
      architecture
        ? `MLP widths ${architecture.widths.join('→')} (${architecture.layers.length} linear layers)`
        : `no MLP: ${architectureError}`,
    );
    const arch = contents.metadata['weightscope.arch'];
    if (arch) lines.push(`metadata weightscope.arch: ${arch}`);
    return { json, text: lines.join('\n') };
  },
};
