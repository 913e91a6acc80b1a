/**
 * What a zoo is fitted to: MNIST digits chosen per class (the DWSNets MNIST-INR setting: one
 * SIREN per digit image), or one image repeated under many seeds. Pure; the fitting itself runs
 * in ../tf/zoo-fit.ts.
 */
import { MNIST_CLASSES, MNIST_COUNT, MNIST_PIXELS, mnistClassIndices } from '../data/mnist';
import { createRng, randomPermutation } from '../rng';
import { ZooError } from './types';

/** One image to fit: row-major [size, size, channels] in [0, 1], its label and provenance. */
export interface ZooTarget {
  pixels: Float32Array;
  label: number;
  /** Index in the source (the MNIST digit's index; the seed's number for a seeds zoo). */
  sourceIndex: number;
}

/** A set of targets sharing one grid. */
export interface ZooTargets {
  height: number;
  width: number;
  channels: number;
  targets: ZooTarget[];
  source: string;
  labelNames: string[];
}

/**
 * Area resampling of a square grayscale image from `from`×`from` to `to`×`to`: each output pixel
 * averages the source pixels it covers, weighted by overlap, so a 28→14 downsample is a 2×2 mean.
 */
export function resampleSquare(src: ArrayLike<number>, from: number, to: number): Float32Array {
  if (from === to) return Float32Array.from(src);
  const weights: { i: number; w: number }[][] = [];
  for (let o = 0; o < to; o++) {
    const a = (o * from) / to;
    const b = ((o + 1) * from) / to;
    const row: { i: number; w: number }[] = [];
    for (let i = Math.floor(a); i < Math.min(from, Math.ceil(b)); i++)
      row.push({ i, w: (Math.min(b, i + 1) - Math.max(a, i)) / (b - a) });
    weights.push(row);
  }
  const out = new Float32Array(to * to);
  for (let r = 0; r < to; r++)
    for (let c = 0; c < to; c++) {
      let s = 0;
      for (const wr of weights[r]!) for (const wc of weights[c]!) s += wr.w * wc.w * src[wr.i * from + wc.i]!;
      out[r * to + c] = s;
    }
  return out;
}

/**
 * `perClass` digits of each class in `classes` from the packed MNIST file (data/mnist.ts),
 * chosen by a seeded shuffle within each class, resampled to `size`×`size`; targets come class
 * by class.
 */
export function mnistTargets(
  bin: Uint8Array,
  opts: { perClass: number; seed: number; size?: number; classes?: number[] },
): ZooTargets {
  const size = opts.size ?? 28;
  const classes = opts.classes ?? Array.from({ length: MNIST_CLASSES }, (_, c) => c);
  if (!Number.isInteger(opts.perClass) || opts.perClass < 1)
    throw new ZooError(`per-class count must be a positive integer, got ${opts.perClass}`);
  if (!Number.isInteger(size) || size < 2 || size > 28)
    throw new ZooError(`MNIST INR size must be 2…28 pixels, got ${size}`);
  const byClass = mnistClassIndices(bin);
  const rng = createRng(opts.seed);
  const targets: ZooTarget[] = [];
  for (const c of classes) {
    const ids = byClass[c];
    if (!ids) throw new ZooError(`MNIST has no class ${c}`);
    if (opts.perClass > ids.length)
      throw new ZooError(`MNIST holds ${ids.length} digits of class ${c}; asked for ${opts.perClass}`);
    const order = randomPermutation(ids.length, rng);
    for (let j = 0; j < opts.perClass; j++) {
      const idx = ids[order[j]!]!;
      const px = new Float32Array(MNIST_PIXELS);
      for (let p = 0; p < MNIST_PIXELS; p++) px[p] = bin[MNIST_COUNT + idx * MNIST_PIXELS + p]! / 255;
      targets.push({ pixels: resampleSquare(px, 28, size), label: c, sourceIndex: idx });
    }
  }
  return {
    height: size,
    width: size,
    channels: 1,
    targets,
    source: 'mnist',
    labelNames: Array.from({ length: MNIST_CLASSES }, (_, c) => String(c)),
  };
}

/**
 * One image fitted `count` times from different seeds (label 0 for all; each member's seed is
 * its `sourceIndex`): a zoo in which every difference between members is symmetry and init.
 */
export function seedTargets(
  image: { height: number; width: number; channels: number; data: Float32Array },
  count: number,
  name: string,
): ZooTargets {
  if (!Number.isInteger(count) || count < 2)
    throw new ZooError(`a seeds zoo needs at least 2 members, got ${count}`);
  return {
    height: image.height,
    width: image.width,
    channels: image.channels,
    targets: Array.from({ length: count }, (_, k) => ({ pixels: image.data, label: 0, sourceIndex: k })),
    source: `seeds:${name}`,
    labelNames: [name],
  };
}
