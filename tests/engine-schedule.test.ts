/**
 * The engine schedule a link carries (spec.trainedOn, engine/experiment/engine-schedule.ts):
 * it survives the URL, older links without it still open (and mean what they meant: the receiver
 * calibrates), a hostile one is refused by name, and it is no part of the members' identity.
 */
import { deflateSync, inflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  ExperimentError,
  decodeExperimentHash,
  defaultExperiment,
  describeSchedule,
  encodeExperiment,
  experimentTrainingHash,
  parseExperiment,
  readHash,
  type ExperimentSpec,
} from '../src/engine/experiment';
import { decodeBase64Url, encodeBase64Url } from '../src/engine/experiment/base64url';

/** The JSON a link holds. */
const linkJson = (hash: string): unknown =>
  JSON.parse(new TextDecoder().decode(inflateSync(decodeBase64Url(hash.slice(3)))));
/** A link from JSON written by hand (an older build, or a hostile one). */
const linkOf = (json: unknown): string =>
  `#x=${encodeBase64Url(deflateSync(new TextEncoder().encode(JSON.stringify(json))))}`;

function switched(): ExperimentSpec {
  const spec = defaultExperiment();
  spec.views.tab = 'paths';
  spec.paths.a = `member:${experimentTrainingHash(spec)}/0`;
  spec.paths.b = `member:${experimentTrainingHash(spec)}/1`;
  spec.trainedOn = {
    population: experimentTrainingHash(spec),
    schedule: [
      { path: 'wasm', layout: 'split', fromStep: 0 },
      { path: 'fused', simd: 'relaxed', fromStep: 137 },
    ],
  };
  return spec;
}

describe('the engine schedule in a link', () => {
  it('round-trips through the URL, written as the only non-default keys it adds', () => {
    const spec = switched();
    const hash = encodeExperiment(spec);
    expect(decodeExperimentHash(hash)).toEqual(spec);
    expect(readHash(hash)).toEqual({ kind: 'spec', spec, notes: [] });
    const json = linkJson(hash) as { trainedOn: unknown };
    expect(json.trainedOn).toEqual(spec.trainedOn);
    // Every kind of path and build, in order.
    spec.trainedOn.schedule = [
      { path: 'fused-webgpu', fromStep: 0 },
      { path: 'webgpu', layout: 'batched', fromStep: 5 },
      { path: 'webgl', layout: 'split', fromStep: 6 },
      { path: 'cpu', layout: 'batched', fromStep: 7 },
      { path: 'fused', simd: 'simd', fromStep: 8 },
    ];
    expect(decodeExperimentHash(encodeExperiment(spec))).toEqual(spec);
    console.log(`[engine-schedule] a switched run's link: ${hash.length} chars`);
  });

  it('is not part of the population identity: member ids stay member:<hash>/<i>', () => {
    const spec = switched();
    expect(experimentTrainingHash(spec)).toBe(experimentTrainingHash(defaultExperiment()));
  });

  it('opens links made before it existed as "no schedule" (the receiver calibrates)', () => {
    const none = { population: null, schedule: [] };
    // A version-3 link of today's shape without the key, a version-2 and a version-0 link.
    const v3 = linkOf({ version: 3, views: { tab: 'paths' }, paths: { a: 'sample:rings-independent-4' } });
    const v2 = linkOf({ version: 2, population: { size: 4 } });
    const v0 = linkOf({ v: 0, n: 3, steps: 100 });
    for (const link of [v3, v2, v0]) {
      const got = readHash(link);
      expect(got.kind).toBe('spec');
      if (got.kind === 'spec') expect(got.spec.trainedOn).toEqual(none);
    }
    expect(encodeExperiment(defaultExperiment())).toBe(linkOf({ version: 3 }));
  });

  it('refuses a schedule that cannot describe a run, naming the field', () => {
    const hash = experimentTrainingHash(defaultExperiment());
    const bad: [unknown, RegExp][] = [
      [{ population: hash, schedule: [{ path: 'wasm', layout: 'split', fromStep: 3 }] }, /step 0/],
      [
        {
          population: hash,
          schedule: [
            { path: 'wasm', layout: 'split', fromStep: 0 },
            { path: 'cpu', layout: 'split', fromStep: 0 },
          ],
        },
        /increasing/,
      ],
      [{ population: hash, schedule: [{ path: 'fused', fromStep: 0 }] }, /SIMD build/],
      [
        { population: hash, schedule: [{ path: 'fused', simd: 'relaxed', layout: 'split', fromStep: 0 }] },
        /layout/,
      ],
      [{ population: hash, schedule: [{ path: 'wasm', fromStep: 0 }] }, /layout/],
      [{ population: hash, schedule: [{ path: 'tpu', fromStep: 0 }] }, /trainedOn\.schedule\[0\]\.path/],
      [{ population: hash, schedule: [] }, /together/],
      [{ population: null, schedule: [{ path: 'cpu', layout: 'split', fromStep: 0 }] }, /together/],
      [{ population: 'not-a-hash', schedule: [] }, /training hash/],
      [
        {
          population: hash,
          schedule: Array.from({ length: 9 }, (_, i) => ({ path: 'cpu', layout: 'split', fromStep: i })),
        },
        /trainedOn\.schedule/,
      ],
    ];
    for (const [trainedOn, why] of bad) {
      let err: unknown = null;
      try {
        parseExperiment({ version: 3, trainedOn });
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(trainedOn)).toBeInstanceOf(ExperimentError);
      expect((err as Error).message).toMatch(why);
    }
  });

  it('reads as the badge names the paths', () => {
    expect(describeSchedule(switched().trainedOn.schedule)).toBe(
      'tfjs wasm (per-model matmuls) from step 0, then fused wasm kernel (relaxed SIMD, FMA) from step 137',
    );
    expect(describeSchedule([{ path: 'fused', simd: 'simd', fromStep: 0 }])).toBe(
      'fused wasm kernel (plain SIMD)',
    );
  });
});
