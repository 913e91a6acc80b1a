/**
 * The CLI's outputs and images: `--out` picks the format by name and keeps the source's tensor
 * names, provenance names inputs by name + SHA-256 (no paths), a missing output folder is an
 * error (nothing created), and the training image size recorded in a checkpoint is what
 * `barrier` scores on unless `--size` says otherwise (with a warning when they differ).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseSize, recordedSize } from '../src/cli/image-size';
import { readCheckpoint } from '../src/engine/checkpoints/index';
import { cli, ROOT } from './helpers/cli';

const RT = path.join(ROOT, 'tests/fixtures/roundtrip');
const MODELS = path.join(ROOT, 'public/models');
const RINGS = path.join(ROOT, 'public/samples/rings.png');

let dir = '';
const f = (n: string): string => path.join(dir, n);
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ws-cli-out-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('outputs', () => {
  it('--out into a folder that does not exist is an error, and creates nothing', async () => {
    const out = f('no/such/folder/x.safetensors');
    const r = await cli('align', `${RT}/seq_a.pt`, `${RT}/seq_b.pt`, '--out', out, '--json');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('does not exist');
    expect(existsSync(f('no'))).toBe(false);
    const t = await cli(
      'train-inr',
      '--image',
      RINGS,
      '--seed',
      '1',
      '--steps',
      '1',
      '--out',
      f('nope/m.pt'),
    );
    expect(t.code).toBe(1);
    expect(t.stderr).toContain('does not exist');
  });

  it('.pt output keeps the source names; metadata names inputs by file name and SHA-256', async () => {
    const r = await cli(
      'align',
      `${RT}/named_a.pt`,
      `${RT}/named_b.pt`,
      '--activation',
      'tanh',
      '--out',
      f('al.pt'),
    );
    expect(r.code, r.stderr).toBe(0);
    const c = readCheckpoint([{ name: 'al.pt', bytes: new Uint8Array(readFileSync(f('al.pt'))) }]);
    expect(c.tensors.map((t) => t.name)).toEqual([
      'fc1.weight',
      'fc1.bias',
      'fc2.weight',
      'fc2.bias',
      'head.weight',
      'head.bias',
    ]);
    const s = await cli('merge', `${RT}/seq_a.pt`, `${RT}/seq_b.pt`, '--out', f('m.safetensors'));
    expect(s.code, s.stderr).toBe(0);
    const m = readCheckpoint([{ name: 'm', bytes: new Uint8Array(readFileSync(f('m.safetensors'))) }]);
    const inputs = JSON.parse(m.metadata['weightscope.inputs']!) as { name: string; sha256: string }[];
    expect(inputs.map((i) => i.name)).toEqual(['seq_a.pt', 'seq_b.pt']);
    for (const i of inputs) expect(i.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(m.metadata)).not.toContain(RT);
  });
});

describe('training image size', () => {
  const a = `${MODELS}/rings-independent-1.safetensors`;
  const b = `${MODELS}/rings-independent-2.safetensors`;

  it('barrier scores the 32-px samples on their 32-px grid by default, and warns on another --size', async () => {
    const [def, big] = await Promise.all([
      cli('barrier', a, b, '--data', RINGS, '--points', '3', '--json'),
      cli('barrier', a, b, '--data', RINGS, '--points', '3', '--size', '128', '--json'),
    ]);
    expect(def.code, def.stderr).toBe(0);
    expect(def.stderr).toContain('32×32');
    const lossA = (JSON.parse(def.stdout) as { losses: number[] }).losses[0]!;
    // PSNR 60.7 dB on the training grid (the manifest's figure) is an MSE near 8.5e-7.
    expect(lossA).toBeLessThan(1e-5);
    expect(big.code, big.stderr).toBe(0);
    expect(big.stderr).toContain('warning: --size 128 differs from the 32×32 image');
    expect((JSON.parse(big.stdout) as { losses: number[] }).losses[0]!).toBeGreaterThan(100 * lossA);
  }, 60_000);

  it('train-inr records the size it trained at, and barrier then uses it', async () => {
    const t = await cli(
      'train-inr',
      '--image',
      RINGS,
      '--size',
      '16',
      '--seed',
      '3',
      '--steps',
      '2',
      '--out',
      f('t.safetensors'),
    );
    expect(t.code, t.stderr).toBe(0);
    const c = readCheckpoint([{ name: 't', bytes: new Uint8Array(readFileSync(f('t.safetensors'))) }]);
    expect(c.metadata['weightscope.imageSize']).toBe('16x16');
    expect(c.tensors[0]!.name).toBe('0.weight');
    const r = await cli('barrier', f('t.safetensors'), f('t.safetensors'), '--data', RINGS, '--points', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('resized to 16×16');
  }, 60_000);
});

describe('recorded sizes are untrusted metadata', () => {
  it('parses W×H, WxH and S strictly, and the @S of a sample target', () => {
    expect(recordedSize({ 'weightscope.imageSize': '32x48' })).toEqual({ width: 32, height: 48 });
    expect(recordedSize({ 'weightscope.imageSize': '64×64' })).toEqual({ width: 64, height: 64 });
    expect(recordedSize({ 'weightscope.imageSize': '16' })).toEqual({ width: 16, height: 16 });
    for (const bad of ['', '0', '-3', '1e3', '32x', 'x32', '999999', '32x32x3', '32;rm'])
      expect(recordedSize({ 'weightscope.imageSize': bad }), bad).toBeNull();
    expect(recordedSize({ 'weightscope.provenance': '{"target":"sample:rings@32"}' })).toEqual({
      width: 32,
      height: 32,
    });
    expect(recordedSize({ 'weightscope.provenance': '{not json' })).toBeNull();
    expect(recordedSize({})).toBeNull();
  });

  it('uses the recorded size, lets --size win, and warns when sizes disagree', () => {
    const s = (w: number, h = w) => ({ width: w, height: h });
    expect(
      chooseSize(undefined, [
        { file: 'a', size: s(32) },
        { file: 'b', size: s(32) },
      ]),
    ).toEqual({
      side: 32,
      warnings: [],
    });
    const mixed = chooseSize(undefined, [
      { file: 'a', size: s(32) },
      { file: 'b', size: s(64) },
    ]);
    expect(mixed.side).toBe(32);
    expect(mixed.warnings).toEqual(['warning: a was trained at 32×32 but b at 64×64']);
    const flag = chooseSize(64, [
      { file: 'a', size: s(32) },
      { file: 'b', size: null },
    ]);
    expect(flag).toEqual({
      side: 64,
      warnings: ['warning: --size 64 differs from the 32×32 image a was trained on'],
    });
    expect(chooseSize(undefined, [{ file: 'a', size: null }])).toEqual({ side: undefined, warnings: [] });
    // A non-square recorded size cannot be reached by a square resize: the image is used as is.
    expect(chooseSize(undefined, [{ file: 'a', size: s(32, 48) }]).side).toBeUndefined();
  });
});
