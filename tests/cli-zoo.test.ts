/**
 * `weightscope zoo fit | classify | inspect` as subprocesses: the documented JSON fields on a
 * zoo fitted here, the np method's invariance against the mlp's, and every refusal (exit code,
 * the reason on stderr, nothing on stdout).
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFails, cliJson, ROOT } from './helpers/cli';

const FIX = path.join(ROOT, 'tests/fixtures/zoo');
const tmp = mkdtempSync(path.join(tmpdir(), 'cli-zoo-'));
const zooPath = path.join(tmp, 'digits.safetensors');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let fit: Record<string, unknown>;
beforeAll(async () => {
  fit = await cliJson(
    'zoo',
    'fit',
    '--source',
    'mnist',
    '--per-class',
    '6',
    '--classes',
    '3,8',
    '--size',
    '8',
    '--hidden',
    '8,8',
    '--steps',
    '40',
    '--psnr',
    '28',
    '--lr',
    '3e-3',
    '--seed',
    '2',
    '--out',
    zooPath,
  );
}, 120_000);

describe('weightscope zoo', () => {
  it('fit writes a zoo and reports it', () => {
    expect(fit).toMatchObject({
      models: 12,
      architecture: { widths: [2, 8, 8, 1], activation: 'sine', w0: 30 },
      out: zooPath,
      labels: [3, 8],
    });
    expect(fit.meanPsnr as number).toBeGreaterThan(15);
    expect(fit.seconds as number).toBeGreaterThan(0);
    expect(fit.kernel).toMatch(/^fused wasm (relaxed|simd) × \d+ thread/);
  });

  it('fit --kernel tfjs fits the same zoo as the fused kernel', async () => {
    const out = path.join(tmp, 'digits-tfjs.npz');
    const same = ['--per-class', '2', '--classes', '3,8', '--size', '8', '--hidden', '8,8', '--steps', '20'];
    const args = ['zoo', 'fit', '--source', 'mnist', ...same, '--psnr', '99', '--lr', '3e-3', '--seed', '2'];
    const r = await cliJson(...args, '--kernel', 'tfjs', '--out', out);
    const fused = await cliJson(...args, '--threads', '2', '--out', out);
    expect(r.kernel).toMatch(/^tfjs/);
    expect(fused.kernel).toMatch(/^fused wasm/);
    expect(r.meanPsnr as number).toBeCloseTo(fused.meanPsnr as number, 2);
  }, 120_000);

  it('inspect reads it back: members, labels, no split, the psnr column', async () => {
    const r = await cliJson('zoo', 'inspect', zooPath);
    expect(r).toMatchObject({
      models: 12,
      architecture: { widths: [2, 8, 8, 1], activation: 'sine', inferred: false },
      labels: [
        { label: 3, count: 6, name: '3' },
        { label: 8, count: 6, name: '8' },
      ],
      splits: null,
      inr: { height: 8, width: 8, channels: 1 },
      source: 'mnist',
    });
    expect((r.columns as { name: string }[]).map((c) => c.name)).toEqual(['psnr', 'steps', 'source_index']);
  });

  it('inspect counts a PyTorch-written zoo split', async () => {
    const r = await cliJson('zoo', 'inspect', path.join(FIX, 'siren_zoo.npz'));
    expect(r.splits).toEqual({ train: 3, val: 1, test: 2 });
  });

  it('classify: np is invariant to hidden permutations and sign flips, mlp is not', async () => {
    const np = await cliJson('zoo', 'classify', zooPath, '--method', 'np', '--epochs', '2', '--seed', '1');
    const mlp = await cliJson(
      'zoo',
      'classify',
      zooPath,
      '--method',
      'mlp',
      '--epochs',
      '2',
      '--seed',
      '1',
      '--augment',
      'negation,bias,noise,mixup',
    );
    for (const r of [np, mlp]) {
      for (const k of ['trainAccuracy', 'testAccuracy', 'invarianceMaxDiff', 'seconds'])
        expect(typeof r[k]).toBe('number');
      expect(r.epochs).toBe(2);
      expect(r.split).toBe('seeded');
    }
    expect(np.method).toBe('np');
    expect(np.invarianceMaxDiff as number).toBeLessThanOrEqual(1e-4);
    expect(mlp.invarianceMaxDiff as number).toBeGreaterThan(1e-3);
    expect(mlp.augment).toEqual(['negation', 'bias', 'noise', 'mixup']);
  }, 60_000);

  it('classify replays from its seed', async () => {
    const a = await cliJson(
      'zoo',
      'classify',
      zooPath,
      '--method',
      'mlp-augmented',
      '--epochs',
      '1',
      '--seed',
      '5',
    );
    const b = await cliJson(
      'zoo',
      'classify',
      zooPath,
      '--method',
      'mlp-augmented',
      '--epochs',
      '1',
      '--seed',
      '5',
    );
    expect(b.history).toEqual(a.history);
  }, 60_000);

  it.each([
    ['bad_mixed.npz', 'do not form one MLP'],
    ['bad_no_labels.npz', 'no labels'],
    ['bad_one_member.npz', 'at least 2'],
    ['bad_nan.npz', 'member 4 has a non-finite value'],
  ])('refuses %s', async (f, reason) => {
    await cliFails(1, [f, reason], 'zoo', 'inspect', path.join(FIX, f));
  });

  it('fit --source classifiers: a zoo of MNIST classifiers by task, recorded in the file; np reads it invariantly', async () => {
    const out = path.join(tmp, 'tasks.npz');
    const r = await cliJson(
      'zoo',
      'fit',
      '--source',
      'classifiers',
      '--label-by',
      'task',
      '--tasks',
      '0,1;2-3',
      '--per-label',
      '3',
      '--size',
      '7',
      '--hidden',
      '8',
      '--digits',
      '100',
      '--epochs',
      '2',
      '--minibatch',
      '10',
      '--lr',
      '1e-2',
      '--out',
      out,
    );
    expect(r).toMatchObject({
      models: 6,
      architecture: { widths: [49, 8, 10], activation: 'relu' },
      labelBy: 'task',
      labels: ['0-1', '2-3'],
      source: 'classifiers:mnist:task',
      out,
    });
    expect(r.meanAccuracy as number).toBeGreaterThan(0.6);
    const info = await cliJson('zoo', 'inspect', out);
    expect(info.classifiers).toMatchObject({
      labelBy: 'task',
      tasks: [
        [0, 1],
        [2, 3],
      ],
      perLabel: 3,
      size: 7,
    });
    expect(info.columns).toEqual([
      { name: 'seed', shape: [6] },
      { name: 'accuracy', shape: [6] },
    ]);
    const np = await cliJson('zoo', 'classify', out, '--method', 'np', '--epochs', '1');
    expect(np.invarianceMaxDiff as number).toBeLessThanOrEqual(1e-4);
    await cliFails(
      2,
      ['--steps: not for --source classifiers'],
      'zoo',
      'fit',
      '--source',
      'classifiers',
      '--steps',
      '3',
      '--out',
      out,
    );
    await cliFails(
      2,
      ['--label-by: only with --source classifiers'],
      'zoo',
      'fit',
      '--per-class',
      '2',
      '--label-by',
      'seed',
      '--out',
      out,
    );
    await cliFails(
      1,
      ['task 2 must list at least two digit classes'],
      'zoo',
      'fit',
      '--source',
      'classifiers',
      '--tasks',
      '0,1;2',
      '--out',
      out,
    );
  }, 120_000);

  it('refuses a 2 GB file by its size, before reading it', async () => {
    const big = path.join(tmp, 'huge.npz');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 2 * 2 ** 30); // sparse: no disk used
    closeSync(fd);
    await cliFails(1, ['huge.npz', '2048 MB', 'capped at 1024 MB'], 'zoo', 'classify', big, '--method', 'np');
  });

  it('refuses bad usage with exit 2', async () => {
    await cliFails(2, ['unknown augmentation "rotate"'], 'zoo', 'classify', zooPath, '--augment', 'rotate');
    await cliFails(
      2,
      ['.npz or .safetensors'],
      'zoo',
      'fit',
      '--per-class',
      '1',
      '--out',
      path.join(tmp, 'z.pt'),
    );
    await cliFails(2, ['--per-class is required'], 'zoo', 'fit', '--out', path.join(tmp, 'z.npz'));
    writeFileSync(path.join(tmp, 'note.txt'), 'not a zoo');
    await cliFails(1, ['not a zoo file'], 'zoo', 'inspect', path.join(tmp, 'note.txt'));
  });
});
