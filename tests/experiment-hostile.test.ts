import { readFileSync } from 'node:fs';
import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { buildHostileLinks, type HostileLink } from '../scripts/make-hostile-links';
import {
  ExperimentError,
  MAX_ENCODED_CHARS,
  decodeExperimentHash,
  defaultExperiment,
  encodeExperiment,
  readHash,
  type ExperimentErrorReason,
} from '../src/engine/experiment';
import { decodeBase64Url, encodeBase64Url } from '../src/engine/experiment/base64url';
import { createRng } from '../src/engine/rng';

const FIXTURE = new URL('./fixtures/hostile-links.json', import.meta.url);
const links = JSON.parse(readFileSync(FIXTURE, 'utf8')) as HostileLink[];

const REASONS: readonly ExperimentErrorReason[] = [
  'not-experiment',
  'too-long',
  'bad-base64',
  'bad-deflate',
  'too-large',
  'too-complex',
  'bad-json',
  'bad-version',
  'invalid',
  'pollution',
];

/** Decodes, returning the error (or the spec when it was accepted). */
function attempt(hash: string): unknown {
  try {
    return decodeExperimentHash(hash);
  } catch (e) {
    return e;
  }
}

describe('hostile links (tests/fixtures/hostile-links.json)', () => {
  it('has at least 60 links, uniquely named, covering every reason code', () => {
    expect(links.length).toBeGreaterThanOrEqual(60);
    expect(new Set(links.map((l) => l.name)).size).toBe(links.length);
    expect(new Set(links.map((l) => l.reason))).toEqual(new Set(REASONS));
  });

  it('is reproduced exactly by scripts/make-hostile-links.ts', () => {
    expect(buildHostileLinks()).toEqual(links);
  });

  it('bombs are under the encoded cap but inflate past the inflated cap', () => {
    const bombs = links.filter((l) => l.reason === 'too-large');
    expect(bombs.length).toBeGreaterThanOrEqual(3);
    for (const b of bombs) expect(b.hash.length - 3).toBeLessThanOrEqual(MAX_ENCODED_CHARS);
  });

  for (const link of links) {
    it(`refuses: ${link.name}`, () => {
      const e = attempt(link.hash);
      expect(e, 'must be an ExperimentError').toBeInstanceOf(ExperimentError);
      const err = e as ExperimentError;
      expect({ reason: err.reason, message: err.message }).toEqual({
        reason: link.reason,
        message: expect.stringContaining(link.message),
      });
      expect(err.name).toBe('ExperimentError');
      expect(err.details.length).toBeGreaterThanOrEqual(1);
      const r = readHash(link.hash);
      if (link.reason === 'not-experiment') expect(r).toEqual({ kind: 'none' });
      else expect(r).toMatchObject({ kind: 'error', error: { reason: link.reason } });
    });
  }
});

describe('mutated links never escape as anything but ExperimentError', () => {
  const base = encodeExperiment({
    ...defaultExperiment(),
    files: [{ name: 'a.pt', sha256: 'c'.repeat(64), activation: 'relu' }],
  });
  const payload = base.slice(3);
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

  it('character edits, truncations and byte flips (seeded, 600 cases)', () => {
    const rng = createRng(99);
    const seen = new Set<string>();
    for (let i = 0; i < 600; i++) {
      let hash: string;
      const kind = i % 3;
      if (kind === 0) {
        const chars = [...payload];
        for (let k = 0; k <= rng.int(3); k++) chars[rng.int(chars.length)] = ALPHABET[rng.int(64)]!;
        hash = '#x=' + chars.join('');
      } else if (kind === 1) {
        hash = base.slice(0, 3 + rng.int(payload.length));
      } else {
        const bytes = decodeBase64Url(payload);
        bytes[rng.int(bytes.length)]! ^= 1 << rng.int(8);
        hash = '#x=' + encodeBase64Url(bytes);
      }
      const r = attempt(hash);
      if (r instanceof Error) {
        expect(r).toBeInstanceOf(ExperimentError);
        seen.add((r as ExperimentError).reason);
      } else {
        seen.add('accepted');
      }
    }
    // The edits reach several stages, not just the first one.
    expect(seen.size).toBeGreaterThanOrEqual(3);
  });

  it('valid deflate of mutated JSON text (seeded, 300 cases)', () => {
    const rng = createRng(1234);
    const text = JSON.stringify(defaultExperiment());
    const junk = [
      '{',
      '}',
      '[',
      ']',
      '"',
      ':',
      ',',
      '-',
      '1e309',
      'null',
      '__proto__',
      '\\u0000',
      '\uD800',
      '9'.repeat(30),
    ];
    for (let i = 0; i < 300; i++) {
      let t = text;
      for (let k = 0; k <= rng.int(4); k++) {
        const at = rng.int(t.length);
        t = t.slice(0, at) + junk[rng.int(junk.length)]! + t.slice(at + rng.int(3));
      }
      const hash = '#x=' + encodeBase64Url(deflateSync(new TextEncoder().encode(t)));
      const r = attempt(hash);
      if (r instanceof Error) expect(r).toBeInstanceOf(ExperimentError);
    }
  });
});
