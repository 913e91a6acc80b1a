/**
 * Which engine paths trained a population, and from which step: what a link carries so that the
 * receiver trains the same members (issue #16: "a result that cannot be reproduced says so").
 *
 * The engines agree only to about 1e-4 relative (tests/train-switch.test.ts): the fused wasm
 * kernel's relaxed-SIMD build rounds its products with fused multiply–add, its plain-SIMD build
 * does not, tfjs rounds per backend and per matmul layout, and a GPU rounds as its hardware does.
 * So a link names the path of every stretch of the run, as the badge and the calibration table
 * name them, and the receiver follows it (src/workers/jobs/train-schedule.ts). It is not part of
 * the population's identity (`member:<hash>/<i>`): the same settings on another path give the
 * same members up to that rounding.
 */
import { z } from 'zod';
import './zod-jitless';

/** Paths a population trains on: the fused kernels and the tfjs backends (CalibrationRow names). */
export const ENGINE_PATHS = ['fused', 'fused-webgpu', 'wasm', 'webgl', 'webgpu', 'cpu'] as const;
export type EnginePathName = (typeof ENGINE_PATHS)[number];

/** The longest run a spec holds (training.steps' bound). */
const MAX_STEP = 100000;
/** Switches a run makes are few (one calibration, a failover); a link holds at most this many stretches. */
export const MAX_SCHEDULE_LENGTH = 8;

/**
 * One stretch of a run: `path` trains from `fromStep` (steps already taken) until the next
 * stretch. tfjs paths name their matmul layout; the fused wasm kernel its SIMD build.
 */
export const engineStepSchema = z
  .object({
    path: z.enum(ENGINE_PATHS),
    /** tfjs paths: one batched matmul for the population, or one per member. */
    layout: z.enum(['split', 'batched']).optional(),
    /** The fused wasm kernel: relaxed SIMD (fused multiply–add) or plain SIMD. */
    simd: z.enum(['relaxed', 'simd']).optional(),
    fromStep: z.int().min(0).max(MAX_STEP),
  })
  .refine((s) => (s.path === 'fused') === (s.simd !== undefined), {
    error: 'the fused wasm kernel, and only it, names its SIMD build (relaxed or simd)',
  })
  .refine((s) => (s.path === 'fused' || s.path === 'fused-webgpu') === (s.layout === undefined), {
    error: 'tfjs paths, and only they, name their matmul layout (split or batched)',
  });

export type EngineStep = z.output<typeof engineStepSchema>;

/** The whole run: stretches in step order, the first from step 0. */
export const engineScheduleSchema = z
  .array(engineStepSchema)
  .max(MAX_SCHEDULE_LENGTH)
  .refine((s) => s.length === 0 || s[0]!.fromStep === 0, { error: 'must start at step 0' })
  .refine((s) => s.every((x, i) => i === 0 || x.fromStep > s[i - 1]!.fromStep), {
    error: 'must list its stretches in increasing step order',
  });

export type EngineSchedule = EngineStep[];

/**
 * The spec's `trainedOn`: the schedule that trained the population of the training hash
 * `population` (the link's own, experimentTrainingHash). Empty (the default) when the link's view
 * uses no trained member or the sender's members are not known; then the receiver calibrates.
 */
export const trainedOnSchema = z
  .object({
    population: z
      .string()
      .regex(/^[0-9a-f]{16}$/, { error: 'must be a training hash (16 hex digits)' })
      .nullable()
      .default(null),
    schedule: engineScheduleSchema.default(() => []),
  })
  .refine((t) => (t.population === null) === (t.schedule.length === 0), {
    error: 'names a population and its schedule together, or neither',
  })
  .prefault({});

export type TrainedOn = z.output<typeof trainedOnSchema>;

/** A path without the step its stretch starts at. */
export type EnginePath = Omit<EngineStep, 'fromStep'>;

/** The same path (stretch boundaries aside). */
export function samePath(a: EnginePath, b: EnginePath): boolean {
  return a.path === b.path && a.layout === b.layout && a.simd === b.simd;
}

/** The same schedule, stretch for stretch. */
export function sameSchedule(a: readonly EngineStep[], b: readonly EngineStep[]): boolean {
  return a.length === b.length && a.every((x, i) => samePath(x, b[i]!) && x.fromStep === b[i]!.fromStep);
}

/** A path in words, as the badge names it: "fused wasm kernel (relaxed SIMD)", "tfjs wasm (per-model matmuls)". */
export function describePath(s: EnginePath): string {
  if (s.path === 'fused')
    return `fused wasm kernel (${s.simd === 'relaxed' ? 'relaxed SIMD, FMA' : 'plain SIMD'})`;
  if (s.path === 'fused-webgpu') return 'fused WebGPU kernel';
  return `tfjs ${s.path} (${s.layout === 'split' ? 'per-model' : 'batched'} matmuls)`;
}

/** A schedule in words: "tfjs wasm (per-model matmuls) from step 0, fused wasm kernel (relaxed SIMD, FMA) from step 137". */
export function describeSchedule(s: readonly EngineStep[]): string {
  if (s.length === 0) return 'no recorded path';
  if (s.length === 1) return describePath(s[0]!);
  return s.map((x) => `${describePath(x)} from step ${x.fromStep}`).join(', then ');
}

/** True where the path runs on a GPU, whose rounding is its hardware's. */
export const onGpu = (s: EngineStep): boolean =>
  s.path === 'fused-webgpu' || s.path === 'webgpu' || s.path === 'webgl';
