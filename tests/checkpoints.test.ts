import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  archFromMetadata,
  ArchitectureInferenceError,
  CheckpointError,
  inferArchitecture,
  NumpyError,
  PytorchError,
  readCheckpoint,
  SafetensorsError,
  toModel,
  exportTensors,
  writeNpz,
  writeSafetensors,
  ZipError,
  type CheckpointFile,
} from '../src/engine/checkpoints';
import { readSafetensorsFile } from '../src/engine/checkpoints/safetensors';
import { writeStoredZip, ZipArchive } from '../src/engine/checkpoints/zip';
import { forward } from '../src/engine/forward';
import { initModel, type Activation, type MlpArch, type Model } from '../src/engine/model';

interface Entry {
  files: string[];
  format?: string;
  tensors?: number;
  widths?: number[];
  activation?: Activation;
  w0?: number;
  transposed?: boolean;
  probe?: string;
  sameAs?: string;
  error?: string;
  stage?: 'read' | 'architecture';
  message?: string;
}

const ROOT = 'tests/fixtures';
const manifest = (JSON.parse(readFileSync(`${ROOT}/manifest.json`, 'utf8')) as { fixtures: Entry[] })
  .fixtures;
const load = (paths: string[]): CheckpointFile[] =>
  paths.map((p) => ({ name: basename(p), bytes: new Uint8Array(readFileSync(join(ROOT, p))) }));

function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

function bitsEqual(a: Model, b: Model): void {
  expect(Object.keys(b.params).sort()).toEqual(Object.keys(a.params).sort());
  for (const [k, t] of Object.entries(a.params)) {
    expect(b.params[k]!.shape).toEqual(t.shape);
    expect(Buffer.from(b.params[k]!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
  }
}

describe('fixture manifest', () => {
  it('lists every fixture file once', () => {
    const listed = new Set(manifest.flatMap((e) => e.files));
    expect(listed.size).toBe(manifest.flatMap((e) => e.files).length);
    for (const f of listed) expect(existsSync(join(ROOT, f)), f).toBe(true);
  });

  for (const e of manifest) {
    it(`${e.files[0]} → ${e.error ?? e.format}`, () => {
      const files = load(e.files);
      if (e.stage === 'read') {
        const err = caught(() => readCheckpoint(files));
        expect(err).toBeInstanceOf(CheckpointError);
        expect(err.name).toBe(e.error);
        expect(err.message).toContain(e.message);
        return;
      }
      const c = readCheckpoint(files);
      expect(c.format).toBe(e.format);
      expect(c.tensors.length).toBe(e.tensors);
      if (e.stage === 'architecture') {
        const err = caught(() => inferArchitecture(c));
        expect(err).toBeInstanceOf(ArchitectureInferenceError);
        expect(err.message).toContain(e.message);
        return;
      }
      const inf = inferArchitecture(c);
      expect(inf.widths).toEqual(e.widths);
      expect(inf.transposed.every((t) => t === (e.transposed ?? false))).toBe(true);
      if (e.sameAs) {
        const ref = readCheckpoint(load([e.sameAs])).tensors[0]!;
        expect(c.tensors[0]!.shape).toEqual(ref.shape);
        expect(Array.from(c.tensors[0]!.data!)).toEqual(Array.from(ref.data!));
      }
      if (e.probe) {
        const hint = archFromMetadata(c.metadata);
        const model = toModel(c, inf, {
          activation: e.activation ?? hint?.activation ?? 'relu',
          ...(e.w0 ? { w0: e.w0 } : {}),
        });
        const probe = JSON.parse(readFileSync(join(ROOT, e.probe), 'utf8')) as {
          n: number;
          x: number[];
          y: number[];
        };
        const y = forward(model, Float32Array.from(probe.x), probe.n);
        expect(y.length).toBe(probe.y.length);
        let worst = 0;
        for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i]! - probe.y[i]!));
        expect(worst).toBeLessThan(1e-5);
      }
    });
  }

  it('reads the activation tfjs records in model.json', () => {
    const e = manifest.find((m) => m.format === 'tfjs')!;
    expect(archFromMetadata(readCheckpoint(load(e.files)).metadata)).toEqual({ activation: 'tanh' });
  });
});

const ARCHS: MlpArch[] = [
  { widths: [2, 32, 32, 1], activation: 'sine', w0: 30 },
  { widths: [2, 64, 64, 3], activation: 'relu', encoding: { features: 16, sigma: 10 }, outputOffset: 0.5 },
  { widths: [784, 32, 10], activation: 'gelu' },
];

describe('writers round-trip', () => {
  for (const [i, arch] of ARCHS.entries()) {
    it(`safetensors → read → toModel is bit-exact (${arch.activation})`, () => {
      const model = initModel(arch, 100 + i);
      const bytes = writeSafetensors(model, { 'weightscope.provenance': 'test seed 100' });
      const c = readCheckpoint([{ name: 'm.safetensors', bytes }]);
      expect(c.format).toBe('safetensors');
      expect(c.metadata['weightscope.provenance']).toBe('test seed 100');
      const hint = archFromMetadata(c.metadata)!;
      expect(hint).toEqual(arch);
      const back = toModel(c, inferArchitecture(c), {
        activation: hint.activation!,
        w0: hint.w0,
        outputOffset: hint.outputOffset,
        encoding: hint.encoding,
      });
      expect(back.arch).toEqual(arch);
      bitsEqual(model, back);
      // The buffer starts 8-byte aligned, as the reference writer keeps it.
      expect(new DataView(bytes.buffer).getUint32(0, true) % 8).toBe(0);
    });

    it(`npz → read → toModel is bit-exact (${arch.activation})`, () => {
      const model = initModel(arch, 200 + i);
      const c = readCheckpoint([{ name: 'm.npz', bytes: writeNpz(model) }]);
      expect(c.format).toBe('npz');
      const inf = inferArchitecture(c);
      expect(inf.widths).toEqual(arch.widths);
      bitsEqual(model, toModel(c, inf, { activation: arch.activation, encoding: arch.encoding }));
    });
  }

  const python = '/usr/bin/python3';
  const hasNumpy =
    existsSync(python) &&
    (() => {
      try {
        execFileSync(python, ['-c', 'import numpy'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    })();
  it.skipIf(!hasNumpy)("Python's numpy loads writeNpz and writeSafetensors output exactly", () => {
    const model = initModel(ARCHS[1]!, 7);
    const dir = mkdtempSync(join(tmpdir(), 'ws-ckpt-'));
    try {
      writeFileSync(join(dir, 'model.npz'), writeNpz(model));
      writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(model, {}));
      // Under the names the writers give a model Weightscope created (nn.Sequential's).
      const expected = Object.fromEntries(
        exportTensors(model).map((t) => [t.name, { shape: t.shape, data: Array.from(t.data) }]),
      );
      writeFileSync(join(dir, 'expected.json'), JSON.stringify(expected));
      expect(
        execFileSync(python, ['scripts/make_fixtures.py', '--check', dir], { encoding: 'utf8' }).trim(),
      ).toBe('ok');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('typed refusals', () => {
  const header = (obj: unknown): Uint8Array => {
    const h = new TextEncoder().encode(JSON.stringify(obj));
    const out = new Uint8Array(8 + h.length + 16);
    new DataView(out.buffer).setUint32(0, h.length, true);
    out.set(h, 8);
    return out;
  };

  it('refuses files over 1 GB before reading them', () => {
    const fake = { length: 2 ** 30 + 1 } as unknown as Uint8Array;
    const err = caught(() => readSafetensorsFile({ name: 'big.safetensors', bytes: fake }));
    expect(err).toBeInstanceOf(SafetensorsError);
    expect(err.message).toMatch(/up to 1 GB/);
  });

  it('refuses safetensors offsets that overlap, leave gaps or lie', () => {
    const bad = [
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      },
      { a: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } },
      { a: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } },
      { a: { dtype: 'Q4', shape: [4], data_offsets: [0, 16] } },
      { a: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } },
    ];
    for (const h of bad)
      expect(caught(() => readCheckpoint([{ name: 'x.safetensors', bytes: header(h) }]))).toBeInstanceOf(
        SafetensorsError,
      );
  });

  it('refuses duplicate tensor names in a safetensors header', () => {
    const text =
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}';
    const h = new TextEncoder().encode(text);
    const bytes = new Uint8Array(8 + h.length + 16);
    new DataView(bytes.buffer).setUint32(0, h.length, true);
    bytes.set(h, 8);
    expect(caught(() => readCheckpoint([{ name: 'dup.safetensors', bytes }])).message).toContain('twice');
  });

  it('refuses an npy whose header claims more data than the file holds', () => {
    const text = "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }\n";
    const bytes = new Uint8Array(10 + text.length + 8);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length, 0]);
    for (let i = 0; i < text.length; i++) bytes[10 + i] = text.charCodeAt(i);
    expect(caught(() => readCheckpoint([{ name: 'x.npy', bytes }]))).toBeInstanceOf(NumpyError);
  });

  it('refuses zip path tricks and inflated sizes beyond the cap', () => {
    const npy = writeNpz(initModel({ widths: [2, 2], activation: 'relu' }, 1));
    const evil = writeStoredZip([{ name: '../evil.npy', data: npy.subarray(0, 10) }]);
    expect(caught(() => readCheckpoint([{ name: 'e.npz', bytes: evil }]))).toBeInstanceOf(ZipError);
    const lying = writeStoredZip([{ name: 'a.npy', data: new Uint8Array(16) }]);
    // Claim 2 GB uncompressed in the central directory (offset of CD entry + 24).
    const cd = lying.length - 22 - 51;
    new DataView(lying.buffer).setUint32(cd + 24, 0x7fffffff, true);
    expect(caught(() => readCheckpoint([{ name: 'l.npz', bytes: lying }]))).toBeInstanceOf(ZipError);
  });

  it('refuses a storage that claims more elements than its bytes', () => {
    const [file] = load(['checkpoints/mlp_relu.pt']);
    // Rebuilt with valid CRCs, so that the storage check (not the CRC check) is what refuses.
    const zip = new ZipArchive(file!.bytes);
    const entries = zip.entries.map((e) => ({ name: e.name, data: zip.read(e).slice() }));
    const b = entries.find((e) => e.name.endsWith('data.pkl'))!.data;
    // Pickle bytes `X 'cpu' BINPUT n BININT1 numel`: raise the first storage's numel to 255.
    const at = Buffer.from(b).indexOf(Buffer.from('cpu', 'latin1'));
    expect(b[at + 3]).toBe(0x71); // BINPUT
    expect(b[at + 5]).toBe(0x4b); // BININT1
    b[at + 6] = 255;
    const files = [{ name: 'mlp_relu.pt', bytes: writeStoredZip(entries) }];
    const err = caught(() => readCheckpoint(files));
    expect(err).toBeInstanceOf(PytorchError);
    expect(err.message).toContain('needs 1020');
  });

  it('names the dangerous global and never calls it', () => {
    const err = caught(() => readCheckpoint(load(['checkpoints/hostile.pt'])));
    expect(err.message).toContain('os.system');
    expect(err.message).toContain('state_dict');
  });

  it('says how to re-save a legacy torch file', () => {
    expect(caught(() => readCheckpoint(load(['checkpoints/legacy.pt'])))).toBeInstanceOf(PytorchError);
  });
});
