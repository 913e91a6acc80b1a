/**
 * The Merge tab's part of the experiment: a merge recipe whose models are named by identity
 * (DESIGN "Models are referenced by identity"), and the sweep a person last ran. Every bound is
 * checked here; the method-specific rules (density in (0, 1], ε inside the density, one weight
 * per model…) are the engine's own `checkParams`, so a link and the form refuse the same things
 * with the same words.
 */
import { z } from 'zod';
import { MATCHING_NAMES, MAX_STE_STEPS } from '../merge/matching-name';
import { MERGE_METHODS, MergeInputError } from '../merge/types';
import { checkParams } from '../merge/validate';
import { formatModelId, MAX_MODEL_ID_CHARS, ModelIdError, parseModelId } from './model-id';

/**
 * A model id (model-id.ts, the one grammar): `sample:<name>`, `file:<sha256>`,
 * `member:<hash>/<i>`, `aligned(…)` or `merge(…)`, so a merge may take another merge (recipes
 * nest). Canonicalised, so equal models have equal ids in the recipe.
 */
export const modelIdSchema = z
  .string()
  .max(MAX_MODEL_ID_CHARS)
  .transform((s, ctx) => {
    try {
      return formatModelId(parseModelId(s));
    } catch (e) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a model id: ${e instanceof ModelIdError ? e.message : String(e)}`,
      });
      return z.NEVER;
    }
  });

const value = z.number().min(-1e6).max(1e6);
const gradient = z.union([value, z.array(value).min(1).max(32)]);

/** The recipe's parameters; unset ones take the method's mergekit defaults. */
const paramsSchema = z.object({
  weights: z.array(gradient).max(16).optional(),
  density: gradient.optional(),
  gamma: gradient.optional(),
  epsilon: gradient.optional(),
  lambda: gradient.optional(),
  t: gradient.optional(),
  normalize: z.boolean().optional(),
  rescale: z.boolean().optional(),
  seed: z
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
});

/** A replayable merge. */
export const mergeRecipeSchema = z
  .object({
    method: z.enum(MERGE_METHODS as readonly [string, ...string[]]),
    base: modelIdSchema.nullable().default(null),
    models: z.array(modelIdSchema).min(1).max(16),
    params: paramsSchema.prefault({}),
    align: z
      .object({
        matching: z.enum(MATCHING_NAMES as readonly [string, ...string[]]).default('weight'),
        reference: modelIdSchema,
        seed: z
          .int()
          .min(0)
          .max(2 ** 31 - 1)
          .default(0),
        /** STE's gradient steps (absent: the default 30); only an STE alignment may say. */
        steps: z.int().min(1).max(MAX_STE_STEPS).optional(),
      })
      .refine((a) => a.steps === undefined || a.matching === 'ste', {
        error: 'steps applies to ste matching only',
        path: ['steps'],
      })
      .nullable()
      .default(null),
    repair: z.boolean().default(false),
  })
  .superRefine((r, ctx) => {
    try {
      checkParams(r.method as (typeof MERGE_METHODS)[number], r.params, r.models.length);
    } catch (e) {
      if (!(e instanceof MergeInputError)) throw e;
      ctx.addIssue({ code: 'custom', message: e.message, path: ['params'] });
    }
  });

/** The Merge tab: the recipe last merged and the sweep last plotted. */
export const mergeViewSchema = z
  .object({
    recipe: mergeRecipeSchema.optional(),
    sweep: z
      .object({
        param: z.enum(['lambda', 'weight']).default('lambda'),
        /** Which input's weight, for `param: 'weight'`. */
        index: z.int().min(0).max(15).default(0),
        from: z.number().min(-10).max(10).default(0),
        to: z.number().min(-10).max(10).default(1),
        points: z.int().min(2).max(41).default(11),
      })
      .optional(),
  })
  .prefault({});

export type MergeView = z.output<typeof mergeViewSchema>;
