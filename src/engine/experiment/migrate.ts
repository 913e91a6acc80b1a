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
export const EXPERIMENT_VERSION = 3;

/** What a migration may need from the schema, and where it reports what it could not carry over. */
export interface MigrationContext {
  /** Human-readable notes for the receiver ("paths.b named position 12, which …"). */
  notes?: string[];
  /** The `member:` hash of a (version-3 shaped) raw experiment, defaults filled in. */
  trainingHashOf: (raw: Raw) => string | null;
}

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
 * v1 → v2: the random-directions view (`views.directions`), the width sweep (`paths.sweep`) and
 * the Classifiers tab (`classifier`) joined the schema. A v1 link never set them, so it gets their
 * defaults, which are the settings those views started with before v2 (the Classifiers tab did
 * not exist, so nothing a v1 link meant changes).
 */
function fromV1(raw: Raw): Raw {
  return { ...raw, version: 2 };
}

/**
 * The workspace order every version-1 and -2 page had: the sample models of public/models/manifest.json
 * (as they were when version 1 was current) at positions 0–8, then the link's own population (the
 * replay trained it), then the files the link named, in the order it named them.
 */
const V1_SAMPLES = [
  'rings-independent-1',
  'rings-independent-2',
  'rings-independent-3',
  'rings-independent-4',
  'rings-shared-init-1',
  'rings-shared-init-2',
  'mnist-mlp-1',
  'mnist-mlp-2',
  'mnist-mlp-3',
];

const isObj = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * v2 → v3: models were positions in the workspace; now they are ids. A position is mapped to what
 * a version-1/2 replay put there (V1_SAMPLES, then the population, then the named files); anything
 * else cannot be known and becomes null ("not chosen") with a note saying so, never a guess.
 * The old default of 0 Fourier features is kept explicit (version 3's default is 64).
 */
function fromV2(raw: Raw, ctx: MigrationContext): Raw {
  const out: Raw = { ...raw, version: 3 };
  const arch = isObj(raw.arch) ? { ...raw.arch } : {};
  if (arch.fourierFeatures === undefined) arch.fourierFeatures = 0;
  out.arch = arch;
  delete out.models;
  const refs = Array.isArray(raw.models) ? raw.models : [];
  const files = refs.filter((m): m is Raw => isObj(m) && m.kind === 'file' && typeof m.sha256 === 'string');
  if (files.length > 0) out.files = files.map((f) => ({ name: f.name, sha256: f.sha256 }));
  const resolve = positionResolver(out, files, ctx);
  if (isObj(raw.alignment) && 'reference' in raw.alignment)
    out.alignment = {
      ...raw.alignment,
      reference: resolve('alignment.reference', raw.alignment.reference),
    };
  if (isObj(raw.paths))
    out.paths = {
      ...raw.paths,
      ...('a' in raw.paths ? { a: resolve('paths.a', raw.paths.a) } : {}),
      ...('b' in raw.paths ? { b: resolve('paths.b', raw.paths.b) } : {}),
    };
  if (isObj(raw.views) && isObj(raw.views.landscape) && Array.isArray(raw.views.landscape.anchors)) {
    const anchors = raw.views.landscape.anchors.map((a, i) => resolve(`views.landscape.anchors[${i}]`, a));
    out.views = { ...raw.views, landscape: { ...raw.views.landscape, anchors } };
  }
  return directionsModelByIdentity(out, resolve);
}

/**
 * Maps a workspace position to what a version-1/2 replay put there (V1_SAMPLES, then the
 * population, then the named files); anything else becomes null with a note, never a guess.
 */
function positionResolver(out: Raw, files: Raw[], ctx: MigrationContext) {
  const population = isObj(out.population) ? out.population : {};
  const size = typeof population.size === 'number' ? population.size : 8;
  const hash = ctx.trainingHashOf(out);
  return (where: string, v: unknown): unknown => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return v;
    if (v < V1_SAMPLES.length) return `sample:${V1_SAMPLES[v]}`;
    const member = v - V1_SAMPLES.length;
    if (member < size && hash) return `member:${hash}/${member}`;
    const file = files[member - size];
    if (file) return `file:${String(file.sha256).toLowerCase()}`;
    ctx.notes?.push(
      `${where} named model #${v + 1} of the sender's workspace; links of this version named models by position, and that position cannot be known here: pick it again`,
    );
    return null;
  };
}

/** `views.directions.model` as an identity, resolved from a position if the link wrote one. */
function directionsModelByIdentity(out: Raw, resolve: (where: string, v: unknown) => unknown): Raw {
  const views = out.views;
  if (!isObj(views) || !isObj(views.directions) || typeof views.directions.model !== 'number') return out;
  const model = resolve('views.directions.model', views.directions.model);
  return { ...out, views: { ...views, directions: { ...views.directions, model } } };
}

/**
 * Version-3 links written before `views.directions.model` became an identity hold a workspace
 * position there. Version 3 pages loaded the sample models first, in V1_SAMPLES order, so positions
 * 0-8 are those samples; what sat after them depended on the sender's session and cannot be known.
 * Migrated in place (no version bump): the schema's key only gained a meaning.
 */
function fromV3Position(raw: Raw, ctx: MigrationContext): Raw {
  return directionsModelByIdentity(raw, positionResolver(raw, [], { ...ctx, trainingHashOf: () => null }));
}

/** MIGRATIONS[n] lifts a version-n object to version n + 1. */
const MIGRATIONS: Readonly<Record<number, (raw: Raw, ctx: MigrationContext) => Raw>> = {
  0: fromV0,
  1: fromV1,
  2: fromV2,
};

/**
 * Reads the version of an untrusted (already structurally guarded) value and migrates it to
 * EXPERIMENT_VERSION. Throws ExperimentError 'invalid' for a non-object and 'bad-version' for a
 * missing, malformed or newer version. The result still needs schema validation.
 */
export function migrateToCurrent(input: unknown, ctx: MigrationContext): Raw {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ExperimentError('invalid', `An experiment must be a JSON object (got ${describeValue(input)})`);
  }
  let raw = input as Raw;
  let version = readVersion(raw);
  while (version < EXPERIMENT_VERSION) {
    const step = MIGRATIONS[version];
    if (!step)
      throw new ExperimentError('bad-version', `Experiment version ${version} is no longer supported`);
    raw = step(raw, ctx);
    version++;
  }
  return fromV3Position(raw, ctx);
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
