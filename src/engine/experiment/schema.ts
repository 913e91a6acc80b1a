/**
 * The experiment spec, version 3: everything needed to replay an experiment (data, architecture,
 * seeds, population, training, alignment, paths and the width sweep, views and their settings).
 * Every key has a default, so `parseExperiment({ version: 3 })` is the default experiment; every number is bounded and every
 * string is length-capped; unknown keys are dropped.
 *
 * Defaults are part of the version: changing one changes what old links mean, so it needs a new
 * version and a migration (migrate.ts), and tests pin the default spec.
 */
import { z } from 'zod';
import './zod-jitless';
import { ACTIVATIONS, type Activation } from '../model';
import { guardValue } from './guard';
import { mergeViewSchema, modelIdSchema } from './merge-schema';
import { throwIssues } from './issues';
import { EXPERIMENT_VERSION, migrateToCurrent } from './migrate';
import { MAX_RESTARTS } from './model-id';
import { DEFAULT_STE_STEPS, MAX_STE_STEPS } from '../merge/matching-name';
import { trainingHash } from './training-hash';
import { trainedOnSchema } from './engine-schedule';

/** The largest seed a spec holds (a non-negative int32). */
export const MAX_SEED = 2 ** 31 - 1;
const int = (lo: number, hi: number) => z.int().min(lo).max(hi);
const num = (lo: number, hi: number) => z.number().min(lo).max(hi);
const seed = () => int(0, MAX_SEED).default(0);
/**
 * A model by identity (model-id.ts), canonicalised; null means "not chosen" (what a migrated
 * link holds where its old position could not be resolved).
 */
const modelId = () => modelIdSchema.nullable();

const sampleId = z
  .string()
  .regex(/^[a-z0-9-]{1,64}$/, { error: 'must be a sample id (1 to 64 of a-z, 0-9, -)' });

/**
 * A dropped file's name, shown to the receiver ("drop rings-7.safetensors"). Markup (`<`, `>`),
 * path separators and their lookalikes (fraction, division and fullwidth slashes…), C0 and C1
 * control characters, line and paragraph separators, zero-width and other invisible characters,
 * bidi controls and unpaired surrogates are REJECTED: a real file name from a drop has none, and a
 * name that spoofs its display is an attack. (The UI renders text only, so this is defence in
 * depth, not the only line.)
 */
const fileName = z
  .string()
  .min(1)
  .max(200)
  .refine((s) => !hasUnsafeNameChar(s), {
    error:
      'must be a plain file name (no markup <>, slashes or lookalike slashes, control, invisible or bidi characters)',
  });

/** Characters that draw as a slash or backslash without being one. */
const LOOKALIKE_SLASHES = new Set([
  0x2044, 0x2215, 0x2216, 0x2571, 0x2572, 0x27cb, 0x27cd, 0x29f5, 0x29f8, 0x29f9, 0xfe68, 0xff0f, 0xff3c,
]);

function unsafeNameChar(c: number): boolean {
  return (
    c < 0x20 || // C0 controls
    (c >= 0x7f && c <= 0x9f) || // DEL and C1 controls (U+0085 NEL, U+009B CSI…)
    c === 0x3c ||
    c === 0x3e ||
    c === 0x2f ||
    c === 0x5c ||
    LOOKALIKE_SLASHES.has(c) ||
    c === 0xad || // soft hyphen
    c === 0x061c || // Arabic letter mark
    c === 0x115f ||
    c === 0x1160 ||
    c === 0x3164 || // Hangul fillers: blank letters
    c === 0x180e || // Mongolian vowel separator
    (c >= 0x200b && c <= 0x200f) || // zero-width space/joiners, LRM, RLM
    (c >= 0x2028 && c <= 0x202e) || // line/paragraph separators, bidi embeddings and overrides
    (c >= 0x2060 && c <= 0x206f) || // word joiner, invisible operators, bidi isolates, deprecated format
    c === 0xfeff || // zero-width no-break space (BOM)
    (c >= 0xfff9 && c <= 0xfffb) || // interlinear annotation
    c === 0xfffe ||
    c === 0xffff ||
    (c >= 0xd800 && c <= 0xdfff) || // an unpaired surrogate (pairs arrive as one code point)
    (c >= 0xe0000 && c <= 0xe007f) // tag characters
  );
}

function hasUnsafeNameChar(s: string): boolean {
  for (const ch of s) if (unsafeNameChar(ch.codePointAt(0)!)) return true;
  return false;
}

/** A dropped file's name made fit for a link: unsafe characters become '_', at most 200 long. */
export function plainFileName(name: string): string {
  let out = '';
  for (const ch of name) {
    const safe = unsafeNameChar(ch.codePointAt(0)!) ? '_' : ch;
    // Cut at 200 UTF-16 units without splitting a surrogate pair (which the schema would refuse).
    if (out.length + safe.length > 200) break;
    out += safe;
  }
  return out.length > 0 ? out : 'file';
}

/** SHA-256 of the file's bytes, hex; read in either case and kept lower-case. */
const sha256 = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, { error: 'must be a SHA-256 digest (64 hex digits)' })
  .transform((s) => s.toLowerCase());

const sampleRef = z.object({ kind: z.literal('sample'), id: sampleId });
const fileRef = z.object({ kind: z.literal('file'), name: fileName, sha256 });

/** Where the target image comes from. */
export const dataSourceSchema = z.discriminatedUnion('kind', [
  sampleRef,
  z.object({ kind: z.literal('mnist'), index: int(0, 9999) }),
  fileRef,
]);

/**
 * What classifiers are scored on, when the person chose it: the shipped MNIST subset, or a
 * dropped dataset `.npz` by name + content hash (the receiver is asked to drop it). Absent means
 * "derive it from the model" (an INR's image, MNIST for 784 → 10 models), so v1 links without it
 * mean what they always meant.
 */
export const scoreSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('mnist') }),
  fileRef,
]);

/**
 * A dropped checkpoint the shared view uses (`file:<sha256>` in a model id): its name, to ask the
 * receiver for it, and the answers its bytes cannot carry, so the receiver is not asked again.
 * Absent answers (links migrated from version 1) are asked for.
 */
export const fileModelSchema = z.object({
  name: fileName,
  sha256,
  activation: z.enum(['sine', 'relu', 'tanh', 'gelu']).optional(),
  w0: num(1, 200).optional(),
  outputOffset: num(-10, 10).optional(),
});

export const BACKENDS = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
export const PATH_KINDS = ['lerp', 'lerp-aligned', 'lerp-repair', 'slerp', 'bezier', 'polychain'] as const;
export const VIEW_TABS = [
  'train',
  'models',
  'align',
  'paths',
  'merge',
  'cloud',
  'landscape',
  'zoo',
  'classifier',
] as const;
export const PRESETS = ['none', 'rebasin', 'widths', 'repair', 'soup'] as const;

const widthList = (lo: number, hi: number) => z.array(int(8, 1024)).min(lo).max(hi);

/**
 * The Classifier lab: what a population of MLP classifiers trains on and how (engine/classifier
 * settings), the fine-tuning fields, and the replication presets' sizes. `presets.last` is the
 * preset a link replays ('none': the training).
 */
const classifierSchema = z
  .object({
    data: scoreSourceSchema.default(() => ({ kind: 'mnist' as const })),
    heldOut: num(0.05, 0.5).default(0.2),
    hidden: widthList(1, 6).default(() => [128]),
    activation: z.enum(['relu', 'gelu', 'tanh']).default('relu'),
    optimizer: z.enum(['adam', 'sgd']).default('adam'),
    lr: num(1e-6, 10).default(1e-3),
    momentum: num(0, 0.999).default(0.9),
    weightDecay: num(0, 1).default(0),
    schedule: z.enum(['constant', 'cosine']).default('constant'),
    epochs: int(1, 1000).default(3),
    batch: int(1, 65536).default(128),
    population: int(1, 32).default(4),
    seed: seed(),
    initMode: z.enum(['independent', 'shared']).default('independent'),
    fineTune: z
      .object({
        classes: z.string().max(200).default('0-4'),
        tasks: z.string().max(200).default('0-4; 5-9'),
        epochs: int(1, 100).default(2),
        lr: num(1e-6, 10).default(1e-3),
      })
      .prefault({}),
    presets: z
      .object({
        last: z.enum(PRESETS).default('none'),
        epochs: int(0, 100).default(0),
        hidden: z
          .array(int(8, 1024))
          .max(6)
          .default(() => []),
        widths: widthList(1, 8).default(() => [32, 64, 128, 256, 512]),
        seed: seed(),
      })
      .prefault({}),
  })
  .prefault({});

/** What the defaults point at: the first three sample SIRENs (what positions 0, 1, 2 were in version 1). */
const DEFAULT_MODELS: [string, string, string] = [
  'sample:rings-independent-1',
  'sample:rings-independent-2',
  'sample:rings-independent-3',
];

/** The experiment schema (version 3). Object defaults are prefaults, so inner defaults fill in. */
export const experimentSchema = z.object({
  version: z.literal(EXPERIMENT_VERSION),
  data: z
    .object({
      source: dataSourceSchema.default(() => ({ kind: 'sample' as const, id: 'rings' })),
      size: int(16, 128).default(32),
      score: scoreSourceSchema.optional(),
    })
    .prefault({}),
  arch: z
    .object({
      activation: z.enum(ACTIVATIONS).default('sine'),
      hidden: z
        .array(int(8, 256))
        .min(1)
        .max(5)
        .default(() => [32, 32, 32]),
      w0: num(1, 200).default(30),
      fourierFeatures: int(0, 256).default(64),
      fourierSigma: num(0.01, 100).default(10),
      outputOffset: num(-10, 10).default(0),
    })
    .prefault({}),
  population: z
    .object({
      size: int(1, 64).default(8),
      seed: seed(),
      initMode: z.enum(['independent', 'shared']).default('independent'),
    })
    .prefault({}),
  training: z
    .object({
      steps: int(1, 100000).default(500),
      lr: num(1e-6, 1).default(1e-3),
      evalEvery: int(1, 1000).default(10),
    })
    .prefault({}),
  backend: z.enum(BACKENDS).default('auto'),
  /**
   * The engine paths that trained the view's members (engine-schedule.ts), so the receiver trains
   * on the same ones; not part of the members' identity. Absent in older links: they calibrate.
   */
  trainedOn: trainedOnSchema,
  files: z
    .array(fileModelSchema)
    .max(64)
    .refine((f) => new Set(f.map((x) => x.sha256)).size === f.length, { error: 'must not list a file twice' })
    .default(() => []),
  alignment: z
    .object({
      /** Weight, activation or STE matching (Git Re-Basin Alg. 1, Sec. 3.1, Alg. 3). */
      method: z.enum(['weight', 'activation', 'ste']).default('weight'),
      signed: z.enum(['auto', 'on', 'off']).default('auto'),
      reference: modelId().default(DEFAULT_MODELS[0]),
      /** The models the sender aligned (empty: the next model of the reference's architecture). */
      models: z
        .array(modelId().unwrap())
        .max(64)
        .default(() => []),
      seed: seed(),
      /** Restarts (seeds seed … seed+n−1); the best objective is kept. */
      restarts: int(1, MAX_RESTARTS).default(1),
      /** STE's gradient steps per model and restart (used when method is ste). */
      steSteps: int(1, MAX_STE_STEPS).default(DEFAULT_STE_STEPS),
    })
    .prefault({}),
  paths: z
    .object({
      a: modelId().default(DEFAULT_MODELS[0]),
      b: modelId().default(DEFAULT_MODELS[1]),
      kinds: z
        .array(z.enum(PATH_KINDS))
        .max(PATH_KINDS.length)
        .refine((k) => new Set(k).size === k.length, { error: 'must not list a path kind twice' })
        .default((): PathKind[] => ['lerp', 'lerp-aligned']),
      points: int(3, 101).default(25),
      curveSteps: int(0, 5000).default(300),
      curveSeed: seed(),
      /** The width-sweep preset (v2): two SIRENs per hidden width, barrier before and after alignment. */
      sweep: z
        .object({
          widths: z
            .array(int(2, 512))
            .min(1)
            .max(10)
            .default(() => [8, 16, 32, 64, 128, 256]),
          /** Image side in pixels (the experiment's image, resized). */
          size: int(8, 64).default(16),
          layers: int(1, 5).default(2),
          steps: int(1, 5000).default(200),
          /** Independent pairs per width (seeds), for a mean and spread; 1 is the pre-existing sweep. */
          pairs: int(1, 8).default(1),
        })
        .prefault({}),
    })
    .prefault({}),
  classifier: classifierSchema,
  /** The Merge tab: the recipe (models by identity) and the sweep (merge-schema.ts). */
  merge: mergeViewSchema,
  views: z
    .object({
      tab: z.enum(VIEW_TABS).default('train'),
      cloud: z
        .object({ aligned: z.boolean().default(true), dims: z.literal([2, 3]).default(2) })
        .prefault({}),
      landscape: z
        .object({
          anchors: z
            .tuple([modelId(), modelId(), modelId()])
            .default((): [string, string, string] => [...DEFAULT_MODELS]),
          resolution: int(5, 41).default(21),
          margin: num(0, 1).default(0.2),
        })
        .prefault({}),
      /** Random filter-normalised directions around one model (v2; Li et al. 2018). */
      directions: z
        .object({
          /** The model by identity (links that wrote a workspace position are migrated: migrate.ts). */
          model: modelId().default(DEFAULT_MODELS[0]),
          dims: z.literal([1, 2]).default(1),
          /** Points per axis. */
          points: int(3, 41).default(21),
          /** Coordinates span [−range, range] in units of the filter-normalised direction. */
          range: num(0.01, 10).default(1),
          seed: seed(),
        })
        .prefault({}),
    })
    .prefault({}),
});

/** A complete, validated experiment (every key present). */
export type ExperimentSpec = z.output<typeof experimentSchema>;
/** Where the target image comes from. */
export type DataSource = ExperimentSpec['data']['source'];
/** What classifiers are scored on, when chosen (absent: derived from the model). */
export type ScoreSource = z.output<typeof scoreSourceSchema>;
/** A dropped checkpoint the spec uses, with the import answers its file cannot carry. */
export type FileModel = ExperimentSpec['files'][number];
export type BackendChoice = (typeof BACKENDS)[number];
export type PathKind = (typeof PATH_KINDS)[number];
export type ViewTab = (typeof VIEW_TABS)[number];
export { ACTIVATIONS, type Activation };

/**
 * Validates an untrusted value (parsed JSON, stored state) into a complete experiment: refuses
 * pollution keys and oversized shapes, migrates old versions, fills defaults, drops unknown keys.
 * Throws ExperimentError naming the bad field, e.g. "population.size must be at most 64 (got 1000)".
 */
export function parseExperiment(input: unknown, notes?: string[]): ExperimentSpec {
  guardValue(input);
  const raw = migrateToCurrent(input, { notes, trainingHashOf: rawTrainingHash });
  const r = experimentSchema.safeParse(raw);
  if (!r.success) throwIssues('invalid', r.error.issues, raw);
  return r.data;
}

/**
 * The hash in `member:<hash>/<i>` ids: the settings that decide what a population trains to
 * (data, architecture, population, training; not the backend, views or analyses).
 */
export function experimentTrainingHash(spec: ExperimentSpec): string {
  const { data, arch, population, training } = spec;
  return trainingHash({ data: { source: data.source, size: data.size }, arch, population, training });
}

/**
 * The same hash for a migrated raw object, its sections filled with defaults; null when a section
 * is invalid (the schema then refuses the whole link, naming the field).
 */
function rawTrainingHash(raw: Record<string, unknown>): string | null {
  const shape = experimentSchema.shape;
  const data = shape.data.safeParse(raw.data ?? {});
  const arch = shape.arch.safeParse(raw.arch ?? {});
  const population = shape.population.safeParse(raw.population ?? {});
  const training = shape.training.safeParse(raw.training ?? {});
  if (!data.success || !arch.success || !population.success || !training.success) return null;
  return trainingHash({
    data: { source: data.data.source, size: data.data.size },
    arch: arch.data,
    population: population.data,
    training: training.data,
  });
}

/** A fresh default experiment (a new object each call, safe to mutate). */
export function defaultExperiment(): ExperimentSpec {
  return parseExperiment({ version: EXPERIMENT_VERSION });
}
