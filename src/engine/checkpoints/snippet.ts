import { firstLayerInputs, layerCount, sirenW0, type MlpArch } from '../model';
import { layoutFits, sequentialLayout, type TensorLayout } from './layout';

/** A download format, as the snippet loads it. */
export type ExportFormat = 'pt' | 'safetensors' | 'npz';

/**
 * The file stem a model downloads under: its name in [A-Za-z0-9._-], without a checkpoint
 * extension it already carries ("run-1.pt" downloads as run-1.pt, not run-1.pt.pt). It is also
 * the record folder inside a .pt archive, as torch.save uses the file's stem.
 */
export function downloadStem(name: string): string {
  const stem = name.replace(/\.(pt|pth|safetensors|npz|npy)$/i, '');
  return stem.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'model';
}

const py = (s: string): string => JSON.stringify(s); // a JSON string is a valid Python literal here

/** The activation module, as PyTorch spells it (SIREN's sine needs the small class below). */
function activationModule(arch: MlpArch): string {
  switch (arch.activation) {
    case 'sine':
      return `Sine(${sirenW0(arch)})`;
    case 'tanh':
      return 'nn.Tanh()';
    case 'gelu':
      return "nn.GELU(approximate='tanh')"; // tfjs and Weightscope use the tanh approximation
    default:
      return 'nn.ReLU()';
  }
}

function loadLine(format: ExportFormat, file: string): string[] {
  if (format === 'safetensors')
    return [
      'from safetensors.torch import load_file  # pip install safetensors',
      `state = load_file(${py(file)})`,
    ];
  if (format === 'npz')
    return [
      'import numpy as np',
      `state = {k: torch.from_numpy(v) for k, v in np.load(${py(file)}).items()}`,
    ];
  return [`state = torch.load(${py(file)}, weights_only=True)`];
}

/**
 * Python that loads a downloaded model into a matching `torch.nn.Sequential` and checks every
 * key with `load_state_dict(strict=True)`: the module list mirrors the architecture (Fourier
 * features, Linear/activation pairs, an output offset), and where the file keeps its source's
 * names or Keras [in, out] kernels, one line maps them to Sequential's names and orientation.
 */
export function torchSnippet(
  arch: MlpArch,
  file: string,
  format: ExportFormat,
  layout?: TensorLayout,
): string {
  const seq = sequentialLayout(arch);
  const lay = layout && layoutFits(layout, arch) ? layout : seq;
  const lines: string[] = ['import torch', 'from torch import nn', ''];
  if (arch.activation === 'sine')
    lines.push(
      'class Sine(nn.Module):  # SIREN (Sitzmann et al. 2020): sin(w0 · x)',
      '    def __init__(self, w0):',
      '        super().__init__()',
      '        self.w0 = w0',
      '    def forward(self, x):',
      '        return torch.sin(self.w0 * x)',
      '',
    );
  if (arch.encoding)
    lines.push(
      'class FourierFeatures(nn.Module):  # Tancik et al. 2020: [sin(2πBx), cos(2πBx)]',
      '    def __init__(self, features, inputs):',
      '        super().__init__()',
      "        self.register_buffer('B', torch.zeros(features, inputs))",
      '    def forward(self, x):',
      '        a = 2 * torch.pi * x @ self.B.T',
      '        return torch.cat([torch.sin(a), torch.cos(a)], dim=-1)',
      '',
    );
  if (arch.outputOffset)
    lines.push(
      'class Offset(nn.Module):  # a constant added to the output',
      '    def __init__(self, c):',
      '        super().__init__()',
      '        self.c = c',
      '    def forward(self, x):',
      '        return x + self.c',
      '',
    );
  const mods: string[] = [];
  if (arch.encoding) mods.push(`FourierFeatures(${arch.encoding.features}, ${arch.widths[0]})`);
  for (let i = 0; i < layerCount(arch); i++) {
    const fanIn = i === 0 ? firstLayerInputs(arch) : arch.widths[i]!;
    const noBias = lay.layers[i]!.bias === null ? ', bias=False' : '';
    mods.push(`nn.Linear(${fanIn}, ${arch.widths[i + 1]}${noBias})`);
    if (i < layerCount(arch) - 1) mods.push(activationModule(arch));
  }
  if (arch.outputOffset) mods.push(`Offset(${arch.outputOffset})`);
  lines.push('model = nn.Sequential(', ...mods.map((m) => `    ${m},`), ')', ...loadLine(format, file));
  // Each stored tensor under its Sequential name; Keras kernels transposed back to [out, in].
  const renames: { from: string; to: string; flip: boolean }[] = [];
  if (lay.encoding && seq.encoding)
    renames.push({ from: lay.encoding.name, to: seq.encoding.name, flip: false });
  lay.layers.forEach((l, i) => {
    const s = seq.layers[i]!;
    renames.push({ from: l.weight, to: s.weight, flip: l.transposed });
    if (l.bias !== null) renames.push({ from: l.bias, to: s.bias!, flip: false });
  });
  if (renames.some((r) => r.from !== r.to || r.flip)) {
    const note = renames.some((r) => r.flip)
      ? '# the file keeps its source names, and Keras kernels [in, out] (.T gives [out, in])'
      : '# the file keeps its source names; nn.Sequential numbers its modules';
    lines.push(note, 'state = {');
    for (const r of renames) lines.push(`    ${py(r.to)}: state[${py(r.from)}]${r.flip ? '.T' : ''},`);
    lines.push('}');
  }
  lines.push('model.load_state_dict(state, strict=True)', 'model.eval()');
  return lines.join('\n') + '\n';
}
