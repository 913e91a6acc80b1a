/**
 * Zoo files: fixtures written by a few lines of PyTorch/NumPy (scripts/make_zoo_fixtures.py) open
 * and compute what PyTorch computed; zoos we write round-trip and open in NumPy; bad zoos are
 * refused with the reason.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RawTensor } from '../src/engine/checkpoints/types';
import { forward } from '../src/engine/forward';
import {
  checkZooFileSize,
  memberModel,
  parseZoo,
  readZoo,
  writeZooNpz,
  writeZooSafetensors,
  zooSplit,
  ZooError,
  type Zoo,
} from '../src/engine/zoo/index';

const ROOT = path.resolve(__dirname, '..');
const FIX = path.join(ROOT, 'tests/fixtures/zoo');
const open = (name: string): Zoo =>
  readZoo({ name, bytes: new Uint8Array(readFileSync(path.join(FIX, name))) });
const probe = JSON.parse(readFileSync(path.join(FIX, 'probe.json'), 'utf8')) as {
  coords: number[][];
  outputs: number[][];
};
const tmp = mkdtempSync(path.join(tmpdir(), 'zoo-files-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function expectSameFunctionAsTorch(zoo: Zoo): void {
  const x = Float32Array.from(probe.coords.flat());
  probe.outputs.forEach((want, k) => {
    const got = forward(memberModel(zoo, k), x, probe.coords.length);
    want.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThan(1e-5));
  });
}

describe('zoos written by PyTorch/NumPy', () => {
  it.each(['siren_zoo.npz', 'siren_zoo.safetensors'])(
    '%s opens with its metadata and computes as PyTorch',
    (f) => {
      const zoo = open(f);
      expect(zoo.n).toBe(6);
      expect(zoo.arch).toEqual({ widths: [2, 8, 8, 1], activation: 'sine', w0: 30 });
      expect(zoo.meta.archInferred).toBe(false);
      expect(zoo.meta.inr).toEqual({ height: 8, width: 8, channels: 1 });
      expect(zoo.meta.labelNames).toEqual(['zero', 'one', 'two']);
      expect(Array.from(zoo.labels)).toEqual([0, 1, 2, 0, 1, 2]);
      expect(Array.from(zoo.split!)).toEqual([0, 0, 0, 1, 2, 2]);
      expect(zoo.columns.map((c) => c.name)).toEqual(['psnr']);
      expect(zoo.columns[0]!.data[5]).toBeCloseTo(35, 5);
      expectSameFunctionAsTorch(zoo);
    },
  );

  it('a compressed npz without metadata infers the architecture from the shapes', () => {
    const zoo = open('siren_zoo_plain.npz');
    expect(zoo.arch.widths).toEqual([2, 8, 8, 1]);
    expect(zoo.meta.archInferred).toBe(true);
    expect(zoo.arch.activation).toBe('sine');
    expect(zoo.split).toBeNull();
    expectSameFunctionAsTorch(zoo);
  });

  it.each([
    ['bad_mixed.npz', ['layers.1.weight takes 4 inputs', 'one MLP']],
    ['bad_member_count.npz', ['layers.2.weight holds 5 members', 'holds 6']],
    ['bad_no_labels.npz', ['no labels']],
    ['bad_one_member.npz', ['1 member', 'at least 2']],
    ['bad_nan.npz', ['member 4', 'non-finite', 'layers.1.weight']],
    ['bad_float_labels.npz', ['labels holds F32', 'astype(np.int64)']],
    ['bad_split.npz', ['split[3] = 3']],
    ['bad_meta.npz', ['metadata says widths [2, 16, 16, 1]', '[2, 8, 8, 1]']],
  ])('%s is refused with the reason', (f, needles) => {
    let err: unknown;
    try {
      open(f);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ZooError);
    for (const n of needles) expect((err as Error).message).toContain(n);
    expect((err as Error).message).toContain(f);
  });

  it('a file that is neither npz nor safetensors, and a 2 GB file, are refused', () => {
    expect(() => readZoo({ name: 'x.txt', bytes: new TextEncoder().encode('hello zoo') })).toThrow(
      /not a zoo file/,
    );
    expect(() => checkZooFileSize('huge.npz', 2 * 2 ** 30)).toThrow(/2048 MB.*capped at 1024 MB/);
  });

  it('more than 100,000 members are refused before any unpacking', () => {
    const n = 100_001;
    const t = (name: string, shape: number[]): RawTensor => ({
      name,
      dtype: 'F32',
      shape,
      data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
    });
    const contents = {
      format: 'npz',
      metadata: {},
      tensors: [
        t('layers.0.weight', [n, 1, 1]),
        t('layers.0.bias', [n, 1]),
        { name: 'labels', dtype: 'I64' as const, shape: [n], data: null, intData: new Int32Array(n) },
      ],
    };
    expect(() => parseZoo(contents, {}, 'big.npz')).toThrow(/100001 members; at most 100,000/);
  });
});

describe('zoos Weightscope writes', () => {
  const zoo = open('siren_zoo.npz');
  it.each([
    ['npz', writeZooNpz],
    ['safetensors', writeZooSafetensors],
  ] as const)('round-trip through %s exactly', (ext, write) => {
    const back = readZoo({ name: `z.${ext}`, bytes: write(zoo) });
    expect(back.arch).toEqual(zoo.arch);
    expect(back.params).toEqual(zoo.params);
    expect(back.labels).toEqual(zoo.labels);
    expect(back.split).toEqual(zoo.split);
    expect(back.columns).toEqual(zoo.columns);
    expect(back.meta).toEqual(zoo.meta);
  });

  it('open in NumPy (np.load) and in a spec safetensors parser, and run in PyTorch', () => {
    const a = path.join(tmp, 'out.npz');
    const b = path.join(tmp, 'out.safetensors');
    writeFileSync(a, writeZooNpz(zoo));
    writeFileSync(b, writeZooSafetensors(zoo));
    const out = execFileSync(
      '/usr/bin/python3',
      [path.join(ROOT, 'scripts/make_zoo_fixtures.py'), '--check', a, b],
      {
        encoding: 'utf8',
      },
    );
    const report = JSON.parse(out) as Record<
      string,
      {
        arrays: Record<string, { dtype: string; shape: number[] }>;
        labels: number[];
        split: number[];
        widths: number[];
        member0: number[];
      }
    >;
    const x = new Float32Array([-1, -1, 0, 0, 0.5, -0.25]);
    const ours = forward(memberModel(zoo, 0), x, 3);
    for (const f of ['out.npz', 'out.safetensors']) {
      const r = report[f]!;
      expect(r.arrays['layers.1.weight']).toEqual({ dtype: 'float32', shape: [6, 8, 8] });
      expect(r.arrays['labels']).toEqual({ dtype: 'int64', shape: [6] });
      expect(r.arrays['split']).toEqual({ dtype: 'uint8', shape: [6] });
      expect(r.labels).toEqual([0, 1, 2, 0, 1, 2]);
      expect(r.split).toEqual([0, 0, 0, 1, 2, 2]);
      expect(r.widths).toEqual([2, 8, 8, 1]);
      r.member0.forEach((v, i) => expect(Math.abs(v - ours[i]!)).toBeLessThan(1e-5));
    }
  });
});

describe('splits', () => {
  it("use the file's split, else a seeded 80/10/10 per class", () => {
    expect(zooSplit(open('siren_zoo.npz'), 0)).toMatchObject({
      train: [0, 1, 2],
      val: [3],
      test: [4, 5],
      source: 'file',
    });
    const plain = open('siren_zoo_plain.npz');
    const s = zooSplit(plain, 1);
    expect(s.source).toBe('seeded');
    expect([...s.train, ...s.val, ...s.test].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(zooSplit(plain, 1)).toEqual(s);
  });
});
