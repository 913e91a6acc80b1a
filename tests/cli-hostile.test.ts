/**
 * The CLI's input boundary on hostile inputs (issue #15, items 3 and 9): the size is checked
 * before anything is read, only regular files are read (a device or a FIFO is refused at once,
 * never read forever or waited on), and images are held to the app's caps before decoding.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { npy, npyHeader, pngHeader } from '../scripts/hostile/bytes';
import { cli, ROOT } from './helpers/cli';

const FIX = path.join(ROOT, 'tests/fixtures/checkpoints');
const dir = mkdtempSync(path.join(tmpdir(), 'ws-cli-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function refused(args: string[], message: RegExp): Promise<void> {
  const r = await cli(...args);
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.code).not.toBe(-1); // killed by the hang detector
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(message);
}

describe('CLI input files', () => {
  it('refuses /dev/zero instead of reading it forever', async () => {
    await refused(['inspect', '/dev/zero'], /not a regular file/);
  });

  it('refuses a FIFO instead of waiting for a writer', async () => {
    const fifo = path.join(dir, 'pipe.pt');
    execFileSync('mkfifo', [fifo]);
    await refused(['inspect', fifo], /not a regular file/);
  });

  it('refuses a 1.5 GB file by its size, before reading it', async () => {
    const big = path.join(dir, 'big.safetensors');
    writeFileSync(big, '');
    truncateSync(big, 1.5 * 2 ** 30); // sparse: no disk, and reading it would take 1.5 GB
    await refused(['inspect', big], /is 1\.5 GB; the limit for an input file is 1 GB/);
  });

  it('refuses a directory and a missing file by name', async () => {
    await refused(['inspect', dir], /is a directory/);
    await refused(['inspect', path.join(dir, 'nope.pt')], /no such file/);
  });

  it('refuses a hostile checkpoint with the limit it passes', async () => {
    await refused(
      ['inspect', path.join(ROOT, 'tests/fixtures/hostile/pt-300k-memoize/memo.pt')],
      /limit maxPickleMemo/,
    );
  });
});

describe('CLI images: the app caps, before decoding', () => {
  const png = path.join(dir, 'huge.png');
  writeFileSync(png, pngHeader(20000, 20000));
  const arr = path.join(dir, 'huge.npy');
  writeFileSync(arr, npy(npyHeader('<f4', [9000, 9000]), new Uint8Array(0)));

  it('train-inr refuses a 20000² PNG from its header', async () => {
    await refused(
      ['train-inr', '--image', png, '--seed', '1', '--steps', '1', '--out', path.join(dir, 'o.safetensors')],
      /20000×20000 px; the largest accepted is 8192×8192/,
    );
  });

  it('barrier --data refuses it too', async () => {
    const m = path.join(FIX, 'mlp_relu.pt');
    await refused(['barrier', m, m, '--data', png], /20000×20000 px/);
  });

  it('an image .npy is held to the same caps from its header', async () => {
    const m = path.join(FIX, 'mlp_relu.pt');
    await refused(['barrier', m, m, '--data', arr], /9000|more elements/);
  });
});

describe('CLI settings: the ranges an import accepts', () => {
  it('train-inr refuses a w0, Fourier features or a depth that its own output could not be read back with', async () => {
    const img = path.join(ROOT, 'public/samples/rings.png');
    const out = path.join(dir, 'x.safetensors');
    const base = ['train-inr', '--image', img, '--seed', '1', '--steps', '1', '--out', out];
    await refused([...base, '--w0', '500'], /--w0 must be at most 200/);
    await refused([...base, '--arch', 'relu', '--fourier', '1000'], /--fourier must be at most 256/);
    await refused([...base, '--hidden', Array(70).fill(4).join(',')], /at most 64 linear layers/);
  });
});
