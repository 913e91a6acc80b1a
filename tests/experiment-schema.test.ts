import { describe, expect, it } from 'vitest';
import {
  EXPERIMENT_VERSION,
  ExperimentError,
  defaultExperiment,
  parseExperiment,
  type ExperimentSpec,
} from '../src/engine/experiment';
import { plainFileName } from '../src/engine/experiment/schema';

/** Runs `f`, asserting it throws an ExperimentError; returns it. */
function rejects(f: () => unknown): ExperimentError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ExperimentError);
    return e as ExperimentError;
  }
  throw new Error('expected an ExperimentError, but nothing was thrown');
}

const RINGS = [
  'sample:rings-independent-1',
  'sample:rings-independent-2',
  'sample:rings-independent-3',
] as const;

describe('experiment schema: defaults', () => {
  it('pins the version-2 defaults (changing one needs a new version and a migration)', () => {
    const expected: ExperimentSpec = {
      version: 3,
      data: { source: { kind: 'sample', id: 'rings' }, size: 32 },
      arch: {
        activation: 'sine',
        hidden: [32, 32, 32],
        w0: 30,
        fourierFeatures: 64,
        fourierSigma: 10,
        outputOffset: 0,
      },
      population: { size: 8, seed: 0, initMode: 'independent' },
      training: { steps: 500, lr: 1e-3, evalEvery: 10 },
      backend: 'auto',
      // Added within version 3: no recorded engine schedule, so the receiver calibrates (as before).
      trainedOn: { population: null, schedule: [] },
      files: [],
      alignment: {
        method: 'weight',
        signed: 'auto',
        reference: 'sample:rings-independent-1',
        models: [],
        seed: 0,
        restarts: 1,
        steSteps: 30,
      },
      paths: {
        a: 'sample:rings-independent-1',
        b: 'sample:rings-independent-2',
        kinds: ['lerp', 'lerp-aligned'],
        points: 25,
        curveSteps: 300,
        curveSeed: 0,
        sweep: { widths: [8, 16, 32, 64, 128, 256], size: 16, layers: 2, steps: 200, pairs: 1 },
      },
      // The Classifiers tab (no link before it carried one, so old links mean what they meant).
      classifier: {
        data: { kind: 'mnist' },
        heldOut: 0.2,
        hidden: [128],
        activation: 'relu',
        optimizer: 'adam',
        lr: 1e-3,
        momentum: 0.9,
        weightDecay: 0,
        schedule: 'constant',
        epochs: 3,
        batch: 128,
        population: 4,
        seed: 0,
        initMode: 'independent',
        fineTune: { classes: '0-4', tasks: '0-4; 5-9', epochs: 2, lr: 1e-3 },
        presets: { last: 'none', epochs: 0, hidden: [], widths: [32, 64, 128, 256, 512], seed: 0 },
      },
      // Added within version 2: an absent recipe means what older links meant (no merge).
      merge: {},
      views: {
        tab: 'train',
        cloud: { aligned: true, dims: 2 },
        landscape: { anchors: [...RINGS], resolution: 21, margin: 0.2 },
        directions: { model: RINGS[0], dims: 1, points: 21, range: 1, seed: 0 },
      },
    };
    expect(EXPERIMENT_VERSION).toBe(3);
    expect(parseExperiment({ version: 3 })).toEqual(expected);
    expect(defaultExperiment()).toEqual(expected);
    // Key order is part of the canonical encoding.
    expect(JSON.stringify(defaultExperiment())).toBe(JSON.stringify(expected));
  });

  it('fills defaults inside partially given sections', () => {
    const s = parseExperiment({
      version: 3,
      arch: { activation: 'relu' },
      views: { landscape: { resolution: 41 } },
    });
    expect(s.arch).toEqual({ ...defaultExperiment().arch, activation: 'relu' });
    expect(s.views.landscape).toEqual({ anchors: [...RINGS], resolution: 41, margin: 0.2 });
    expect(s.views.cloud).toEqual({ aligned: true, dims: 2 });
  });

  it('returns fresh objects: mutating one default does not leak into the next', () => {
    const a = defaultExperiment();
    a.arch.hidden.push(64);
    a.paths.kinds.push('slerp');
    a.views.landscape.anchors[0] = 'sample:x';
    a.files.push({ name: 'x.pt', sha256: 'a'.repeat(64) });
    const b = defaultExperiment();
    expect(b.arch.hidden).toEqual([32, 32, 32]);
    expect(b.paths.kinds).toEqual(['lerp', 'lerp-aligned']);
    expect(b.views.landscape.anchors).toEqual([...RINGS]);
    expect(b.files).toEqual([]);
  });

  it('is idempotent and does not mutate its input', () => {
    const input = { version: 3, population: { size: 3 }, extra: 1 };
    const frozen = JSON.stringify(input);
    const once = parseExperiment(input);
    expect(JSON.stringify(input)).toBe(frozen);
    expect(parseExperiment(once)).toEqual(once);
  });

  it('accepts every bound exactly', () => {
    const lo = parseExperiment({
      version: 3,
      data: { source: { kind: 'mnist', index: 0 }, size: 16 },
      arch: { hidden: [8], w0: 1, fourierFeatures: 0, fourierSigma: 0.01, outputOffset: -10 },
      population: { size: 1, seed: 0 },
      training: { steps: 1, lr: 1e-6, evalEvery: 1 },
      paths: { a: null, b: 'sample:a', kinds: [], points: 3, curveSteps: 0 },
      views: { landscape: { anchors: [null, null, null], resolution: 5, margin: 0 } },
    });
    expect(lo.training.lr).toBe(1e-6);
    const hi = parseExperiment({
      version: 3,
      data: { source: { kind: 'mnist', index: 9999 }, size: 128 },
      arch: {
        hidden: [256, 256, 256, 256, 256],
        w0: 200,
        fourierFeatures: 256,
        fourierSigma: 100,
        outputOffset: 10,
      },
      population: { size: 64, seed: 2 ** 31 - 1 },
      training: { steps: 100000, lr: 1, evalEvery: 1000 },
      alignment: { reference: `member:${'f'.repeat(16)}/63`, seed: 2 ** 31 - 1, steSteps: 500 },
      paths: {
        a: `file:${'F'.repeat(64)}`,
        b: `merge(ties, density=0.5;lambda=1, sample:a, sample:b)`,
        kinds: ['lerp', 'lerp-aligned', 'slerp', 'bezier', 'polychain'],
        points: 101,
        curveSteps: 5000,
      },
      views: {
        cloud: { dims: 3, aligned: false },
        landscape: {
          anchors: ['sample:a', `aligned(sample:b to sample:a, activation, ${2 ** 31 - 1})`, 'sample:c'],
          resolution: 41,
          margin: 1,
        },
      },
    });
    expect(hi.population.size).toBe(64);
    expect(hi.alignment.steSteps).toBe(500);
    expect(hi.paths.a).toBe(`file:${'f'.repeat(64)}`);
    expect(hi.paths.b).toBe('merge(ties, density=0.5;lambda=1, sample:a, sample:b)');
    expect(hi.views.cloud.dims).toBe(3);
  });
});

describe('experiment schema: unknown keys', () => {
  it('drops unknown keys at every level, silently', () => {
    const s = parseExperiment({
      version: 3,
      theme: 'dark',
      arch: { hidden: [16], dropout: 0.5 },
      data: { source: { kind: 'mnist', index: 7, id: 'leftover' }, crop: true },
      files: [{ name: 'a.pt', sha256: 'a'.repeat(64), activation: 'relu', size: 9 }],
      views: { cloud: { colour: 'red' }, landscape: { anchors: [...RINGS].reverse(), zoom: 3 }, extra: {} },
    });
    expect(s).not.toHaveProperty('theme');
    expect(s.arch).not.toHaveProperty('dropout');
    expect(s.data).not.toHaveProperty('crop');
    expect(s.data.source).toEqual({ kind: 'mnist', index: 7 });
    expect(s.files).toEqual([{ name: 'a.pt', sha256: 'a'.repeat(64), activation: 'relu' }]);
    expect(s.views.cloud).toEqual({ aligned: true, dims: 2 });
    expect(s.views).not.toHaveProperty('extra');
    expect(s.views.landscape.anchors).toEqual([...RINGS].reverse());
  });
});

describe('experiment schema: migrations', () => {
  it('migrates a version-0 link field by field', () => {
    const s = parseExperiment({
      v: 0,
      activation: 'relu',
      width: 64,
      depth: 2,
      n: 4,
      seed: 7,
      steps: 1000,
      lr: 0.01,
      image: 'cat',
      old: 1,
    });
    expect(s).toEqual({
      ...defaultExperiment(),
      data: { source: { kind: 'sample', id: 'cat' }, size: 32 },
      arch: { ...defaultExperiment().arch, activation: 'relu', hidden: [64, 64], fourierFeatures: 0 },
      population: { size: 4, seed: 7, initMode: 'independent' },
      training: { steps: 1000, lr: 0.01, evalEvery: 10 },
    });
    expect(s.version).toBe(3);
  });

  it('an all-default version-0 link is the default experiment (with version 1’s 0 Fourier features)', () => {
    const d = defaultExperiment();
    expect(parseExperiment({ v: 0 })).toEqual({ ...d, arch: { ...d.arch, fourierFeatures: 0 } });
  });

  it('names version-0 fields in version-0 errors', () => {
    const e = rejects(() => parseExperiment({ v: 0, width: 4 }));
    expect(e.reason).toBe('invalid');
    expect(e.message).toBe('width must be at least 8 (got 4)');
  });

  it('refuses future and malformed versions', () => {
    expect(rejects(() => parseExperiment({ version: 4 })).message).toContain('made by a newer Weightscope');
    expect(rejects(() => parseExperiment({ version: '1' })).reason).toBe('bad-version');
    expect(rejects(() => parseExperiment({})).message).toContain('no version number');
    // `version` wins over the legacy `v` key.
    expect(parseExperiment({ version: 3, v: 0, width: 64 }).arch.hidden).toEqual([32, 32, 32]);
  });

  it('reads the random-directions model of older links (a workspace position) as an identity', () => {
    // Version 3 pages loaded the sample models first, in manifest order: position 6 was mnist-mlp-1.
    const v3 = parseExperiment({ version: 3, views: { directions: { model: 6, points: 9 } } });
    expect(v3.views.directions).toMatchObject({ model: 'sample:mnist-mlp-1', points: 9 });
    // What sat after the samples depended on the sender's session: not guessed, said.
    const notes: string[] = [];
    expect(
      parseExperiment({ version: 3, views: { directions: { model: 40 } } }, notes).views.directions.model,
    ).toBeNull();
    expect(notes.join()).toMatch(/views\.directions\.model named model #41/);
    // Version 2 links resolve positions after the samples to the population, as for paths.
    const v2 = parseExperiment({ version: 2, views: { directions: { model: 9 } } });
    expect(v2.views.directions.model).toMatch(/^member:[0-9a-f]{16}\/0$/);
    // An identity stays as it is.
    const id = parseExperiment({
      version: 3,
      views: { directions: { model: 'sample:rings-independent-2' } },
    });
    expect(id.views.directions.model).toBe('sample:rings-independent-2');
  });
});

describe('experiment schema: errors', () => {
  it('names the path and the given value', () => {
    const cases: [unknown, string][] = [
      [{ version: 3, population: { size: 1000 } }, 'population.size must be at most 64 (got 1000)'],
      [{ version: 3, arch: { hidden: [32, 4] } }, 'arch.hidden[1] must be at least 8 (got 4)'],
      [
        { version: 3, training: { steps: 2 ** 60 } },
        'training.steps must be at most 100000 (got 1152921504606847000)',
      ],
      [{ version: 3, training: { lr: Number.NaN } }, 'training.lr must be a number (got NaN)'],
      [{ version: 3, arch: { w0: Number.POSITIVE_INFINITY } }, 'arch.w0 must be a number (got Infinity)'],
      [{ version: 3, views: { cloud: { dims: 4 } } }, 'views.cloud.dims must be one of 2, 3 (got 4)'],
      [
        { version: 3, data: { source: { kind: 'ftp' } } },
        "data.source.kind must be one of 'sample', 'mnist', 'file' (got \"ftp\")",
      ],
      [{ version: 3, files: [{ name: 'a.pt' }] }, 'files[0].sha256 is required (a string)'],
      [
        { version: 3, paths: { a: 'sample:A' } },
        'paths.a must be a model id: "sample:A" is not one of sample:<name>, file:<sha256>, member:<16 hex>/<0–63>, aligned(…), merge(…) (got "sample:A")',
      ],
      [{ version: 3, training: { steps: 10n } }, 'training.steps must be a number (got bigint)'],
      [{ version: 3, alignment: { steSteps: 501 } }, 'alignment.steSteps must be at most 500 (got 501)'],
      [{ version: 3, alignment: { steSteps: 0 } }, 'alignment.steSteps must be at least 1 (got 0)'],
      [{ version: 3, alignment: { steSteps: 2.5 } }, 'alignment.steSteps must be a whole number (got 2.5)'],
      [[1, 2], 'An experiment must be a JSON object (got a list of 2 items)'],
    ];
    for (const [input, message] of cases) {
      const e = rejects(() => parseExperiment(input));
      expect(e.message).toBe(message);
    }
  });

  it('lists every problem in details and counts them in the message', () => {
    const e = rejects(() =>
      parseExperiment({ version: 3, population: { size: 0, seed: -1 }, backend: 'tpu' }),
    );
    expect(e.reason).toBe('invalid');
    expect(e.details).toHaveLength(3);
    expect(e.message).toMatch(/\(and 2 more problems\)$/);
  });

  it('cuts long values short in messages', () => {
    const e = rejects(() => parseExperiment({ version: 3, backend: 'x'.repeat(5000) }));
    expect(e.message.length).toBeLessThan(200);
  });

  it('throws only ExperimentError, whatever it is given', () => {
    const cyclic: Record<string, unknown> = { version: 3 };
    cyclic.self = cyclic;
    const getterThrows = { version: 3 };
    Object.defineProperty(getterThrows, 'arch', {
      enumerable: true,
      get: () => {
        throw new TypeError('boom');
      },
    });
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const inputs: unknown[] = [
      undefined,
      null,
      0,
      -1,
      'version',
      true,
      Symbol('x'),
      10n,
      () => 1,
      new Date(0),
      new Map(),
      [],
      cyclic,
      getterThrows,
      revoked.proxy,
      Object.create({ version: 3 }),
      { version: 3, arch: Object.create({ hidden: [8] }) },
      {
        version: 3,
        arch: new (class Arch {
          hidden = [8];
        })(),
      },
      { version: Symbol('1') },
      { version: 3, files: new Array(300) },
      { version: 3, data: { source: [] } },
    ];
    for (const input of inputs) rejects(() => parseExperiment(input));
    expect(rejects(() => parseExperiment(cyclic)).reason).toBe('too-complex');
    expect(rejects(() => parseExperiment(getterThrows)).message).toContain('boom');
  });

  it('accepts null-prototype objects (plain data without a prototype)', () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.version = 3;
    expect(parseExperiment(o)).toEqual(defaultExperiment());
  });
});

describe('experiment schema: prototype pollution', () => {
  it('refuses __proto__, constructor and prototype keys anywhere, and pollutes nothing', () => {
    const texts = [
      '{"version":3,"__proto__":{"polluted":1}}',
      '{"version":3,"arch":{"__proto__":{"polluted":1}}}',
      '{"version":3,"files":[{"name":"a","sha256":"a","constructor":{"prototype":{"polluted":1}}}]}',
      '{"version":3,"views":{"landscape":{"prototype":{"polluted":1}}}}',
    ];
    for (const t of texts) {
      const e = rejects(() => parseExperiment(JSON.parse(t)));
      expect(e.reason).toBe('pollution');
      expect(e.message).toContain('prototype pollution');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps messages short when the author chose long key names', () => {
    const e = rejects(() =>
      parseExperiment(JSON.parse(`{"version":3,"${'k'.repeat(10000)}":{"__proto__":{}}}`)),
    );
    expect(e.reason).toBe('pollution');
    expect(e.message.length).toBeLessThan(200);
  });

  it('allows those words as values', () => {
    const s = parseExperiment({
      version: 3,
      paths: { a: 'sample:constructor' },
      files: [{ name: '__proto__', sha256: 'f'.repeat(64) }],
    });
    expect([s.paths.a, s.files[0]!.name]).toEqual(['sample:constructor', '__proto__']);
  });
});

describe('experiment schema: names and hashes', () => {
  const file = (name: string, sha256 = 'ab'.repeat(32)) => ({
    version: 3,
    files: [{ name, sha256 }],
  });

  it('REJECTS markup, path separators, control and bidi characters in file names (decision)', () => {
    for (const name of [
      '<script>alert(1)</script>.pt',
      'a<img src=x onerror=alert(1)>.pt',
      'x/y.pt',
      'x\\y.pt',
      'a\u0007.pt',
      'a\u202e.pt',
      'a\u2066.pt',
      // C1 controls, zero-width and invisible characters, separators, lookalike slashes (issue #15).
      'a\u0085.pt',
      'a\u009b31m.pt',
      'a\u200b.pt',
      'a\u200d.pt',
      'a\u2060.pt',
      'a\ufeff.pt',
      'a\u2028b.pt',
      'a\u2029b.pt',
      'x\u2215y.pt',
      'x\u2044y.pt',
      'x\uff0fy.pt',
      'x\u29f8y.pt',
      'x\uff3cy.pt',
      'a\ud800.pt',
      'a\u{e0041}.pt',
    ]) {
      const e = rejects(() => parseExperiment(file(name)));
      expect(e.reason).toBe('invalid');
      expect(e.message).toContain('files[0].name must be a plain file name (no markup <>');
    }
  });

  it('accepts ordinary, unicode and punctuation-rich names', () => {
    for (const name of [
      'rings-7.safetensors',
      'my model (v2) & co.pt',
      'modèle_模型 #3.npz',
      'o\'brien "final".pth',
      '🙂.pt',
      'm'.repeat(200),
    ]) {
      expect(parseExperiment(file(name)).files[0]!.name).toBe(name);
    }
  });

  it('makes any dropped name fit for a link: unsafe characters become _, pairs never split', () => {
    expect(plainFileName('a\u0085b\u200b\u2215c\u2028.pt')).toBe('a_b__c_.pt');
    const long = 'm'.repeat(199) + '🙂';
    expect(plainFileName(long)).toBe('m'.repeat(199));
    for (const name of ['a\u009b.pt', 'x\uff0f.pt', long, '\u200b'])
      expect(() => parseExperiment(file(plainFileName(name)))).not.toThrow();
  });

  it('keeps sha256 lower-case whatever case it was given in', () => {
    const s = parseExperiment(file('a.pt', 'AB'.repeat(32)));
    expect(s.files[0]).toEqual({ name: 'a.pt', sha256: 'ab'.repeat(32) });
  });
});
