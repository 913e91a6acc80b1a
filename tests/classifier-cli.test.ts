/**
 * `weightscope train-mlp` as a subprocess: the documented JSON on MNIST (the app's split), a
 * fine-tune that records its base, a dropped .npz, and every refusal with its reason.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../src/engine/checkpoints/index';
import { writeNpy } from '../src/engine/checkpoints/numpy';
import { writeStoredZip } from '../src/engine/checkpoints/zip';
import { cliFails, cliJson } from './helpers/cli';

let dir = '';
const f = (name: string): string => path.join(dir, name);

/** An x/y .npz with int32 labels (writeNpy's float32 layout, dtype string swapped). */
function datasetNpz(x: Float32Array, inputs: number, y: Int32Array): Uint8Array {
  const ny = writeNpy(new Float32Array(y.buffer), [y.length]);
  ny[Buffer.from(ny).indexOf('<f4') + 1] = 'i'.charCodeAt(0);
  return writeStoredZip([
    { name: 'x.npy', data: writeNpy(x, [y.length, inputs]) },
    { name: 'y.npy', data: ny },
  ]);
}

const metadataOf = (file: string): Record<string, string> =>
  readCheckpoint([{ name: path.basename(file), bytes: new Uint8Array(readFileSync(file)) }]).metadata;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ws-train-mlp-'));
  const n = 60;
  const x = Float32Array.from({ length: n * 4 }, (_, i) => ((i * 7919) % 13) / 13);
  writeFileSync(f('one-class.npz'), datasetNpz(x, 4, new Int32Array(n).fill(2)));
  writeFileSync(
    f('three.npz'),
    datasetNpz(
      x,
      4,
      Int32Array.from({ length: n }, (_, i) => i % 3),
    ),
  );
  writeFileSync(
    f('wide-labels.npz'),
    datasetNpz(
      x,
      4,
      Int32Array.from({ length: n }, (_, i) => i % 5),
    ),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('weightscope train-mlp', () => {
  it('trains on MNIST with the documented fields, then fine-tunes on 0-4 recording the base', async () => {
    const a = await cliJson(
      'train-mlp',
      '--data',
      'mnist',
      '--hidden',
      '32',
      '--epochs',
      '1',
      '--lr',
      '3e-3',
      '--seed',
      '2',
      '--out',
      f('a.safetensors'),
    );
    for (const k of ['epochs', 'trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy', 'out', 'seconds'])
      expect(a, k).toHaveProperty(k);
    expect(a.epochs).toBe(1);
    // Trained on the fused kernel (auto), scored on tfjs.
    expect(a.kernel).toMatch(/^fused wasm (relaxed|simd) × 1 worker$/);
    expect(a.testAccuracy as number).toBeGreaterThan(0.7);
    expect(a.data).toMatch(/9000 training digits; held out the first 100 of each class \(1000\)/);
    expect(metadataOf(f('a.safetensors'))['weightscope.arch']).toMatch(/"widths":\[784,32,10\]/);

    const ft = await cliJson(
      'train-mlp',
      '--data',
      'mnist',
      '--init-from',
      f('a.safetensors'),
      '--classes',
      '0-4',
      '--epochs',
      '1',
      '--out',
      f('a-0to4.safetensors'),
    );
    expect(ft.classes).toBe('0-4');
    expect(ft.kernel).toMatch(/^fused wasm/);
    const sha = createHash('sha256')
      .update(readFileSync(f('a.safetensors')))
      .digest('hex');
    expect(ft.base).toBe(`file:${sha}`);
    const meta = metadataOf(f('a-0to4.safetensors'));
    expect(meta['weightscope.base']).toBe(`file:${sha}`);
    expect(JSON.parse(meta['weightscope.finetune']!)).toMatchObject({ classes: '0-4', epochs: 1 });
    // Same seed, same weights: the run replays.
    await cliJson(
      'train-mlp',
      '--data',
      'mnist',
      '--hidden',
      '32',
      '--epochs',
      '1',
      '--lr',
      '3e-3',
      '--seed',
      '2',
      '--out',
      f('a2.safetensors'),
    );
    expect(readFileSync(f('a2.safetensors')).equals(readFileSync(f('a.safetensors')))).toBe(true);
  }, 120_000);

  it('trains on a dropped .npz with a seeded held-out fraction', async () => {
    const r = await cliJson(
      'train-mlp',
      '--data',
      f('three.npz'),
      '--hidden',
      '8',
      '--epochs',
      '2',
      '--batch',
      '8',
      '--held-out',
      '0.25',
      '--kernel',
      'tfjs',
      '--out',
      f('t.safetensors'),
    );
    expect(r.kernel).toBe('tfjs wasm (fused kernel: tfjs chosen)');
    expect(r.data).toMatch(/45 training rows; 15 held out \(25% of each class, seed 0\)/);
  }, 60_000);

  it('refuses bad input with the reason', async () => {
    await cliFails(
      1,
      [/holds only class 2; a classifier needs examples of at least two classes/],
      'train-mlp',
      '--data',
      f('one-class.npz'),
      '--hidden',
      '8',
      '--out',
      f('x.safetensors'),
    );
    await cliFails(
      1,
      [/batch size 500 is larger than the training part \(48 examples\)/],
      'train-mlp',
      '--data',
      f('three.npz'),
      '--hidden',
      '8',
      '--batch',
      '500',
      '--out',
      f('x.safetensors'),
    );
    await cliFails(
      2,
      [/--epochs must be at least 1, got 0/],
      'train-mlp',
      '--data',
      'mnist',
      '--epochs',
      '0',
      '--out',
      f('x.safetensors'),
    );
    await cliFails(
      2,
      [/--lr takes a number, got "NaN"/],
      'train-mlp',
      '--data',
      'mnist',
      '--lr',
      'NaN',
      '--out',
      f('x.safetensors'),
    );
    await cliFails(
      1,
      [/1 to 6 hidden layers, got 7/],
      'train-mlp',
      '--data',
      'mnist',
      '--hidden',
      '8,8,8,8,8,8,8',
      '--out',
      f('x.safetensors'),
    );
    // Labels out of range: a 3-class base fine-tuned on data with labels up to 4.
    await cliJson(
      'train-mlp',
      '--data',
      f('three.npz'),
      '--hidden',
      '8',
      '--epochs',
      '1',
      '--batch',
      '8',
      '--out',
      f('base3.safetensors'),
    );
    await cliFails(
      1,
      [/label [34] at row \d+ is outside 0–2 \(the model has 3 outputs\)/],
      'train-mlp',
      '--data',
      f('wide-labels.npz'),
      '--init-from',
      f('base3.safetensors'),
      '--batch',
      '8',
      '--out',
      f('x.safetensors'),
    );
  }, 120_000);
});
