/**
 * Exports load straight back: every export keeps its source's tensor names, shapes, layout and
 * dtype (checked here in Node on the committed exports of PyTorch-made sources), a `.pt` export
 * is what torch.save writes, and — where Debian's python3-torch is installed — fresh exports
 * load with `load_state_dict(strict=True)` and the Models tab's snippet runs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { halfToFloat } from '../src/engine/checkpoints/convert';
import { floatToBfloat16, floatToHalf } from '../src/engine/checkpoints/encode';
import {
  inferArchitecture,
  layoutFromInference,
  readCheckpoint,
  toModel,
  writeNpz,
  writePt,
  writeSafetensors,
  type CheckpointContents,
} from '../src/engine/checkpoints/index';
import { torchSnippet } from '../src/engine/checkpoints/snippet';
import { ZipArchive } from '../src/engine/checkpoints/zip';
import { forward } from '../src/engine/forward';
import { initModel, type MlpArch } from '../src/engine/model';

const ROOT = path.resolve(__dirname, '..');
const FIX = path.join(ROOT, 'tests/fixtures/roundtrip');
const PYTHON = '/usr/bin/python3';
const hasTorch = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const read = (p: string): CheckpointContents =>
  readCheckpoint([{ name: path.basename(p), bytes: new Uint8Array(readFileSync(p)) }]);
const summary = (c: CheckpointContents): string[] =>
  c.tensors.map((t) => `${t.name} ${t.dtype} [${t.shape.join(', ')}]`);

interface Listed {
  file: string;
  kind: string;
  source: string;
}

describe('exports of imported models keep names, shapes, layout and dtype', () => {
  const listing = JSON.parse(readFileSync(path.join(FIX, 'exports/exports.json'), 'utf8')) as Listed[];

  it.each(listing.map((e) => [e.file, e] as const))('%s matches its source', (_, e) => {
    const src = read(path.join(FIX, e.source));
    const out = read(path.join(FIX, 'exports', e.file));
    // NumPy has no bfloat16; every source here is F16/F32/F64, so dtypes must match exactly.
    expect(summary(out)).toEqual(summary(src));
    const inf = inferArchitecture(out);
    expect(inf.transposed).toEqual(inferArchitecture(src).transposed);
    if (e.source.startsWith('keras')) expect(inf.transposed.every(Boolean)).toBe(true);
  });

  it('the committed record says every export loaded back with strict=True', () => {
    const record = JSON.parse(readFileSync(path.join(FIX, 'exports/result.json'), 'utf8')) as {
      exports: { file: string; loadStateDictStrict?: boolean; layout?: string }[];
    };
    expect(record.exports.map((r) => r.file)).toEqual(listing.map((e) => e.file));
    for (const r of record.exports)
      expect(r.loadStateDictStrict ?? r.layout === 'keras [in, out]').toBe(true);
  });

  it.skipIf(!hasTorch)(
    'fresh exports load into the PyTorch models with load_state_dict(strict=True)',
    () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'ws-roundtrip-'));
      try {
        const out = execFileSync(PYTHON, ['scripts/export_roundtrip.py', '--fresh', dir], {
          cwd: ROOT,
          encoding: 'utf8',
        });
        expect(out).toContain(`all ${listing.length} exports load back`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    120_000,
  );
});

describe('writers', () => {
  const arch: MlpArch = { widths: [2, 6, 6, 1], activation: 'sine', w0: 30 };

  it('a model Weightscope created gets nn.Sequential names (activations at the odd indices)', () => {
    const m = initModel(arch, 1);
    for (const bytes of [writePt(m), writeSafetensors(m), writeNpz(m)]) {
      const c = readCheckpoint([{ name: 'm', bytes }]);
      expect(c.tensors.map((t) => t.name)).toEqual([
        '0.weight',
        '0.bias',
        '2.weight',
        '2.bias',
        '4.weight',
        '4.bias',
      ]);
      const back = toModel(c, inferArchitecture(c), { activation: 'sine', w0: 30 });
      for (const [k, t] of Object.entries(m.params)) expect(back.params[k]!.data).toEqual(t.data);
    }
    // With Fourier features, the encoding is module 0 and the Linears move up by one.
    const rff = initModel({ widths: [2, 8, 1], activation: 'relu', encoding: { features: 3, sigma: 5 } }, 2);
    const c = readCheckpoint([{ name: 'r.pt', bytes: writePt(rff) }]);
    expect(c.tensors.map((t) => t.name)).toEqual(['0.B', '1.weight', '1.bias', '3.weight', '3.bias']);
    const back = toModel(c, inferArchitecture(c), { activation: 'relu' });
    expect(back.params['encoding.B']!.data).toEqual(rff.params['encoding.B']!.data);
  });

  it('.pt is laid out as torch.save writes it: records, 64-byte aligned storages', () => {
    const bytes = writePt(initModel(arch, 3), undefined, 'mine');
    const zip = new ZipArchive(bytes);
    expect(zip.entries.map((e) => e.name)).toEqual([
      'mine/data.pkl',
      'mine/byteorder',
      ...[0, 1, 2, 3, 4, 5].map((i) => `mine/data/${i}`),
      'mine/version',
    ]);
    const dv = new DataView(bytes.buffer);
    for (let off = 0; dv.getUint32(off, true) === 0x04034b50;) {
      const start = off + 30 + dv.getUint16(off + 26, true) + dv.getUint16(off + 28, true);
      expect(start % 64).toBe(0);
      off = start + dv.getUint32(off + 18, true);
    }
  });

  it('keeps F64, F16 and BF16 sources in their dtype, values exact where representable', () => {
    for (const dtype of ['F64', 'F16', 'BF16'] as const) {
      const src = read(path.join(FIX, 'seq_a.pt'));
      const layout = layoutFromInference(src, inferArchitecture(src));
      for (const l of layout.layers) Object.assign(l, { dtype, biasDtype: dtype });
      // Re-export of the seq source's layout names, in each dtype, read back with our reader.
      const model = toModel(src, inferArchitecture(src), { activation: 'relu' });
      const c = readCheckpoint([{ name: 'x.pt', bytes: writePt(model, layout) }]);
      expect(new Set(c.tensors.map((t) => t.dtype))).toEqual(new Set([dtype]));
      const back = toModel(c, inferArchitecture(c), { activation: 'relu' });
      const w = model.params['layers.0.weight']!.data;
      const tol = dtype === 'F64' ? 0 : dtype === 'F16' ? 1e-3 : 1e-2;
      back.params['layers.0.weight']!.data.forEach((v, i) =>
        expect(Math.abs(v - w[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(w[i]!))),
      );
    }
  });

  it('float16 and bfloat16 encoders invert the decoders on every bit pattern', () => {
    for (let h = 0; h < 0x10000; h++) {
      const x = halfToFloat(h);
      if (Number.isNaN(x)) expect(Number.isNaN(halfToFloat(floatToHalf(x)))).toBe(true);
      else expect(floatToHalf(x)).toBe(h);
      const f = new Float32Array(new Uint32Array([h << 16]).buffer)[0]!;
      if (!Number.isNaN(f)) expect(floatToBfloat16(f)).toBe(h);
    }
    // Round to nearest, ties to even: 1 + 2^-11 is halfway between 1 and the next half.
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00);
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToHalf(65520)).toBe(0x7c00); // rounds past the largest half: +Inf, as PyTorch does
  });
});

describe('the Python snippet of the Models tab', () => {
  const cases: [string, string][] = [
    ['Weightscope-made SIREN', 'made'],
    ['Fourier-feature ReLU', 'rff'],
    ['PyTorch source with its own names', 'named'],
    ['Keras-layout source', 'keras'],
    ['bias-less PyTorch source', 'nobias'],
  ];

  it.skipIf(!hasTorch).each(cases)('%s: loads the .pt download into a matching nn.Sequential', (_, kind) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ws-snippet-'));
    try {
      let model;
      let layout;
      if (kind === 'made' || kind === 'rff') {
        const arch: MlpArch =
          kind === 'made'
            ? { widths: [2, 8, 8, 1], activation: 'sine', w0: 30, outputOffset: 0.5 }
            : { widths: [2, 8, 3], activation: 'gelu', encoding: { features: 4, sigma: 3 } };
        model = initModel(arch, 5);
      } else {
        const file = { named: 'named_a.pt', keras: 'keras_a.safetensors', nobias: 'nobias_a.pt' }[kind]!;
        const src = read(path.join(FIX, file));
        const inf = inferArchitecture(src);
        model = toModel(src, inf, { activation: kind === 'named' ? 'tanh' : 'relu' });
        layout = layoutFromInference(src, inf);
      }
      writeFileSync(path.join(dir, 'model.pt'), writePt(model, layout, 'model'));
      const x = [0.25, -0.5];
      const want = Array.from(forward(model, new Float32Array(x), 1));
      const code =
        torchSnippet(model.arch, 'model.pt', 'pt', layout) +
        `print(json.dumps(model(torch.tensor([${x.join(', ')}])).tolist()))\n`;
      const out = execFileSync(PYTHON, ['-c', `import json\n${code}`], { cwd: dir, encoding: 'utf8' });
      const got = JSON.parse(out) as number[];
      got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-5));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('maps source names and transposes Keras kernels, and nothing for Sequential names', () => {
    const made = torchSnippet({ widths: [2, 4, 1], activation: 'relu' }, 'm.pt', 'pt');
    expect(made).not.toContain('state = {');
    expect(made).toContain('torch.load("m.pt", weights_only=True)');
    const src = read(path.join(FIX, 'keras_a.safetensors'));
    const inf = inferArchitecture(src);
    const keras = torchSnippet(
      toModel(src, inf, { activation: 'relu' }).arch,
      'k.safetensors',
      'safetensors',
      layoutFromInference(src, inf),
    );
    expect(keras).toContain('"0.weight": state["dense_1/kernel"].T');
    expect(keras).toContain('load_file("k.safetensors")');
    expect(existsSync(path.join(FIX, 'named_a.pt'))).toBe(true);
  });
});
