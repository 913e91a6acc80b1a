import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  archFromMetadata,
  CheckpointError,
  inferArchitecture,
  readCheckpoint,
  toModel,
  type CheckpointContents,
  type CheckpointFile,
  type ModelOptions,
} from '../src/engine/checkpoints';
import { ZipArchive } from '../src/engine/checkpoints/zip';
import {
  ImageInputError,
  MAX_IMAGE_PIXELS,
  MAX_IMAGE_SIDE,
  readImageHeader,
} from '../src/engine/image-header';
import { createRng, type Rng } from '../src/engine/rng';
import {
  asTorchZip,
  mutatePickle,
  mutateZip,
  pick,
  randomImage,
  randomNpy,
  randomSafetensors,
  randomTfjs,
} from './hostile/mutators';

/**
 * Structure-aware fuzzing (issue #15), beside the byte-level fuzz of checkpoints-fuzz.test.ts:
 * 10,000 seeded cases per reader, each mutated where its reader parses (pickle opcodes inside a
 * zip with valid CRCs, zip directory records, .npy header literals, safetensors entries and
 * metadata, tfjs manifests, JPEG/GIF markers). Whatever the input, the boundary either reads a
 * consistent result or throws its own error class, never anything else (a RangeError, a stack
 * overflow, a TypeError); a failure names the seed and case that reproduce it.
 */

const CASES = 10_000;
const fixture = (p: string): Uint8Array => new Uint8Array(readFileSync(`tests/fixtures/checkpoints/${p}`));

let reads = 0;

/** What the app and the CLI do with dropped files, checking the result is self-consistent. */
function importFiles(files: CheckpointFile[]): CheckpointContents {
  const c = readCheckpoint(files);
  reads++;
  for (const t of c.tensors) {
    const values = t.data ?? t.intData;
    if (values && values.length !== t.shape.reduce((a, b) => a * b, 1))
      throw new Error(`tensor ${t.name}: ${values.length} values for shape [${t.shape.join(', ')}]`);
  }
  const inf = inferArchitecture(c);
  const meta = archFromMetadata(c.metadata) ?? {};
  const opts: ModelOptions = { activation: meta.activation ?? 'relu' };
  if (meta.w0 !== undefined) opts.w0 = meta.w0;
  if (meta.outputOffset !== undefined) opts.outputOffset = meta.outputOffset;
  if (meta.encoding && inf.encodingTensor) opts.encoding = meta.encoding;
  toModel(c, inf, opts);
  return c;
}

/**
 * Runs `CASES` cases; any error other than `allowed` fails with the case number. Returns how many
 * were read (not refused by the reader), so a test can show its mutations still reach the inside.
 */
function fuzz(
  seed: number,
  make: (rng: Rng) => CheckpointFile[],
  run = importFiles,
  allowed: abstract new (...args: never[]) => Error = CheckpointError,
) {
  const rng = createRng(seed);
  reads = 0;
  let ok = 0;
  for (let i = 0; i < CASES; i++) {
    const files = make(rng);
    try {
      run(files);
      ok++;
    } catch (e) {
      if (!(e instanceof allowed) || (e as Error).cause !== undefined)
        throw new Error(`seed ${seed}, case ${i}: ${(e as Error).name}: ${(e as Error).message}`);
    }
  }
  return run === importFiles ? reads : ok;
}

describe('structure-aware fuzzing', () => {
  it('pickle opcode streams (inside valid torch zips)', () => {
    const zip = new ZipArchive(fixture('mlp_relu.pt'));
    const pkl = zip.read(zip.entries.find((e) => e.name.endsWith('data.pkl'))!).slice();
    const storages = zip.entries
      .filter((e) => e.name.includes('/data/'))
      .map((e) => ({ name: e.name.slice(e.name.lastIndexOf('/') + 1), data: zip.read(e).slice() }));
    // The unmutated seed reads: the mutations start from a valid stream.
    expect(importFiles([{ name: 'm.pt', bytes: asTorchZip(pkl, storages) }]).tensors).toHaveLength(6);
    const ok = fuzz(0x5eed01, (rng) => [
      { name: 'm.pt', bytes: asTorchZip(mutatePickle(pkl, rng), storages) },
    ]);
    expect(ok).toBeGreaterThan(100);
  });

  it('zip central directories (torch and NumPy archives)', () => {
    const seeds = ['mlp_relu.pt', 'mlp_relu.npz', 'mlp_relu_compressed.npz'].map((n) => ({
      name: n,
      bytes: fixture(n),
    }));
    const ok = fuzz(0x5eed02, (rng) => {
      const s = pick(rng, seeds);
      let b = s.bytes;
      for (let k = 1 + rng.int(3); k > 0; k--) b = mutateZip(b, rng);
      return [{ name: s.name, bytes: b }];
    });
    expect(ok).toBeGreaterThan(100);
  });

  it('.npy header literals', () => {
    expect(fuzz(0x5eed03, (rng) => [{ name: 'a.npy', bytes: randomNpy(rng) }])).toBeGreaterThan(100);
  });

  it('safetensors headers and metadata', () => {
    expect(
      fuzz(0x5eed04, (rng) => [{ name: 'a.safetensors', bytes: randomSafetensors(rng) }]),
    ).toBeGreaterThan(0);
  });

  it('TensorFlow.js manifests', () => {
    expect(fuzz(0x5eed05, (rng) => randomTfjs(rng))).toBeGreaterThan(100);
  });

  it('image headers (JPEG markers, GIF blocks)', () => {
    fuzz(
      0x5eed06,
      (rng) => [{ name: 'i', bytes: randomImage(rng) }],
      (files) => {
        const h = readImageHeader(files[0]!.bytes);
        if (h.width > MAX_IMAGE_SIDE || h.height > MAX_IMAGE_SIDE || h.width * h.height > MAX_IMAGE_PIXELS)
          throw new Error(`accepted ${h.width}×${h.height}`);
        return { format: h.format, tensors: [], metadata: {} };
      },
      ImageInputError,
    );
  });
});
