import { describe, expect, it } from 'vitest';
import {
  decodeExperimentHash,
  defaultExperiment,
  encodeExperiment,
  experimentTrainingHash,
  formatModelId,
  leafIds,
  modelsUsedByView,
  needsTraining,
  parseExperiment,
  parseModelId,
  readHash,
  replayCost,
  LINK_COST_THRESHOLD_GFLOP,
  ModelIdError,
  type ModelId,
} from '../src/engine/experiment';
import { encodeBase64Url } from '../src/engine/experiment/base64url';
import { deflateSync } from 'fflate';

const SHA = 'ab'.repeat(32);
const SHA2 = 'cd'.repeat(32);
const HASH = '0123456789abcdef';

describe('model ids: parse and format', () => {
  const cases: [string, ModelId][] = [
    ['sample:rings-independent-1', { kind: 'sample', name: 'rings-independent-1' }],
    [`file:${SHA}`, { kind: 'file', sha256: SHA }],
    [`member:${HASH}/7`, { kind: 'member', experiment: HASH, index: 7 }],
    [
      `aligned(file:${SHA} to sample:a, weight, 3)`,
      {
        kind: 'aligned',
        model: { kind: 'file', sha256: SHA },
        to: { kind: 'sample', name: 'a' },
        method: 'weight',
        seed: 3,
      },
    ],
    [
      `aligned(member:${HASH}/0 to member:${HASH}/1, activation, 0, signed=off)`,
      {
        kind: 'aligned',
        model: { kind: 'member', experiment: HASH, index: 0 },
        to: { kind: 'member', experiment: HASH, index: 1 },
        method: 'activation',
        seed: 0,
        signed: 'off',
      },
    ],
    [
      'aligned(sample:a to sample:b, ste, 7, signed=on, restarts=4)',
      {
        kind: 'aligned',
        model: { kind: 'sample', name: 'a' },
        to: { kind: 'sample', name: 'b' },
        method: 'ste',
        seed: 7,
        signed: 'on',
        restarts: 4,
      },
    ],
    [
      'aligned(sample:a to sample:b, ste, 0, restarts=2, steps=120)',
      {
        kind: 'aligned',
        model: { kind: 'sample', name: 'a' },
        to: { kind: 'sample', name: 'b' },
        method: 'ste',
        seed: 0,
        restarts: 2,
        steps: 120,
      },
    ],
    [
      `merge(ties, density=0.2;lambda=1.5, sample:base, file:${SHA}, aligned(file:${SHA2} to sample:base, weight, 1))`,
      {
        kind: 'merge',
        method: 'ties',
        params: { density: 0.2, lambda: 1.5 },
        models: [
          { kind: 'sample', name: 'base' },
          { kind: 'file', sha256: SHA },
          {
            kind: 'aligned',
            model: { kind: 'file', sha256: SHA2 },
            to: { kind: 'sample', name: 'base' },
            method: 'weight',
            seed: 1,
          },
        ],
      },
    ],
    [
      'merge(linear, -, sample:a, sample:b)',
      {
        kind: 'merge',
        method: 'linear',
        params: {},
        models: [
          { kind: 'sample', name: 'a' },
          { kind: 'sample', name: 'b' },
        ],
      },
    ],
    [
      'merge(slerp, mode=fast;t=0.5, sample:a)',
      {
        kind: 'merge',
        method: 'slerp',
        params: { mode: 'fast', t: 0.5 },
        models: [{ kind: 'sample', name: 'a' }],
      },
    ],
  ];

  it('reads every form, and formatting gives the same text back', () => {
    for (const [text, id] of cases) {
      expect(parseModelId(text)).toEqual(id);
      expect(formatModelId(id)).toBe(text);
    }
  });

  it('formats canonically: upper-case hex lower-cased, merge parameters sorted', () => {
    expect(formatModelId(parseModelId(`file:${SHA.toUpperCase()}`))).toBe(`file:${SHA}`);
    expect(formatModelId(parseModelId('merge(ties, lambda=1;density=0.5, sample:a)'))).toBe(
      'merge(ties, density=0.5;lambda=1, sample:a)',
    );
  });

  it("STE's step count: the default 30 is left out, so one alignment has one spelling", () => {
    const ste = (steps?: number): ModelId => ({
      kind: 'aligned',
      model: { kind: 'sample', name: 'a' },
      to: { kind: 'sample', name: 'b' },
      method: 'ste',
      seed: 0,
      ...(steps !== undefined ? { steps } : {}),
    });
    expect(formatModelId(ste(30))).toBe('aligned(sample:a to sample:b, ste, 0)');
    expect(formatModelId(ste())).toBe('aligned(sample:a to sample:b, ste, 0)');
    expect(parseModelId('aligned(sample:a to sample:b, ste, 0, steps=30)')).toEqual(ste());
    expect(formatModelId(parseModelId(formatModelId(ste(500))))).toBe(
      'aligned(sample:a to sample:b, ste, 0, steps=500)',
    );
  });

  it('lists the leaves a recipe depends on, once each', () => {
    const id = parseModelId(
      `merge(linear, -, aligned(file:${SHA} to sample:a, weight, 0), sample:a, file:${SHA})`,
    );
    expect(leafIds(id).map(formatModelId)).toEqual([`file:${SHA}`, 'sample:a']);
  });

  it('refuses malformed ids with a message naming what is wrong', () => {
    const bad: [string, RegExp][] = [
      ['', /is not one of/],
      ['sample:Rings', /is not one of/],
      ['sample:../x', /is not one of/],
      [`file:${SHA.slice(2)}`, /is not one of/],
      [`member:${HASH}/64`, /is not one of/],
      ['member:xyz/1', /is not one of/],
      ['mnist:3', /is not one of/],
      ['aligned(sample:a to sample:b, magic, 0)', /method must be weight, activation or ste/],
      ['aligned(sample:a to sample:b, ste, 0, restarts=0)', /restarts must be at least 1/],
      ['aligned(sample:a to sample:b, ste, 0, restarts=17)', /restarts must be a whole number 0–16/],
      ['aligned(sample:a to sample:b, weight, -1)', /seed must be a whole number/],
      ['aligned(sample:a to sample:b, ste, 0, steps=0)', /steps must be at least 1/],
      ['aligned(sample:a to sample:b, ste, 0, steps=501)', /steps must be a whole number 0–500/],
      ['aligned(sample:a to sample:b, ste, 0, steps=x)', /steps must be a whole number/],
      ['aligned(sample:a to sample:b, weight, 0, steps=50)', /steps applies to ste matching only/],
      ['aligned(sample:a to sample:b, ste, 0, steps=50, restarts=2)', /expected "\)"/],
      ['aligned(sample:a sample:b, weight, 0)', /expected " to "/],
      ['aligned(sample:a to sample:b, weight, 0, signed=maybe)', /signed must be on or off/],
      ['merge(ties, -)', /at least one model/],
      ['merge(Ties, -, sample:a)', /is not a name/],
      ['merge(ties, a=1;a=2, sample:a)', /each key once/],
      ['merge(ties, a, sample:a)', /must be key=value/],
      ['sample:a trailing', /unexpected/],
      [`merge(linear, -, ${Array.from({ length: 17 }, () => 'sample:a').join(', ')})`, /at most 16 models/],
      [`${'aligned('.repeat(7)}sample:a${' to sample:b, weight, 0)'.repeat(7)}`, /nest at most 6 deep/],
      ['x'.repeat(2001), /at most 2000 characters/],
    ];
    for (const [text, why] of bad) {
      let err: unknown;
      try {
        parseModelId(text);
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(ModelIdError);
      expect((err as Error).message, text).toMatch(why);
    }
  });
});

describe('experiment version 2: models by identity', () => {
  it('member ids name the training settings, not the views or the backend', () => {
    const a = defaultExperiment();
    const b = defaultExperiment();
    b.views.tab = 'paths';
    b.backend = 'wasm';
    b.paths.points = 51;
    expect(experimentTrainingHash(a)).toBe(experimentTrainingHash(b));
    expect(experimentTrainingHash(a)).toMatch(/^[0-9a-f]{16}$/);
    b.population.seed = 1;
    expect(experimentTrainingHash(a)).not.toBe(experimentTrainingHash(b));
  });

  it('a link asks only for the files its view uses, and trains only when the view uses a member', () => {
    const s = defaultExperiment();
    s.views.tab = 'paths';
    s.paths.a = `file:${SHA}`;
    s.paths.b = `aligned(file:${SHA2} to file:${SHA}, weight, 0)`;
    s.views.landscape.anchors = [`file:${'ee'.repeat(32)}`, null, null];
    expect(modelsUsedByView(s)).toEqual([s.paths.a, s.paths.b]);
    const hash = experimentTrainingHash(s);
    expect(needsTraining(s, hash)).toBe(false);
    s.paths.b = `member:${hash}/1`;
    expect(needsTraining(s, hash)).toBe(true);
    expect(needsTraining(s, '0'.repeat(16))).toBe(false);
  });

  it('a spec with file answers round-trips through a link', () => {
    const s = defaultExperiment();
    s.views.tab = 'paths';
    s.paths.a = `file:${SHA}`;
    s.files = [{ name: 'a.pt', sha256: SHA, activation: 'relu', w0: 30, outputOffset: 0.5 }];
    expect(decodeExperimentHash(encodeExperiment(s))).toEqual(s);
  });
});

describe('experiment migration 1 → 2: positions become ids', () => {
  const link = (json: unknown) =>
    '#x=' + encodeBase64Url(deflateSync(new TextEncoder().encode(JSON.stringify(json))));

  it('maps each position to what a version-1 replay put there: samples, the population, the named files', () => {
    const v1 = {
      version: 1,
      population: { size: 2 },
      models: [
        { kind: 'sample', id: 'rings' },
        { kind: 'file', name: 'a.pt', sha256: SHA },
        { kind: 'file', name: 'b.pt', sha256: SHA2 },
      ],
      alignment: { reference: 9 },
      paths: { a: 6, b: 12 },
      views: { tab: 'paths', landscape: { anchors: [0, 10, 11] } },
    };
    const r = readHash(link(v1));
    expect(r.kind).toBe('spec');
    if (r.kind !== 'spec') return;
    const hash = experimentTrainingHash(r.spec);
    expect(r.spec.version).toBe(3);
    expect(r.spec.arch.fourierFeatures).toBe(0); // version 1's default, kept
    expect(r.spec.alignment.reference).toBe(`member:${hash}/0`);
    expect(r.spec.paths.a).toBe('sample:mnist-mlp-1');
    expect(r.spec.paths.b).toBe(`file:${SHA2}`);
    expect(r.spec.views.landscape.anchors).toEqual([
      'sample:rings-independent-1',
      `member:${hash}/1`,
      `file:${SHA}`,
    ]);
    expect(r.spec.files).toEqual([
      { name: 'a.pt', sha256: SHA },
      { name: 'b.pt', sha256: SHA2 },
    ]);
    expect(r.notes).toEqual([]);
  });

  it('a position that cannot be known becomes "not chosen", with a note, never a guess', () => {
    const r = readHash(link({ version: 1, population: { size: 1 }, paths: { a: 0, b: 40 } }));
    expect(r.kind).toBe('spec');
    if (r.kind !== 'spec') return;
    expect(r.spec.paths.a).toBe('sample:rings-independent-1');
    expect(r.spec.paths.b).toBeNull();
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]).toMatch(/paths\.b named model #41 .* pick it again/);
  });

  it('the version-1 default link is the version-2 default with 0 Fourier features', () => {
    const d = defaultExperiment();
    expect(parseExperiment({ version: 1 })).toEqual({ ...d, arch: { ...d.arch, fourierFeatures: 0 } });
  });
});

describe('link cost', () => {
  it('the default experiment replays at once; a huge one asks first', () => {
    const d = defaultExperiment();
    expect(replayCost(d, true).gflop).toBeLessThan(LINK_COST_THRESHOLD_GFLOP);
    const huge = parseExperiment({
      version: 3,
      data: { size: 128 },
      arch: { hidden: [256, 256, 256, 256, 256] },
      population: { size: 64 },
      training: { steps: 100000 },
    });
    const c = replayCost(huge, true);
    expect(c.gflop).toBeGreaterThan(1e6);
    expect(c.lines[0]).toMatch(/train 64 models of .* parameters on a 128×128 image for 100,000 steps/);
    // STE's steps scale its estimate and are named in what the link will run.
    const ste = (steSteps: number) => {
      const s = parseExperiment({
        version: 3,
        views: { tab: 'align' },
        alignment: { method: 'ste', steSteps },
      });
      return replayCost(s, false);
    };
    expect(ste(300).gflop).toBeCloseTo(10 * ste(30).gflop, 6);
    expect(ste(300).lines[0]).toBe('align 1 model (ste matching, 300 steps)');
    // Paths between dropped files trains nothing: cheap however large the training settings are.
    expect(replayCost({ ...huge, views: { ...huge.views, tab: 'paths' } }, false).gflop).toBeLessThan(1);
  });
});
