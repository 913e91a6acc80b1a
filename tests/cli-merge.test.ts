/**
 * `weightscope merge` with mergekit's methods, alignment (weight/activation/STE) and REPAIR;
 * `barrier --repair` and `align --method ste`. The CLI runs as a subprocess on real files: the
 * MNIST sample classifiers and digits from the `mnist` package, and hand-made models whose merge
 * is known by hand.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../src/cli/io';
import { alignModels } from '../src/engine/align';
import { readCheckpoint } from '../src/engine/checkpoints/index';
import { writeNpy } from '../src/engine/checkpoints/numpy';
import { writeSafetensors } from '../src/engine/checkpoints/writers';
import { writeStoredZip } from '../src/engine/checkpoints/zip';
import { mnistSplit } from '../src/engine/data/mnist';
import { mergeModels } from '../src/engine/merge';
import { initModel, type MlpArch, type Model } from '../src/engine/model';
import { packMnist } from '../scripts/mnist';
import { cliFails, cliJson, ROOT } from './helpers/cli';

const M = (k: number): string => path.join(ROOT, `public/models/mnist-mlp-${k}.safetensors`);

/** A written model's tensors by canonical name (files keep their source's layout and names). */
function tensors(file: string): Map<string, Float32Array> {
  return new Map(Object.entries(loadModel(file).model.params).map(([k, t]) => [k, t.data]));
}
function metadata(file: string): Record<string, string> {
  return readCheckpoint([{ name: path.basename(file), bytes: new Uint8Array(readFileSync(file)) }]).metadata;
}

/** A 1→4→1 model whose first weight is `w0`, everything else 0. */
function tiny(w0: number[]): Model {
  const arch: MlpArch = { widths: [1, 4, 1], activation: 'relu' };
  const m = initModel(arch, 1);
  m.params['layers.0.weight']!.data.set(w0);
  for (const n of ['layers.0.bias', 'layers.1.weight', 'layers.1.bias']) m.params[n]!.data.fill(0);
  return m;
}

let dir = '';
const f = (name: string): string => path.join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ws-merge-'));
  const write = (name: string, m: Model): void => writeFileSync(f(name), writeSafetensors(m));
  write('zero.safetensors', tiny([0, 0, 0, 0]));
  write('t1.safetensors', tiny([1, -2, 3, 0.5]));
  write('t2.safetensors', tiny([-1, -1.5, 2, 0.5]));
  write('other.safetensors', initModel({ widths: [784, 32, 10], activation: 'relu' }, 1));
  // 300 held-out digits as an x/y .npz
  const d = mnistSplit(packMnist(), 'score', 30);
  const y = writeNpy(new Float32Array(d.labels.buffer.slice(0)), [d.n]);
  y[Buffer.from(y).indexOf('<f4') + 1] = 'i'.charCodeAt(0);
  writeFileSync(
    f('digits.npz'),
    writeStoredZip([
      { name: 'x.npy', data: writeNpy(d.x, [d.n, 784]) },
      { name: 'y.npy', data: y },
    ]),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('weightscope merge', () => {
  it('hand-computed cases through the CLI: ties, task arithmetic, a λ gradient', async () => {
    const base = ['--base', f('zero.safetensors')];
    const [ties, ta, grad] = await Promise.all([
      cliJson(
        'merge',
        f('t1.safetensors'),
        f('t2.safetensors'),
        ...base,
        '--method',
        'ties',
        '--density',
        '0.5',
        '--out',
        f('ties.safetensors'),
      ),
      cliJson(
        'merge',
        f('t1.safetensors'),
        f('t2.safetensors'),
        ...base,
        '--method',
        'task_arithmetic',
        '--out',
        f('ta.safetensors'),
      ),
      cliJson(
        'merge',
        f('t1.safetensors'),
        ...base,
        '--method',
        'task_arithmetic',
        '--lambda',
        '0,1',
        '--out',
        f('grad.safetensors'),
      ),
    ]);
    expect(ties).toEqual({
      method: 'ties',
      base: f('zero.safetensors'),
      models: [f('t1.safetensors'), f('t2.safetensors')],
      params: { weights: null, density: 0.5, lambda: 1, normalize: true, rescale: false },
      aligned: false,
      repaired: false,
      out: f('ties.safetensors'),
      inputs: [f('t1.safetensors'), f('t2.safetensors')],
      alignTo: null,
      matching: null,
    });
    expect(Array.from(tensors(f('ties.safetensors')).get('layers.0.weight')!)).toEqual([0, -1.75, 2.5, 0]);
    expect(ta.method).toBe('task_arithmetic');
    expect(Array.from(tensors(f('ta.safetensors')).get('layers.0.weight')!)).toEqual([0, -3.5, 5, 1]);
    expect(grad.params).toMatchObject({ lambda: [0, 1] });
    expect(Array.from(tensors(f('grad.safetensors')).get('layers.0.weight')!)).toEqual([0, 0, 0, 0]);
    const meta = metadata(f('ties.safetensors'));
    expect(meta['weightscope.method']).toBe('ties');
    expect(JSON.parse(meta['weightscope.options']!)).toMatchObject({ params: { density: 0.5 } });
  }, 60_000);

  it('ties of two MNIST classifiers after alignment equals the engine on the aligned models', async () => {
    const r = await cliJson(
      'merge',
      M(2),
      M(3),
      '--base',
      M(1),
      '--method',
      'ties',
      '--density',
      '0.5',
      '--align-to',
      M(1),
      '--out',
      f('mnist-ties.safetensors'),
    );
    expect(r).toMatchObject({
      method: 'ties',
      aligned: true,
      repaired: false,
      alignTo: M(1),
      matching: 'weight',
    });
    const [a, b, c] = [1, 2, 3].map((k) => loadModel(M(k)).model);
    const al = (m: Model): Model => alignModels(a!, m, { method: 'weight', seed: 0 }).model;
    const expected = mergeModels('ties', [al(b!), al(c!)], { base: al(a!), params: { density: 0.5 } });
    const got = tensors(f('mnist-ties.safetensors'));
    for (const [name, t] of Object.entries(expected.params)) expect(got.get(name)).toEqual(t.data);
  }, 60_000);

  it('mean and slerp keep working; --repair on digits changes the merge and says so', async () => {
    const [mean, slerp, rep] = await Promise.all([
      cliJson('merge', M(1), M(2), '--out', f('mean.safetensors')),
      cliJson('merge', M(1), M(2), '--method', 'slerp', '--t', '0.3', '--out', f('slerp.safetensors')),
      cliJson(
        'merge',
        M(1),
        M(2),
        '--align-to',
        M(1),
        '--repair',
        '--data',
        f('digits.npz'),
        '--out',
        f('rep.safetensors'),
      ),
    ]);
    expect(mean).toMatchObject({
      method: 'mean',
      base: null,
      repaired: false,
      params: { weights: null, normalize: true },
    });
    expect(slerp).toMatchObject({ method: 'slerp', params: { t: 0.3 } });
    expect(rep).toMatchObject({ aligned: true, repaired: true });
    const [a, b] = [1, 2].map((k) => loadModel(M(k)).model);
    const m = tensors(f('mean.safetensors')).get('layers.1.bias')!;
    m.forEach((v, i) =>
      expect(v).toBeCloseTo(
        (a!.params['layers.1.bias']!.data[i]! + b!.params['layers.1.bias']!.data[i]!) / 2,
        6,
      ),
    );
    expect(tensors(f('rep.safetensors')).get('layers.0.bias')).not.toEqual(
      tensors(f('mean.safetensors')).get('layers.0.bias'),
    );
  }, 60_000);

  it('refuses bad inputs with the reason', async () => {
    const two = [M(2), M(3), '--base', M(1)];
    await Promise.all([
      cliFails(
        1,
        ['density = 1.5 is outside (0, 1]'],
        'merge',
        ...two,
        '--method',
        'ties',
        '--density',
        '1.5',
        '--out',
        f('x.safetensors'),
      ),
      cliFails(
        1,
        ['density = 0 is outside (0, 1]'],
        'merge',
        ...two,
        '--method',
        'dare_ties',
        '--density',
        '0',
        '--out',
        f('x.safetensors'),
      ),
      cliFails(
        1,
        ['density ± epsilon = 0.2 ± 0.3 leaves (0, 1)'],
        'merge',
        ...two,
        '--method',
        'della',
        '--density',
        '0.2',
        '--epsilon',
        '0.3',
        '--out',
        f('x.safetensors'),
      ),
      cliFails(
        2,
        ['weight 2 is "nan"'],
        'merge',
        M(1),
        M(2),
        '--method',
        'linear',
        '--weights',
        '1,nan',
        '--out',
        f('x.safetensors'),
      ),
      cliFails(
        1,
        ['layers.0.weight', 'other.safetensors'],
        'merge',
        M(2),
        M(3),
        '--base',
        f('other.safetensors'),
        '--method',
        'ties',
        '--out',
        f('x.safetensors'),
      ),
      cliFails(
        1,
        ['at least 2 models besides the base; got 1'],
        'merge',
        M(2),
        '--base',
        M(1),
        '--method',
        'model_stock',
        '--out',
        f('x.safetensors'),
      ),
      cliFails(2, ['exactly 2'], 'merge', M(1), M(2), M(3), '--method', 'slerp', '--out', f('x.safetensors')),
      cliFails(
        1,
        ['needs a base model'],
        'merge',
        M(1),
        M(2),
        '--method',
        'ties',
        '--out',
        f('x.safetensors'),
      ),
      cliFails(2, ['--repair', '--data'], 'merge', M(1), M(2), '--repair', '--out', f('x.safetensors')),
      cliFails(
        2,
        ['ste', '--data'],
        'merge',
        M(1),
        M(2),
        '--align-to',
        M(1),
        '--matching',
        'ste',
        '--out',
        f('x.safetensors'),
      ),
    ]);
  }, 60_000);
});

describe('barrier --repair and align --method ste', () => {
  it('barrier --align --repair adds the REPAIR path on the same grid', async () => {
    const r = await cliJson(
      'barrier',
      M(1),
      M(2),
      '--align',
      '--repair',
      '--data',
      f('digits.npz'),
      '--points',
      '5',
    );
    const rep = r.repaired as { losses: number[]; barrier: number };
    expect(rep.losses).toHaveLength(5);
    // same endpoints, bit for bit
    expect(rep.losses[0]).toBe((r.losses as number[])[0]);
    expect(rep.losses[4]).toBe((r.losses as number[])[4]);
    expect(Number.isFinite(rep.barrier)).toBe(true);
    await cliFails(2, ['--align'], 'barrier', M(1), M(2), '--repair', '--data', f('digits.npz'));
  }, 60_000);

  it('align --method ste keeps the function and is never worse than weight matching', async () => {
    const r = await cliJson(
      'align',
      M(1),
      M(2),
      '--method',
      'ste',
      '--data',
      f('digits.npz'),
      '--steps',
      '4',
      '--out',
      f('ste.safetensors'),
    );
    expect(r.method).toBe('ste');
    expect(r.maxOutputDiff as number).toBeLessThanOrEqual(1e-5 * Math.max(1, r.outputScale as number));
    expect(r.midpointLoss as number).toBeLessThanOrEqual(r.weightMatchingLoss as number);
    await cliFails(2, ['--data'], 'align', M(1), M(2), '--method', 'ste');
  }, 60_000);

  it('merge --matching ste --ste-steps N aligns as align --method ste --steps N does', async () => {
    const common = ['--data', f('digits.npz')];
    await cliJson(
      'align',
      M(1),
      M(2),
      '--method',
      'ste',
      '--steps',
      '3',
      ...common,
      '--out',
      f('ste3.safetensors'),
    );
    const r = await cliJson(
      'merge',
      M(1),
      M(2),
      '--align-to',
      M(1),
      '--matching',
      'ste',
      '--ste-steps',
      '3',
      ...common,
      '--out',
      f('ste3-mean.safetensors'),
    );
    expect(r).toMatchObject({ aligned: true, matching: 'ste' });
    // Not vacuous: the default 30 steps keep another permutation of M(2) on these digits.
    await cliJson('align', M(1), M(2), '--method', 'ste', ...common, '--out', f('ste30.safetensors'));
    expect(tensors(f('ste30.safetensors'))).not.toEqual(tensors(f('ste3.safetensors')));
    // M(1) aligned to itself is M(1); the mean is over it and STE's π(M(2)).
    const expected = mergeModels(
      'linear',
      [loadModel(M(1)).model, loadModel(f('ste3.safetensors')).model],
      {},
    );
    const got = tensors(f('ste3-mean.safetensors'));
    for (const [name, t] of Object.entries(expected.params)) expect(got.get(name)).toEqual(t.data);
    expect(JSON.parse(metadata(f('ste3-mean.safetensors'))['weightscope.options']!)).toMatchObject({
      matching: 'ste',
      steSteps: 3,
    });
    await cliFails(
      2,
      ['--ste-steps applies with --matching ste'],
      'merge',
      M(1),
      M(2),
      '--align-to',
      M(1),
      '--ste-steps',
      '3',
      '--out',
      f('x.safetensors'),
    );
  }, 90_000);

  it('align --restarts keeps the best objective; the permutations JSON and metadata turn MODEL into the output', async () => {
    const r = await cliJson(
      'align',
      M(1),
      M(2),
      '--restarts',
      '3',
      '--seed',
      '4',
      '--out',
      f('restarts.safetensors'),
      '--permutations',
      f('perm.json'),
    );
    const restarts = r.restarts as { seed: number; objective: number }[];
    expect(restarts.map((x) => x.seed)).toEqual([4, 5, 6]);
    expect(restarts[r.bestRestart as number]!.objective).toBe(Math.max(...restarts.map((x) => x.objective)));
    expect(r.objectiveAfter).toBe(restarts[r.bestRestart as number]!.objective);
    const text = readFileSync(f('perm.json'), 'utf8');
    expect(metadata(f('restarts.safetensors'))['weightscope.permutation']).toBe(text);
    const rec = JSON.parse(text) as {
      method: string;
      seed: number;
      layers: { perm: number[]; signs: number[]; axes: { tensor: string; axis: number }[] }[];
    };
    expect(rec.method).toBe('weight');
    expect(rec.seed).toBe(restarts[r.bestRestart as number]!.seed);
    // The record applied to MODEL's own tensors (by the file's names and axes) gives the output.
    const read = (file: string) =>
      new Map(
        readCheckpoint([{ name: 'x.safetensors', bytes: new Uint8Array(readFileSync(file)) }]).tensors.map(
          (t) => [t.name, { shape: t.shape, data: Float32Array.from(t.data!) }],
        ),
      );
    const mine = read(M(2));
    for (const layer of rec.layers)
      for (const { tensor, axis } of layer.axes) {
        const t = mine.get(tensor)!;
        const [rows, cols] = t.shape.length === 2 ? t.shape : [t.shape[0]!, 1];
        const out = new Float32Array(t.data.length);
        for (let i = 0; i < rows!; i++)
          for (let j = 0; j < cols!; j++) {
            const [si, sj, s] =
              axis === 0 ? [layer.perm[i]!, j, layer.signs[i]!] : [i, layer.perm[j]!, layer.signs[j]!];
            out[i * cols! + j] = s * t.data[si * cols! + sj]!;
          }
        t.data = out;
      }
    const aligned = read(f('restarts.safetensors'));
    for (const [name, t] of aligned)
      expect(Array.from(t.data), name).toEqual(Array.from(mine.get(name)!.data));
  }, 60_000);
});
