/**
 * Experiment versions and the migrations between them. A link keeps working after the schema
 * changes: each migration lifts version n to n + 1, and they chain up to the current version
 * (the `version` + `migrate` pattern of zustand's persisted stores).
 *
 * Version 0 is the flat shape of the first prototype:
 * `{ v: 0, activation, width, depth, n, seed, steps, lr, image }` (an MLP of `depth` hidden
 * layers of `width` units, `n` models trained on the sample image `image`).
 */
import { z } from 'zod';
import './zod-jitless';
import { ExperimentError } from './errors';
import { describeValue, throwIssues } from './issues';

/** The version this build writes, and the newest it reads. */
export const EXPERIMENT_VERSION = 2;

type Raw = Record<string, unknown>;

/** The v0 shape, validated on its own keys so errors name what the old link actually holds. */
const legacyV0 = z.object({
  v: z.literal(0),
  activation: z.enum(['sine', 'relu', 'tanh', 'gelu']).default('sine'),
  width: z.int().min(8).max(256).default(32),
  depth: z.int().min(1).max(5).default(3),
  n: z.int().min(1).max(64).default(8),
  seed: z
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(0),
  steps: z.int().min(1).max(100000).default(500),
  lr: z.number().min(1e-6).max(1).default(1e-3),
  image: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/, { error: 'must be a sample id (1 to 64 of a-z, 0-9, -)' })
    .default('rings'),
});

/** v0 → v1: flat keys move into sections; depth × width becomes the hidden-width list. */
function fromV0(raw: Raw): Raw {
  const r = legacyV0.safeParse(raw);
  if (!r.success) throwIssues('invalid', r.error.issues, raw);
  const o = r.data;
  return {
    version: 1,
    data: { source: { kind: 'sample', id: o.image } },
    arch: { activation: o.activation, hidden: Array.from({ length: o.depth }, () => o.width) },
    population: { size: o.n, seed: o.seed },
    training: { steps: o.steps, lr: o.lr },
  };
}

/**
 * v1 → v2: the random-directions view (`views.directions`) and the width sweep (`paths.sweep`)
 * joined the schema. A v1 link never set them, so it gets their defaults, which are the settings
 * those views started with before v2.
 */
function fromV1(raw: Raw): Raw {
  return { ...raw, version: 2 };
}

/** MIGRATIONS[n] lifts a version-n object to version n + 1. */
const MIGRATIONS: Readonly<Record<number, (raw: Raw) => Raw>> = { 0: fromV0, 1: fromV1 };

/**
 * Reads the version of an untrusted (already structurally guarded) value and migrates it to
 * EXPERIMENT_VERSION. Throws ExperimentError 'invalid' for a non-object and 'bad-version' for a
 * missing, malformed or newer version. The result still needs schema validation.
 */
export function migrateToCurrent(input: unknown): Raw {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ExperimentError('invalid', `An experiment must be a JSON object (got ${describeValue(input)})`);
  }
  let raw = input as Raw;
  let version = readVersion(raw);
  while (version < EXPERIMENT_VERSION) {
    const step = MIGRATIONS[version];
    if (!step)
      throw new ExperimentError('bad-version', `Experiment version ${version} is no longer supported`);
    raw = step(raw);
    version++;
  }
  return raw;
}

function readVersion(raw: Raw): number {
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(raw, k);
  // Version 0 wrote its version as `v`; every later version writes `version`.
  const key = has('version') ? 'version' : has('v') ? 'v' : null;
  if (key === null) {
    throw new ExperimentError(
      'bad-version',
      `The experiment has no version number (expected "version": ${EXPERIMENT_VERSION})`,
    );
  }
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new ExperimentError('bad-version', `${key} must be a whole number (got ${describeValue(v)})`);
  }
  if (key === 'v' && v !== 0) {
    throw new ExperimentError(
      'bad-version',
      `Unknown legacy experiment version v=${v} (only v=0 used that key)`,
    );
  }
  if (v > EXPERIMENT_VERSION) {
    throw new ExperimentError(
      'bad-version',
      `This link was made by a newer Weightscope (experiment version ${v}); this one reads up to version ${EXPERIMENT_VERSION}. Update the app to open it.`,
    );
  }
  return v;
}
