/**
 * Differential tests against the writers (issue #15): every file in tests/fixtures/differential
 * (made by scripts/make_differential.py with Debian's NumPy 1.24 and PyTorch 1.13) carries the
 * verdict of numpy.load / torch.load(weights_only=True). Weightscope must accept what they
 * accept, reading the same names, shapes and values bit for bit (floats as float32), and refuse
 * what they refuse. Where Weightscope refuses on purpose (a dtype it does not read, a dimension
 * past its bounds, a CRC PyTorch does not check), the case names the refusal it must give.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointError, readCheckpoint, type RawTensor } from '../src/engine/checkpoints';

type Value = number | 'nan' | 'inf' | '-inf';
interface Case {
  file: string;
  reference: 'numpy' | 'torch';
  verdict: 'accept' | 'refuse';
  reason?: string;
  tensors?: Record<string, { shape: number[]; values: Value[] }>;
  weightscope?: { refuses: string };
}

const DIR = 'tests/fixtures/differential';
const cases = (JSON.parse(readFileSync(path.join(DIR, 'manifest.json'), 'utf8')) as { cases: Case[] }).cases;

function read(file: string): { tensors: RawTensor[] } | CheckpointError {
  try {
    return readCheckpoint([{ name: file, bytes: new Uint8Array(readFileSync(path.join(DIR, file))) }]);
  } catch (e) {
    if (e instanceof CheckpointError) return e;
    throw e;
  }
}

const asNumber = (v: Value): number =>
  v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v;

describe('differential: Weightscope reads what NumPy and PyTorch read', () => {
  it('the corpus covers both references, both verdicts and the deliberate refusals', () => {
    expect(cases.length).toBeGreaterThanOrEqual(70);
    for (const ref of ['numpy', 'torch'])
      for (const verdict of ['accept', 'refuse'])
        expect(
          cases.some((c) => c.reference === ref && c.verdict === verdict),
          `${ref} ${verdict}`,
        ).toBe(true);
  });

  for (const c of cases) {
    const label = `${c.file}: ${c.reference} ${c.verdict}s${c.weightscope ? ', Weightscope refuses on purpose' : ''}`;
    it(label, () => {
      const got = read(c.file);
      if (c.verdict === 'refuse') {
        expect(got, `${c.reference} said: ${c.reason}`).toBeInstanceOf(CheckpointError);
        return;
      }
      if (c.weightscope) {
        expect(got).toBeInstanceOf(CheckpointError);
        expect((got as Error).message).toContain(c.weightscope.refuses);
        return;
      }
      if (got instanceof CheckpointError)
        throw new Error(`Weightscope refused what ${c.reference} reads: ${got.message}`);
      const byName = new Map(got.tensors.map((t) => [t.name, t]));
      expect([...byName.keys()].sort()).toEqual(Object.keys(c.tensors!).sort());
      for (const [name, want] of Object.entries(c.tensors!)) {
        const t = byName.get(name)!;
        expect(t.shape, name).toEqual(want.shape);
        const values = t.data ?? t.intData;
        expect(values, `${name} has values`).toBeTruthy();
        expect(values!.length, name).toBe(want.values.length);
        want.values.forEach((v, i) => {
          const w = asNumber(v);
          if (!Object.is(values![i], w))
            throw new Error(`${name}[${i}]: Weightscope ${values![i]}, ${c.reference} ${w}`);
        });
      }
    });
  }
});
