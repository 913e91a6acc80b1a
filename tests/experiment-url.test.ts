import { deflateSync, inflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  ACTIVATIONS,
  BACKENDS,
  ExperimentError,
  HASH_PREFIX,
  MAX_ENCODED_CHARS,
  MAX_INFLATED_BYTES,
  PATH_KINDS,
  PRESETS,
  VIEW_TABS,
  ENGINE_PATHS,
  decodeExperimentHash,
  defaultExperiment,
  encodeExperiment,
  parseExperiment,
  readHash,
  type DataSource,
  type ExperimentSpec,
  type FileModel,
} from '../src/engine/experiment';
import { decodeBase64Url, encodeBase64Url } from '../src/engine/experiment/base64url';
import { inflateCapped } from '../src/engine/experiment/url';
import { createRng, type Rng } from '../src/engine/rng';

// ---- a seeded generator of random VALID experiments, edges included ----------------------------

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)]!;
/** Integer in [lo, hi], hitting each bound a fifth of the time. */
function intIn(rng: Rng, lo: number, hi: number): number {
  const r = rng.next();
  if (r < 0.1) return lo;
  if (r < 0.2) return hi;
  return lo + rng.int(hi - lo + 1);
}
/** Float in [lo, hi]: bounds, round numbers, log-uniform or uniform (full double precision). */
function numIn(rng: Rng, lo: number, hi: number): number {
  const r = rng.next();
  if (r < 0.1) return lo;
  if (r < 0.2) return hi;
  // `+ 0` turns −0 (Math.round of a small negative) into 0: JSON has no −0, so links never carry it.
  if (r < 0.3) return Math.min(hi, Math.max(lo, Math.round(rng.uniform(lo, hi)))) + 0;
  if (r < 0.6 && lo > 0) return Math.min(hi, Math.exp(rng.uniform(Math.log(lo), Math.log(hi))));
  return rng.uniform(lo, hi);
}
const ID_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789-';
/** Safe file-name characters, unicode included (no < > / \ controls or bidi). */
const NAME_CHARS = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._-()[]&#\'"!@%+=,;éüß模型ж',
  '🙂',
];
function str(rng: Rng, chars: readonly string[] | string, min: number, max: number): string {
  const n = intIn(rng, min, max);
  let s = '';
  while (s.length < n) {
    const c = pick(rng, typeof chars === 'string' ? [...chars] : chars);
    if (s.length + c.length <= max) s += c;
    else s += 'a';
  }
  return s;
}
const hex = (rng: Rng) => Array.from({ length: 64 }, () => '0123456789abcdef'[rng.int(16)]).join('');
const sampleRef = (rng: Rng) => ({
  kind: 'sample' as const,
  id: str(rng, ID_CHARS, 1, rng.next() < 0.9 ? 12 : 64),
});
const fileRef = (rng: Rng) => ({
  kind: 'file' as const,
  name: str(rng, NAME_CHARS, 1, rng.next() < 0.9 ? 30 : 200),
  sha256: hex(rng),
});

function randomSource(rng: Rng): DataSource {
  const k = rng.int(3);
  if (k === 0) return sampleRef(rng);
  if (k === 1) return { kind: 'mnist', index: intIn(rng, 0, 9999) };
  return fileRef(rng);
}

function randomFiles(rng: Rng): FileModel[] {
  const r = rng.next();
  const n = r < 0.3 ? 0 : r < 0.9 ? intIn(rng, 1, 6) : intIn(rng, 7, 20);
  return Array.from({ length: n }, () => {
    const { name, sha256 } = fileRef(rng);
    if (rng.next() < 0.3) return { name, sha256 };
    return {
      name,
      sha256,
      activation: pick(rng, ACTIVATIONS),
      w0: numIn(rng, 1, 200),
      outputOffset: numIn(rng, -10, 10),
    };
  });
}

/** A random model id in canonical form: a leaf, or (rarely) an aligned or merge recipe. */
function randomId(rng: Rng, depth = 0): string {
  const r = rng.next();
  if (depth < 2 && r < 0.1)
    return `aligned(${randomId(rng, depth + 1)} to ${randomId(rng, depth + 1)}, ${pick(rng, ['weight', 'activation'] as const)}, ${intIn(rng, 0, 2 ** 31 - 1)})`;
  if (depth < 2 && r < 0.15)
    return `merge(ties, density=0.5;lambda=1, ${randomId(rng, depth + 1)}, ${randomId(rng, depth + 1)})`;
  if (r < 0.5) return `sample:${sampleRef(rng).id}`;
  if (r < 0.75) return `file:${hex(rng)}`;
  return `member:${hex(rng).slice(0, 16)}/${intIn(rng, 0, 63)}`;
}

function randomSpec(rng: Rng): ExperimentSpec {
  const idx = () => (rng.next() < 0.05 ? null : randomId(rng));
  const seed = () => intIn(rng, 0, 2 ** 31 - 1);
  const spec: Omit<ExperimentSpec, 'merge' | 'trainedOn'> = {
    version: 3,
    data: { source: randomSource(rng), size: intIn(rng, 16, 128) },
    arch: {
      activation: pick(rng, ACTIVATIONS),
      hidden: Array.from({ length: intIn(rng, 1, 5) }, () => intIn(rng, 8, 256)),
      w0: numIn(rng, 1, 200),
      fourierFeatures: intIn(rng, 0, 256),
      fourierSigma: numIn(rng, 0.01, 100),
      outputOffset: numIn(rng, -10, 10),
    },
    population: {
      size: intIn(rng, 1, 64),
      seed: seed(),
      initMode: pick(rng, ['independent', 'shared'] as const),
    },
    training: { steps: intIn(rng, 1, 100000), lr: numIn(rng, 1e-6, 1), evalEvery: intIn(rng, 1, 1000) },
    backend: pick(rng, BACKENDS),
    files: randomFiles(rng),
    alignment: {
      method: pick(rng, ['weight', 'activation', 'ste'] as const),
      signed: pick(rng, ['auto', 'on', 'off'] as const),
      reference: idx(),
      models: rng.next() < 0.7 ? [] : Array.from({ length: intIn(rng, 1, 4) }, () => randomId(rng)),
      seed: seed(),
      restarts: intIn(rng, 1, 16),
      steSteps: intIn(rng, 1, 500),
    },
    paths: {
      a: idx(),
      b: idx(),
      kinds: shuffled(rng, PATH_KINDS).slice(0, rng.int(PATH_KINDS.length + 1)),
      points: intIn(rng, 3, 101),
      curveSteps: intIn(rng, 0, 5000),
      curveSeed: seed(),
      sweep: {
        widths: Array.from({ length: intIn(rng, 1, 10) }, () => intIn(rng, 2, 512)),
        size: intIn(rng, 8, 64),
        layers: intIn(rng, 1, 5),
        steps: intIn(rng, 1, 5000),
        pairs: intIn(rng, 1, 8),
      },
    },
    classifier: {
      data: rng.next() < 0.5 ? { kind: 'mnist' as const } : fileRef(rng),
      heldOut: numIn(rng, 0.05, 0.5),
      hidden: Array.from({ length: intIn(rng, 1, 6) }, () => intIn(rng, 8, 1024)),
      activation: pick(rng, ['relu', 'gelu', 'tanh'] as const),
      optimizer: pick(rng, ['adam', 'sgd'] as const),
      lr: numIn(rng, 1e-6, 10),
      momentum: numIn(rng, 0, 0.999),
      weightDecay: numIn(rng, 0, 1),
      schedule: pick(rng, ['constant', 'cosine'] as const),
      epochs: intIn(rng, 1, 1000),
      batch: intIn(rng, 1, 65536),
      population: intIn(rng, 1, 32),
      seed: seed(),
      initMode: pick(rng, ['independent', 'shared'] as const),
      fineTune: { classes: '0-4', tasks: '1,3; 2-7', epochs: intIn(rng, 1, 100), lr: numIn(rng, 1e-6, 10) },
      presets: {
        last: pick(rng, PRESETS),
        epochs: intIn(rng, 0, 100),
        hidden: Array.from({ length: intIn(rng, 0, 6) }, () => intIn(rng, 8, 1024)),
        widths: Array.from({ length: intIn(rng, 1, 8) }, () => intIn(rng, 8, 1024)),
        seed: seed(),
      },
    },
    views: {
      tab: pick(rng, VIEW_TABS),
      cloud: { aligned: rng.next() < 0.5, dims: pick(rng, [2, 3] as const) },
      landscape: { anchors: [idx(), idx(), idx()], resolution: intIn(rng, 5, 41), margin: numIn(rng, 0, 1) },
      directions: {
        model: idx(),
        dims: pick(rng, [1, 2] as const),
        points: intIn(rng, 3, 41),
        range: numIn(rng, 0.01, 10),
        seed: seed(),
      },
    },
  };
  // Drawn last, so the other keys see the same random stream as before merge and trainedOn existed.
  const { views, ...rest } = spec;
  const merge = randomMerge(rng);
  return { ...rest, trainedOn: randomTrainedOn(rng), merge, views };
}

/** Sometimes the engine schedule that trained the population: 1 to 4 stretches of any path. */
function randomTrainedOn(rng: Rng): ExperimentSpec['trainedOn'] {
  if (rng.next() < 0.5) return { population: null, schedule: [] };
  let fromStep = 0;
  const schedule = Array.from({ length: intIn(rng, 1, 4) }, (_, i) => {
    fromStep = i === 0 ? 0 : fromStep + intIn(rng, 1, 5000);
    const path = pick(rng, ENGINE_PATHS);
    if (path === 'fused') return { path, simd: pick(rng, ['relaxed', 'simd'] as const), fromStep };
    if (path === 'fused-webgpu') return { path, fromStep };
    return { path, layout: pick(rng, ['split', 'batched'] as const), fromStep };
  });
  return { population: hex(rng).slice(0, 16), schedule };
}

/** Sometimes a merge recipe (models by identity) and a sweep, in the schema's key order. */
function randomMerge(rng: Rng): ExperimentSpec['merge'] {
  if (rng.next() < 0.5) return {};
  const id = (): string => (rng.next() < 0.5 ? `sample:${str(rng, ID_CHARS, 1, 12)}` : `file:${hex(rng)}`);
  const models = Array.from({ length: intIn(rng, 1, 4) }, id);
  return {
    recipe: {
      method: 'ties',
      base: id(),
      models,
      params: { density: numIn(rng, 0.01, 1), lambda: [numIn(rng, -2, 2) + 0, numIn(rng, -2, 2) + 0] },
      align:
        rng.next() < 0.5
          ? null
          : {
              matching: pick(rng, ['weight', 'activation', 'ste'] as const),
              reference: id(),
              seed: intIn(rng, 0, 99),
            },
      repair: rng.next() < 0.5,
    },
    sweep: {
      param: pick(rng, ['lambda', 'weight'] as const),
      index: intIn(rng, 0, 3),
      from: numIn(rng, -2, 0) + 0,
      to: numIn(rng, 0, 2),
      points: intIn(rng, 2, 41),
    },
  };
}

/** A shuffled copy (Fisher–Yates), so the order of `paths.kinds` varies too. */
function shuffled<T>(rng: Rng, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The same data with every object's keys in a shuffled order. */
function shuffleKeys(v: unknown, rng: Rng): unknown {
  if (Array.isArray(v)) return v.map((x) => shuffleKeys(x, rng));
  if (v === null || typeof v !== 'object') return v;
  const entries = Object.entries(v);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return Object.fromEntries(entries.map(([k, x]) => [k, shuffleKeys(x, rng)]));
}

const CASES = 600;

describe('experiment URL: round trips', () => {
  it(`random valid specs survive spec → URL → spec exactly (${CASES} seeded cases)`, () => {
    const rng = createRng(20240611);
    let longest = 0;
    for (let i = 0; i < CASES; i++) {
      const spec = randomSpec(rng);
      expect(parseExperiment(spec)).toEqual(spec); // the generator only makes valid specs
      const hash = encodeExperiment(spec);
      expect(hash.startsWith(HASH_PREFIX)).toBe(true);
      expect(hash).toMatch(/^#x=[A-Za-z0-9_-]+$/);
      const back = decodeExperimentHash(hash);
      expect(back).toEqual(spec);
      // Doubles survive bit for bit (JSON keeps the shortest round-tripping decimal).
      expect(Object.is(back.training.lr, spec.training.lr)).toBe(true);
      expect(Object.is(back.arch.outputOffset, spec.arch.outputOffset)).toBe(true);
      // Deterministic and canonical: same spec, a re-parse, or shuffled key order → same link.
      expect(encodeExperiment(structuredClone(spec))).toBe(hash);
      expect(encodeExperiment(back)).toBe(hash);
      expect(encodeExperiment(shuffleKeys(spec, rng) as ExperimentSpec)).toBe(hash);
      expect(readHash(hash)).toEqual({ kind: 'spec', spec, notes: [] });
      longest = Math.max(longest, hash.length);
    }
    console.log(`[experiment-url] ${CASES} random specs round-tripped; longest link ${longest} chars`);
  });

  it('the default experiment gives a short link', () => {
    const hash = encodeExperiment(defaultExperiment());
    console.log(`[experiment-url] default experiment link: ${hash.length} chars`);
    expect(hash.length).toBeLessThan(40);
    expect(decodeExperimentHash(hash)).toEqual(defaultExperiment());
  });

  it('writes only what differs from the defaults; unions and lists whole', () => {
    const json = (hash: string) =>
      JSON.parse(new TextDecoder().decode(inflateSync(decodeBase64Url(hash.slice(3)))));
    expect(json(encodeExperiment(defaultExperiment()))).toEqual({ version: 3 });
    const s = defaultExperiment();
    s.data.source = { kind: 'sample', id: 'cat' };
    s.arch.hidden = [32, 32];
    s.views.landscape.margin = 0.5;
    s.paths.kinds = ['lerp-aligned', 'lerp'];
    expect(json(encodeExperiment(s))).toEqual({
      version: 3,
      data: { source: { kind: 'sample', id: 'cat' } },
      arch: { hidden: [32, 32] },
      paths: { kinds: ['lerp-aligned', 'lerp'] },
      views: { landscape: { margin: 0.5 } },
    });
    expect(decodeExperimentHash(encodeExperiment(s))).toEqual(s);
  });

  it('different experiments give different links', () => {
    const a = defaultExperiment();
    const b = defaultExperiment();
    b.population.seed = 1;
    expect(encodeExperiment(a)).not.toBe(encodeExperiment(b));
  });

  it('drops unknown keys on the way in and out', () => {
    const withExtra = {
      ...defaultExperiment(),
      theme: 'dark',
      arch: { ...defaultExperiment().arch, dropout: 0.1 },
    };
    expect(encodeExperiment(withExtra as ExperimentSpec)).toBe(encodeExperiment(defaultExperiment()));
    const text = JSON.stringify({ version: 3, junk: [1, 2, 3], views: { tab: 'cloud', nope: { a: 1 } } });
    const hash = HASH_PREFIX + encodeBase64Url(deflateSync(new TextEncoder().encode(text)));
    const spec = decodeExperimentHash(hash);
    expect(spec).toEqual({ ...defaultExperiment(), views: { ...defaultExperiment().views, tab: 'cloud' } });
  });

  it('opens a version-0 link as the migrated experiment', () => {
    const text = JSON.stringify({
      v: 0,
      activation: 'tanh',
      width: 16,
      depth: 4,
      n: 2,
      seed: 3,
      steps: 50,
      lr: 0.1,
      image: 'cat',
    });
    const spec = decodeExperimentHash(
      HASH_PREFIX + encodeBase64Url(deflateSync(new TextEncoder().encode(text))),
    );
    expect(spec.version).toBe(3);
    expect(spec.arch.hidden).toEqual([16, 16, 16, 16]);
    expect(spec.arch.activation).toBe('tanh');
    expect(spec.population).toEqual({ size: 2, seed: 3, initMode: 'independent' });
    expect(spec.data.source).toEqual({ kind: 'sample', id: 'cat' });
  });

  it('refuses to encode what a receiver would refuse', () => {
    const rng = createRng(7);
    const huge = defaultExperiment();
    huge.files = Array.from({ length: 64 }, () => ({
      name: str(rng, NAME_CHARS, 200, 200),
      sha256: hex(rng),
    }));
    let err: unknown;
    try {
      encodeExperiment(huge);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExperimentError);
    expect((err as ExperimentError).reason).toBe('too-long');
    const bad = defaultExperiment();
    bad.population.size = 65;
    expect(() => encodeExperiment(bad)).toThrow('population.size must be at most 64 (got 65)');
  });
});

describe('experiment URL: readHash', () => {
  it('treats hashes without #x= as no experiment', () => {
    for (const h of ['', '#', '#tab=cloud', '#X=abc', 'x=abc']) expect(readHash(h)).toEqual({ kind: 'none' });
  });

  it('returns, not throws, a failed decode', () => {
    const r = readHash('#x=!!');
    expect(r.kind).toBe('error');
    if (r.kind === 'error') {
      expect(r.error).toBeInstanceOf(ExperimentError);
      expect(r.error.reason).toBe('bad-base64');
    }
  });
});

describe('experiment URL: base64url and capped inflation', () => {
  it('base64url round-trips random bytes and matches Node’s encoder', () => {
    const rng = createRng(5);
    for (let n = 1; n < 200; n++) {
      const bytes = Uint8Array.from({ length: n }, () => rng.int(256));
      const text = encodeBase64Url(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64url'));
      expect(decodeBase64Url(text)).toEqual(bytes);
    }
  });

  it('stops inflating a bomb at the cap, before reading the rest of it', () => {
    const bomb = deflateSync(new Uint8Array(8 * 1024 * 1024), { level: 9 });
    expect(() => inflateCapped(bomb, MAX_INFLATED_BYTES)).toThrow(/more than 262144 bytes/);
    // Corrupt the second half: a full inflate would hit it and say 'bad-deflate'; stopping at
    // the cap means it is never read.
    const tampered = bomb.slice();
    tampered.fill(0xff, tampered.length >> 1);
    let err: unknown;
    try {
      inflateCapped(tampered, MAX_INFLATED_BYTES);
    } catch (e) {
      err = e;
    }
    expect((err as ExperimentError).reason).toBe('too-large');
    // The same corrupt tail with a cap it never reaches is a deflate error.
    expect(() => inflateCapped(tampered, Number.MAX_SAFE_INTEGER)).toThrow(/corrupt or cut short/);
  });

  it('inflates exactly at the cap', () => {
    const data = new Uint8Array(MAX_INFLATED_BYTES).fill(32);
    const out = inflateCapped(deflateSync(data), MAX_INFLATED_BYTES);
    expect(Buffer.compare(Buffer.from(out), Buffer.from(data))).toBe(0);
  });

  it('caps the encoded length before decoding anything', () => {
    expect(MAX_ENCODED_CHARS).toBe(16384);
    const e = (() => {
      try {
        decodeExperimentHash(HASH_PREFIX + '!'.repeat(MAX_ENCODED_CHARS + 1));
      } catch (x) {
        return x as ExperimentError;
      }
      throw new Error('not refused');
    })();
    expect(e.reason).toBe('too-long');
  });
});
