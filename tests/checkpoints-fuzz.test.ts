import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  findReader,
  inferArchitecture,
  readCheckpoint,
  toModel,
  type CheckpointFile,
} from '../src/engine/checkpoints';
import { createRng, type Rng } from '../src/engine/rng';

/**
 * Mutation fuzzing of every reader on every fixture (bit flips, truncation, lying lengths and
 * offsets, edited header numbers): whatever the bytes, a reader either returns tensors or throws
 * a CheckpointError — never a RangeError, TypeError or a hang. The inputs are seeded, so a
 * failure names the seed and iteration that reproduce it.
 */

const ROOT = 'tests/fixtures';
const PER_READER = 10_000;
const manifest = (
  JSON.parse(readFileSync(`${ROOT}/manifest.json`, 'utf8')) as {
    fixtures: { files: string[]; stage?: string }[];
  }
).fixtures;
const load = (paths: string[]): CheckpointFile[] =>
  paths.map((p) => ({ name: basename(p), bytes: new Uint8Array(readFileSync(join(ROOT, p))) }));

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0xffffffff, 0x80000000];

/** Picks a position, favouring headers (start) and zip directories (end), where lengths live. */
function pos(rng: Rng, n: number): number {
  const r = rng.next();
  if (r < 0.4) return rng.int(Math.min(n, 512));
  if (r < 0.7) return Math.max(0, n - 1 - rng.int(Math.min(n, 256)));
  return rng.int(n);
}

function mutate(src: Uint8Array, rng: Rng): Uint8Array {
  if (src.length === 0) return src;
  const kind = rng.int(5);
  if (kind === 0) return src.slice(0, rng.int(src.length)); // truncation
  const b = src.slice();
  const dv = new DataView(b.buffer);
  if (kind === 1) {
    const flips = 1 + rng.int(8);
    for (let i = 0; i < flips; i++) {
      const p = pos(rng, b.length);
      b[p] = b[p]! ^ (1 << rng.int(8));
    }
  } else if (kind === 2) {
    // A lying 16/32-bit length or offset.
    const p = pos(rng, b.length);
    const v = rng.next() < 0.5 ? INTERESTING[rng.int(INTERESTING.length)]! : rng.int(b.length * 2 + 2);
    if (p + 4 <= b.length) dv.setUint32(p, v >>> 0, true);
    else if (p + 2 <= b.length) dv.setUint16(p, v & 0xffff, true);
  } else if (kind === 3) {
    // Edit a decimal number in a text header (safetensors offsets/shapes, npy shape, model.json).
    const head = new TextDecoder('latin1').decode(b.subarray(0, Math.min(b.length, 4096)));
    const nums = [...head.matchAll(/\d+/g)];
    if (nums.length) {
      const m = nums[rng.int(nums.length)]!;
      const repl = String(rng.next() < 0.5 ? INTERESTING[rng.int(INTERESTING.length)] : rng.int(100_000));
      const bytes = new TextEncoder().encode(
        head.slice(0, m.index) + repl + head.slice(m.index! + m[0].length),
      );
      const out = new Uint8Array(bytes.length + b.length - Math.min(b.length, 4096));
      out.set(bytes, 0);
      out.set(b.subarray(Math.min(b.length, 4096)), bytes.length);
      return out;
    }
  } else {
    // Overwrite a run of bytes with random junk.
    const p = pos(rng, b.length);
    const len = 1 + rng.int(16);
    for (let i = p; i < Math.min(b.length, p + len); i++) b[i] = rng.int(256);
  }
  return b;
}

/** Groups readable fixtures by the reader that takes them. */
function byReader(): Map<string, CheckpointFile[][]> {
  const groups = new Map<string, CheckpointFile[][]>();
  for (const e of manifest) {
    const files = load(e.files);
    const r = findReader(files);
    if (!r) continue;
    groups.set(r.id, [...(groups.get(r.id) ?? []), files]);
  }
  return groups;
}

describe('checkpoint fuzzing', () => {
  const groups = byReader();
  it('covers every reader that has a fixture', () => {
    expect([...groups.keys()].sort()).toEqual([
      'json',
      'npy',
      'npz',
      'pytorch',
      'pytorch-legacy',
      'safetensors',
      'safetensors-sharded',
      'tfjs',
    ]);
  });

  for (const [id, fixtures] of groups) {
    it(`${id}: ${PER_READER} mutations throw only CheckpointError`, () => {
      const rng = createRng(0xf022 + id.length);
      let ok = 0;
      let refused = 0;
      for (let i = 0; i < PER_READER; i++) {
        const files = fixtures[i % fixtures.length]!;
        const which = rng.int(files.length);
        const mutated = files.map((f, k) =>
          k === which ? { name: f.name, bytes: mutate(f.bytes, rng) } : f,
        );
        const reader = findReader(mutated);
        try {
          // Call the plug-in directly: the registry's safety net must never be what saves us.
          const c = reader ? reader.read(mutated) : readCheckpoint(mutated);
          toModel(c, inferArchitecture(c), { activation: 'relu' });
          ok++;
        } catch (e) {
          if (!(e instanceof CheckpointError) || e.cause !== undefined) {
            throw new Error(
              `reader ${id}, iteration ${i} (${files[which]!.name}): ${(e as Error).name}: ${(e as Error).message}`,
            );
          }
          refused++;
        }
      }
      expect(ok + refused).toBe(PER_READER);
    });
  }
});
