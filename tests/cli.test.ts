/**
 * The `weightscope` CLI as a subprocess: every command's documented JSON fields on cases with a
 * known answer, and every command's error path (exit code, a stderr message naming the problem,
 * and nothing at all on stdout).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resizeSquare } from '../src/cli/data';
import { inferArchitecture, readCheckpoint, toModel } from '../src/engine/checkpoints/index';
import { writeNpy } from '../src/engine/checkpoints/numpy';
import { writeStoredZip } from '../src/engine/checkpoints/zip';
import { writeSafetensors } from '../src/engine/checkpoints/writers';
import { forward } from '../src/engine/forward';
import {
  biasName,
  cloneModel,
  flattenModel,
  initModel,
  weightName,
  type MlpArch,
  type Model,
} from '../src/engine/model';
import { crossEntropyAccuracy } from '../src/engine/paths/evaluate-cpu';
import { createRng, randomPermutation } from '../src/engine/rng';
import { cli, cliFails, jsonOf, ROOT } from './helpers/cli';

const FIX = path.join(ROOT, 'tests/fixtures/checkpoints');

/** Runs with --json: one JSON object on stdout and nothing on stderr. */
async function cliJson(...args: string[]): Promise<Record<string, unknown>> {
  const r = await cli(...args, '--json');
  expect(r.stderr, `stderr of ${args.join(' ')}`).toBe('');
  return jsonOf(r);
}

/**
 * A random permutation and sign flip of every hidden layer: the same function for an odd
 * activation (sine), so weight matching must undo it exactly.
 */
function permuteAndFlip(m: Model, seed: number): Model {
  const out = cloneModel(m);
  const rng = createRng(seed);
  const L = m.arch.widths.length - 1;
  for (let l = 0; l < L - 1; l++) {
    const n = m.arch.widths[l + 1]!;
    const perm = randomPermutation(n, rng);
    const sign = Array.from({ length: n }, () => (rng.next() < 0.5 ? -1 : 1));
    const w = out.params[weightName(l)]!;
    const b = out.params[biasName(l)]!;
    const next = out.params[weightName(l + 1)]!;
    const inDim = w.shape[1]!;
    const nOut = next.shape[0]!;
    const w0 = new Float32Array(w.data);
    const b0 = new Float32Array(b.data);
    const nx0 = new Float32Array(next.data);
    for (let i = 0; i < n; i++) {
      const src = perm[i]!;
      for (let k = 0; k < inDim; k++) w.data[i * inDim + k] = sign[i]! * w0[src * inDim + k]!;
      b.data[i] = sign[i]! * b0[src]!;
      for (let o = 0; o < nOut; o++) next.data[o * n + i] = sign[i]! * nx0[o * n + src]!;
    }
  }
  return out;
}

function readModelTensors(file: string): {
  tensors: Map<string, Float32Array>;
  metadata: Record<string, string>;
} {
  const c = readCheckpoint([{ name: path.basename(file), bytes: new Uint8Array(readFileSync(file)) }]);
  // By canonical name (layers.{i}.weight), whatever names the file keeps from its source.
  const model = toModel(c, inferArchitecture(c), { activation: 'relu' });
  return {
    tensors: new Map(Object.entries(model.params).map(([k, t]) => [k, t.data])),
    metadata: c.metadata,
  };
}

/** An int32 .npy: writeNpy's float32 layout with the dtype string swapped (same length). */
function int32Npy(v: Int32Array): Uint8Array {
  const bytes = writeNpy(new Float32Array(v.buffer), [v.length]);
  const i = Buffer.from(bytes).indexOf('<f4');
  bytes[i + 1] = 'i'.charCodeAt(0);
  return bytes;
}

let dir = '';
const f = (name: string): string => path.join(dir, name);
const sha256 = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
const siren: MlpArch = { widths: [2, 16, 16, 1], activation: 'sine', w0: 30 };
let modelA: Model;
let modelC: Model;
let cls: { a: Model; b: Model; x: Float32Array; y: Int32Array };

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'weightscope-cli-'));
  modelA = initModel(siren, 1);
  modelC = initModel(siren, 2);
  writeFileSync(f('a.safetensors'), writeSafetensors(modelA));
  writeFileSync(f('b-perm.safetensors'), writeSafetensors(permuteAndFlip(modelA, 99)));
  writeFileSync(f('c.safetensors'), writeSafetensors(modelC));
  writeFileSync(f('d.safetensors'), writeSafetensors(initModel(siren, 3)));
  writeFileSync(
    f('narrow.safetensors'),
    writeSafetensors(initModel({ widths: [2, 8, 16, 1], activation: 'sine' }, 4)),
  );
  writeFileSync(f('notes.txt'), 'these are not weights\n');
  // A 16×16 grayscale PNG with smooth structure an INR can fit quickly.
  const png = new PNG({ width: 16, height: 16 });
  for (let r = 0; r < 16; r++) {
    for (let c = 0; c < 16; c++) {
      const v = Math.round(127.5 + 127.5 * Math.sin(r / 3) * Math.cos(c / 4));
      png.data.set([v, v, v, 255], (r * 16 + c) * 4);
    }
  }
  writeFileSync(f('img.png'), PNG.sync.write(png));
  const gray = Float32Array.from({ length: 256 }, (_, i) => png.data[i * 4]! / 255);
  writeFileSync(f('img.npy'), writeNpy(gray, [16, 16]));
  // A classifier (4 inputs, 3 classes) and labelled data in an .npz.
  const carch: MlpArch = { widths: [4, 8, 3], activation: 'relu' };
  const rng = createRng(5);
  const x = Float32Array.from({ length: 40 * 4 }, () => rng.uniform(-1, 1));
  const y = Int32Array.from({ length: 40 }, () => rng.int(3));
  cls = { a: initModel(carch, 6), b: initModel(carch, 7), x, y };
  writeFileSync(f('cls-a.safetensors'), writeSafetensors(cls.a));
  writeFileSync(f('cls-b.safetensors'), writeSafetensors(cls.b));
  writeFileSync(
    f('cls.npz'),
    writeStoredZip([
      { name: 'x.npy', data: writeNpy(x, [40, 4]) },
      { name: 'y.npy', data: int32Npy(y) },
    ]),
  );
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('CLI image preparation', () => {
  it('centre-crops to a square and area-resamples', () => {
    const img = { width: 4, height: 2, channels: 1, data: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]) };
    expect(Array.from(resizeSquare(img, 1).data)).toEqual([3.5]);
    expect(Array.from(resizeSquare(img, 2).data)).toEqual([1, 2, 5, 6]);
    expect(Array.from(resizeSquare(img, 4).data)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 5, 5, 6, 6, 5, 5, 6, 6]);
  });
});

describe('weightscope CLI', () => {
  it('prints help for every command and refuses unknown commands and flags', async () => {
    const cmds = ['inspect', 'align', 'interpolate', 'barrier', 'pca', 'merge', 'train-inr'];
    const runs = await Promise.all([
      ...cmds.map((c) => cli(c, '--help')),
      cli('--help'),
      cli('frobnicate'),
      cli('inspect', f('a.safetensors'), '--bogus'),
    ]);
    cmds.forEach((c, i) => {
      expect(runs[i]!.code).toBe(0);
      expect(runs[i]!.stdout).toContain(`Usage: weightscope ${c}`);
      expect(runs[i]!.stdout).toContain('JSON fields:');
    });
    expect(runs[7]!.code).toBe(0);
    for (const c of cmds) expect(runs[7]!.stdout).toContain(c);
    expect(runs[8]!.code).toBe(2);
    expect(runs[8]!.stdout).toBe('');
    expect(runs[8]!.stderr).toContain('frobnicate');
    expect(runs[9]!.code).toBe(2);
    expect(runs[9]!.stdout).toBe('');
    expect(runs[9]!.stderr).toContain('--bogus');
  }, 30_000);

  it('inspect: format, tensors and architecture of committed fixtures, single and multi-file', async () => {
    const [st, tfjs, sharded] = await Promise.all([
      cliJson('inspect', path.join(FIX, 'siren.safetensors')),
      cliJson('inspect', path.join(FIX, 'tfjs/model.json')),
      cliJson('inspect', path.join(FIX, 'sharded/model.safetensors.index.json')),
    ]);
    expect(st.format).toBe('safetensors');
    const tensors = st.tensors as { name: string; dtype: string; shape: number[] }[];
    expect(tensors).toHaveLength(6);
    expect(tensors[0]).toEqual({ name: 'seq.0.weight', dtype: 'F32', shape: [32, 2] });
    expect(st.architecture).toEqual({
      kind: 'mlp',
      widths: [2, 32, 32, 1],
      layers: [0, 1, 2].map((i) => ({ weight: `seq.${i}.weight`, bias: `seq.${i}.bias` })),
    });
    expect(tfjs.format).toBe('tfjs');
    expect((tfjs.architecture as { widths: number[] }).widths).toEqual([2, 8, 8, 1]);
    expect(sharded.format).toBe('safetensors-sharded');
    expect((sharded.architecture as { widths: number[] }).widths).toEqual([2, 32, 32, 1]);
  }, 30_000);

  it('inspect: errors name the file, exit 1, print nothing on stdout', async () => {
    await Promise.all([
      cliFails(1, ['missing.pt', 'no such file'], 'inspect', f('missing.pt')),
      cliFails(1, ['notes.txt', 'not a recognised checkpoint'], 'inspect', f('notes.txt')),
      cliFails(1, ['hostile.pt', 'os.system'], 'inspect', path.join(FIX, 'hostile.pt')),
      cliFails(2, ['FILE'], 'inspect'),
    ]);
  }, 30_000);

  it('align: a permuted, sign-flipped copy is aligned back exactly, by both methods', async () => {
    let normSq = 0;
    for (const v of flattenModel(modelA)) normSq += v * v;
    const [w, act] = await Promise.all([
      cliJson('align', f('a.safetensors'), f('b-perm.safetensors'), '--out', f('aligned.safetensors')),
      cliJson(
        'align',
        f('a.safetensors'),
        f('b-perm.safetensors'),
        '--method',
        'activation',
        '--data',
        f('img.png'),
      ),
    ]);
    expect(w.method).toBe('weight');
    expect(w.sweeps as number).toBeGreaterThanOrEqual(1);
    expect(w.objectiveAfter as number).toBeCloseTo(normSq, 3);
    expect(w.objectiveBefore as number).toBeLessThan((w.objectiveAfter as number) - 1);
    expect(w.maxOutputDiff as number).toBeLessThan(1e-5);
    // The verdict is the engine's, with the tolerance it was held to.
    expect(w.proved).toBe(true);
    expect(w.tolerance as number).toBeGreaterThanOrEqual(1e-5);
    expect(w.out).toBe(f('aligned.safetensors'));
    const { tensors, metadata } = readModelTensors(f('aligned.safetensors'));
    for (const [name, t] of Object.entries(modelA.params))
      expect(Array.from(tensors.get(name)!)).toEqual(Array.from(t.data));
    expect(metadata['weightscope.command']).toBe('align');
    expect(JSON.parse(metadata['weightscope.arch']!).activation).toBe('sine');
    expect(act.method).toBe('activation');
    expect(act.out).toBeNull();
    expect(act.objectiveAfter as number).toBeGreaterThan(act.objectiveBefore as number);
    expect(act.maxOutputDiff as number).toBeLessThan(1e-5);
    expect(act.proved).toBe(true);
  }, 30_000);

  it('align: mismatched models, missing files, wrong formats and bad flags', async () => {
    await Promise.all([
      cliFails(
        1,
        ['layers.0.weight', 'narrow.safetensors'],
        'align',
        f('a.safetensors'),
        f('narrow.safetensors'),
      ),
      cliFails(1, ['nope.safetensors'], 'align', f('a.safetensors'), f('nope.safetensors')),
      cliFails(1, ['notes.txt'], 'align', f('notes.txt'), f('a.safetensors')),
      cliFails(2, ['--method'], 'align', f('a.safetensors'), f('c.safetensors'), '--method', 'magic'),
    ]);
  }, 30_000);

  it('interpolate: alpha 0 is A bit for bit; alpha ½ is the mean', async () => {
    const [r0, rh, rs] = await Promise.all([
      cliJson(
        'interpolate',
        f('a.safetensors'),
        f('c.safetensors'),
        '--alpha',
        '0',
        '--out',
        f('i0.safetensors'),
      ),
      cliJson(
        'interpolate',
        f('a.safetensors'),
        f('c.safetensors'),
        '--alpha',
        '0.5',
        '--out',
        f('ih.safetensors'),
      ),
      cliJson(
        'interpolate',
        f('a.safetensors'),
        f('c.safetensors'),
        '--alpha',
        '0.25',
        '--method',
        'slerp',
        '--out',
        f('is.safetensors'),
      ),
    ]);
    expect(r0).toEqual({ method: 'lerp', alpha: 0, out: f('i0.safetensors') });
    expect(rs).toMatchObject({ method: 'slerp', alpha: 0.25 });
    expect(rh.alpha).toBe(0.5);
    const i0 = readModelTensors(f('i0.safetensors'));
    for (const [name, t] of Object.entries(modelA.params)) expect(i0.tensors.get(name)).toEqual(t.data);
    expect(i0.metadata['weightscope.command']).toBe('interpolate');
    // Inputs by name and content hash, never by path.
    expect(JSON.parse(i0.metadata['weightscope.inputs']!)).toEqual(
      ['a.safetensors', 'c.safetensors'].map((n) => ({ name: n, sha256: sha256(f(n)) })),
    );
    expect(JSON.stringify(i0.metadata)).not.toContain(dir);
    const ih = readModelTensors(f('ih.safetensors'));
    for (const [name, t] of Object.entries(modelA.params)) {
      const got = ih.tensors.get(name)!;
      t.data.forEach((v, i) =>
        expect(Math.abs(got[i]! - 0.5 * (v + modelC.params[name]!.data[i]!))).toBeLessThan(1e-6),
      );
    }
  }, 30_000);

  it('interpolate: mismatched models, missing --alpha, unreadable input', async () => {
    await Promise.all([
      cliFails(
        1,
        ['layers.0.weight'],
        'interpolate',
        f('a.safetensors'),
        f('narrow.safetensors'),
        '--alpha',
        '0.5',
        '--out',
        f('x.safetensors'),
      ),
      cliFails(
        2,
        ['--alpha'],
        'interpolate',
        f('a.safetensors'),
        f('c.safetensors'),
        '--out',
        f('x.safetensors'),
      ),
      cliFails(
        2,
        ['--alpha'],
        'interpolate',
        f('a.safetensors'),
        f('c.safetensors'),
        '--alpha',
        'half',
        '--out',
        f('x.safetensors'),
      ),
      cliFails(
        1,
        ['notes.txt'],
        'interpolate',
        f('a.safetensors'),
        f('notes.txt'),
        '--alpha',
        '0.5',
        '--out',
        f('x.safetensors'),
      ),
    ]);
  }, 30_000);

  it('barrier --method bezier|polychain trains the curve first: on the fused kernel, INRs and classifiers', async () => {
    const [inr, cls] = await Promise.all([
      cliJson(
        'barrier',
        f('a.safetensors'),
        f('c.safetensors'),
        '--data',
        f('img.npy'),
        '--points',
        '5',
        '--method',
        'bezier',
        '--curve-steps',
        '30',
      ),
      cliJson(
        'barrier',
        f('cls-a.safetensors'),
        f('cls-b.safetensors'),
        '--data',
        f('cls.npz'),
        '--points',
        '5',
        '--method',
        'polychain',
        '--curve-steps',
        '3',
        '--backend',
        'cpu',
      ),
    ]);
    expect(inr.method).toBe('bezier');
    expect(inr.curve).toMatchObject({ steps: 30, kernel: 'fused wasm' });
    expect(Number.isFinite((inr.curve as { loss: number }).loss)).toBe(true);
    expect(inr.losses).toHaveLength(5);
    expect(cls.curve).toMatchObject({ steps: 3 });
    // Classifier curves train on the fused kernel too (full-batch cross-entropy).
    expect(cls.curve).toMatchObject({ kernel: 'fused wasm' });
    await cliFails(
      2,
      ['--curve-steps goes with'],
      'barrier',
      f('a.safetensors'),
      f('a.safetensors'),
      '--data',
      f('img.npy'),
      '--curve-steps',
      '3',
    );
  }, 60_000);

  it('barrier: a model with itself has barrier 0; an aligned permuted copy too; classifiers use cross-entropy', async () => {
    const [self, perm, c] = await Promise.all([
      cliJson('barrier', f('a.safetensors'), f('a.safetensors'), '--data', f('img.png')),
      cliJson(
        'barrier',
        f('a.safetensors'),
        f('b-perm.safetensors'),
        '--align',
        '--data',
        f('img.npy'),
        '--points',
        '5',
      ),
      cliJson(
        'barrier',
        f('cls-a.safetensors'),
        f('cls-b.safetensors'),
        '--data',
        f('cls.npz'),
        '--points',
        '7',
        '--backend',
        'cpu',
      ),
    ]);
    expect(self.alphas).toHaveLength(25);
    expect((self.alphas as number[])[0]).toBe(0);
    expect((self.alphas as number[])[24]).toBe(1);
    expect(self.losses).toHaveLength(25);
    expect(Math.abs(self.barrier as number)).toBeLessThanOrEqual(1e-6);
    expect(self.aligned).toBe(false);
    expect(self.metric).toBe('mse');
    expect(perm.aligned).toBe(true);
    expect(perm.alphas).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(Math.abs(perm.barrier as number)).toBeLessThanOrEqual(1e-6);
    expect(c.metric).toBe('cross-entropy');
    const losses = c.losses as number[];
    expect(losses).toHaveLength(7);
    const ref = (m: Model): number => crossEntropyAccuracy(forward(m, cls.x, 40), cls.y, 40, 3).loss;
    expect(losses[0]!).toBeCloseTo(ref(cls.a), 4);
    expect(losses[6]!).toBeCloseTo(ref(cls.b), 4);
    const excess = losses.map((l, i) => l - ((1 - i / 6) * losses[0]! + (i / 6) * losses[6]!));
    expect(c.barrier as number).toBeCloseTo(Math.max(...excess), 5);
  }, 60_000);

  it('barrier: missing data, wrong data format, data that does not fit the models, mismatched models', async () => {
    await Promise.all([
      cliFails(1, ['gone.png'], 'barrier', f('a.safetensors'), f('c.safetensors'), '--data', f('gone.png')),
      cliFails(1, ['notes.txt'], 'barrier', f('a.safetensors'), f('c.safetensors'), '--data', f('notes.txt')),
      cliFails(
        1,
        ['cls.npz', 'takes 2 inputs'],
        'barrier',
        f('a.safetensors'),
        f('c.safetensors'),
        '--data',
        f('cls.npz'),
      ),
      cliFails(
        1,
        ['layers.0.weight'],
        'barrier',
        f('a.safetensors'),
        f('narrow.safetensors'),
        '--data',
        f('img.png'),
      ),
      cliFails(2, ['--data'], 'barrier', f('a.safetensors'), f('c.safetensors')),
    ]);
  }, 30_000);

  it('pca: one row of coordinates per model, variance ratios that sum to at most 1', async () => {
    const files = ['a', 'c', 'd'].map((n) => f(`${n}.safetensors`));
    const [plain, aligned] = await Promise.all([
      cliJson('pca', ...files),
      cliJson('pca', ...files, '--align-to', f('a.safetensors'), '--components', '3'),
    ]);
    expect(plain.names).toEqual(files);
    const coords = plain.coords as number[][];
    expect(coords).toHaveLength(3);
    for (const row of coords) expect(row).toHaveLength(2);
    // Coordinates are centred: each component sums to 0 over the models.
    for (let j = 0; j < 2; j++) expect(Math.abs(coords.reduce((s, r) => s + r[j]!, 0))).toBeLessThan(1e-6);
    const ratios = plain.explainedVarianceRatio as number[];
    expect(ratios).toHaveLength(2);
    for (const r of ratios) expect(r).toBeGreaterThanOrEqual(0);
    expect(ratios.reduce((s, r) => s + r, 0)).toBeLessThanOrEqual(1 + 1e-9);
    expect((aligned.coords as number[][])[0]).toHaveLength(3);
    // Three points span at most two dimensions: the third component is empty.
    expect((aligned.explainedVarianceRatio as number[])[2]).toBe(0);
  }, 30_000);

  it('pca: mismatched models, missing files, too few models', async () => {
    await Promise.all([
      cliFails(
        1,
        ['layers.0.weight', 'narrow.safetensors'],
        'pca',
        f('a.safetensors'),
        f('c.safetensors'),
        f('narrow.safetensors'),
      ),
      cliFails(1, ['absent.pt'], 'pca', f('a.safetensors'), f('absent.pt')),
      cliFails(2, ['at least 2'], 'pca', f('a.safetensors')),
    ]);
  }, 30_000);

  it('merge: the mean of models, and aligned merging of a permuted copy returns the original', async () => {
    const [mean, soup, slerp] = await Promise.all([
      cliJson(
        'merge',
        f('a.safetensors'),
        f('c.safetensors'),
        f('d.safetensors'),
        '--out',
        f('mean.safetensors'),
      ),
      cliJson(
        'merge',
        f('a.safetensors'),
        f('b-perm.safetensors'),
        '--align-to',
        f('a.safetensors'),
        '--out',
        f('soup.safetensors'),
      ),
      cliJson(
        'merge',
        f('a.safetensors'),
        f('c.safetensors'),
        '--method',
        'slerp',
        '--out',
        f('slerp.safetensors'),
      ),
    ]);
    expect(mean).toMatchObject({
      method: 'mean',
      base: null,
      models: ['a', 'c', 'd'].map((n) => f(`${n}.safetensors`)),
      inputs: ['a', 'c', 'd'].map((n) => f(`${n}.safetensors`)),
      aligned: false,
      repaired: false,
      out: f('mean.safetensors'),
    });
    expect(slerp.method).toBe('slerp');
    const d = initModel(siren, 3);
    const m = readModelTensors(f('mean.safetensors')).tensors;
    for (const [name, t] of Object.entries(modelA.params)) {
      const got = m.get(name)!;
      t.data.forEach((v, i) =>
        expect(
          Math.abs(got[i]! - (v + modelC.params[name]!.data[i]! + d.params[name]!.data[i]!) / 3),
        ).toBeLessThan(1e-6),
      );
    }
    expect(soup.method).toBe('mean');
    const s = readModelTensors(f('soup.safetensors')).tensors;
    for (const [name, t] of Object.entries(modelA.params)) expect(s.get(name)).toEqual(t.data);
  }, 30_000);

  it('merge: slerp of three, mismatched models, missing --out, missing file', async () => {
    await Promise.all([
      cliFails(
        2,
        ['exactly 2'],
        'merge',
        f('a.safetensors'),
        f('c.safetensors'),
        f('d.safetensors'),
        '--method',
        'slerp',
        '--out',
        f('y.safetensors'),
      ),
      cliFails(
        1,
        ['layers.0.weight'],
        'merge',
        f('a.safetensors'),
        f('narrow.safetensors'),
        '--out',
        f('y.safetensors'),
      ),
      cliFails(2, ['--out'], 'merge', f('a.safetensors'), f('c.safetensors')),
      cliFails(
        1,
        ['lost.safetensors'],
        'merge',
        f('a.safetensors'),
        f('lost.safetensors'),
        '--out',
        f('y.safetensors'),
      ),
    ]);
  }, 30_000);

  it('train-inr: 30 steps on a 16×16 PNG raise the PSNR and write a SIREN', async () => {
    const r = await cliJson(
      'train-inr',
      '--image',
      f('img.png'),
      '--seed',
      '1',
      '--steps',
      '30',
      '--out',
      f('inr.safetensors'),
      '--hidden',
      '32,32',
    );
    expect(r.steps).toBe(30);
    expect(r.out).toBe(f('inr.safetensors'));
    expect(r.psnr as number).toBeGreaterThan((r.initialPsnr as number) + 3);
    expect(r.psnr as number).toBeCloseTo(10 * Math.log10(1 / (r.finalLoss as number)), 6);
    const { tensors, metadata } = readModelTensors(f('inr.safetensors'));
    expect(JSON.parse(metadata['weightscope.arch']!)).toMatchObject({
      widths: [2, 32, 32, 1],
      activation: 'sine',
      w0: 30,
    });
    expect(metadata['weightscope.command']).toBe('train-inr');
    expect(tensors.get('layers.0.weight')).toHaveLength(64);
  }, 30_000);

  it('train-inr --models 3: the fused kernel on worker threads, agreeing with tfjs', async () => {
    const common = [
      'train-inr',
      '--image',
      f('img.png'),
      '--seed',
      '4',
      '--steps',
      '12',
      '--hidden',
      '16,16',
    ];
    const [fused, ref] = await Promise.all([
      cliJson(...common, '--models', '3', '--threads', '2', '--out', f('pop.safetensors')),
      cliJson(
        ...common,
        '--models',
        '3',
        '--kernel',
        'tfjs',
        '--backend',
        'cpu',
        '--out',
        f('ref.safetensors'),
      ),
    ]);
    expect(fused.models).toBe(3);
    expect(fused.kernel).toMatch(/^fused wasm (simd|relaxed) × 2 threads$/);
    expect(fused.threads).toBe(2);
    expect(fused.modelStepsPerSecond as number).toBeGreaterThan(0);
    expect(ref.kernel).toBe('tfjs cpu');
    expect(fused.outs).toEqual([0, 1, 2].map((k) => f(`pop-${k}.safetensors`)));
    const a = fused.finalLosses as number[];
    const b = ref.finalLosses as number[];
    a.forEach((l, k) => expect(Math.abs(l - b[k]!)).toBeLessThan(1e-4 * b[k]!));
    // Member 1 is the app population's member 1: a different init from member 0.
    const w = (k: number) => readModelTensors(f(`pop-${k}.safetensors`)).tensors.get('layers.0.weight')!;
    expect(Array.from(w(1))).not.toEqual(Array.from(w(0)));
  }, 60_000);

  it('train-inr: missing image, wrong image format, bad numbers, missing flags', async () => {
    await Promise.all([
      cliFails(
        1,
        ['nothere.png'],
        'train-inr',
        '--image',
        f('nothere.png'),
        '--seed',
        '1',
        '--steps',
        '5',
        '--out',
        f('z.safetensors'),
      ),
      cliFails(
        1,
        ['notes.txt', 'not an image'],
        'train-inr',
        '--image',
        f('notes.txt'),
        '--seed',
        '1',
        '--steps',
        '5',
        '--out',
        f('z.safetensors'),
      ),
      cliFails(
        2,
        ['--steps'],
        'train-inr',
        '--image',
        f('img.png'),
        '--seed',
        '1',
        '--steps',
        'many',
        '--out',
        f('z.safetensors'),
      ),
      cliFails(
        2,
        ['--seed'],
        'train-inr',
        '--image',
        f('img.png'),
        '--steps',
        '5',
        '--out',
        f('z.safetensors'),
      ),
    ]);
  }, 30_000);
});
