/**
 * The boundary of every merge: model counts, base, architectures, finite weights and parameter
 * ranges are checked before any work, and each refusal says what to change.
 */
import {
  ArchitectureMismatchError,
  assertFinite,
  assertSameArchitecture,
  ENCODING_NAME,
  type Model,
} from '../model';
import { gradientValues } from './gradient';
import { METHOD_INFO, MergeInputError, type Gradient, type MergeMethod, type MergeParams } from './types';

/** Labels used in messages: the models' names and the base's. */
export interface MergeLabels {
  names?: readonly string[];
  baseName?: string;
}

function checkGradient(
  name: string,
  g: Gradient | undefined,
  ok: (v: number) => boolean,
  range: string,
): void {
  if (g === undefined) return;
  const values = gradientValues(g);
  if (values.length === 0)
    throw new MergeInputError(`${name}: an empty list; give a number or a list of numbers`);
  for (const v of values) {
    if (typeof v !== 'number' || Number.isNaN(v))
      throw new MergeInputError(`${name} is ${String(v)}; it must be a number ${range}`);
    if (!ok(v)) throw new MergeInputError(`${name} = ${v} is outside ${range}`);
  }
}

/** Checks the parameters' ranges (per-tensor combinations are checked in `resolveTensorParams`). */
export function checkParams(method: MergeMethod, p: MergeParams, modelCount: number): void {
  const info = METHOD_INFO[method];
  if (p.weights !== undefined) {
    if (!info.weights) throw new MergeInputError(`${method} takes no per-model weights`);
    if (p.weights.length !== modelCount)
      throw new MergeInputError(
        `${p.weights.length} weights for ${modelCount} models; give one weight per model`,
      );
    p.weights.forEach((w, i) =>
      checkGradient(`weight of model ${i + 1}`, w, Number.isFinite, 'the finite numbers'),
    );
  }
  checkGradient('density', p.density, (v) => v > 0 && v <= 1, '(0, 1]');
  checkGradient('gamma', p.gamma, (v) => v >= 0 && v < 1, '[0, 1)');
  checkGradient('epsilon', p.epsilon, (v) => v >= 0 && v < 1, '[0, 1)');
  checkGradient('lambda', p.lambda, Number.isFinite, 'the finite numbers');
  checkGradient('t', p.t, Number.isFinite, 'the finite numbers');
  if (p.seed !== undefined && !(Number.isInteger(p.seed) && p.seed >= 0 && p.seed <= 0xffffffff))
    throw new MergeInputError(`seed ${p.seed} must be an integer in [0, 2³²)`);
}

/** Checks counts, base and architectures; throws MergeInputError naming the offending model. */
export function checkModels(
  method: MergeMethod,
  models: readonly Model[],
  base: Model | undefined,
  labels: MergeLabels,
): void {
  const info = METHOD_INFO[method];
  const name = (i: number): string => labels.names?.[i] ?? `model ${i + 1}`;
  const baseName = labels.baseName ?? 'base';
  if (info.base === 'required' && !base)
    throw new MergeInputError(`${method} needs a base model: task vectors are measured from it`);
  if (info.base === 'none' && base)
    throw new MergeInputError(`${method} uses no base model; leave the base empty`);
  if (method === 'slerp') {
    const total = models.length + (base ? 1 : 0);
    if (total !== 2)
      throw new MergeInputError(
        `slerp interpolates exactly two models (base + one, or two models); got ${total}`,
      );
  } else if (models.length < info.minModels) {
    throw new MergeInputError(
      `${method} needs at least ${info.minModels} model${info.minModels > 1 ? 's' : ''}` +
        `${base ? ' besides the base' : ''}; got ${models.length}`,
    );
  }
  const all = base ? [base, ...models] : [...models];
  const allNames = base ? [baseName, ...models.map((_, i) => name(i))] : models.map((_, i) => name(i));
  for (let i = 1; i < all.length; i++) {
    try {
      assertSameArchitecture(all[0]!, all[i]!, [allNames[0]!, allNames[i]!]);
    } catch (e) {
      if (e instanceof ArchitectureMismatchError) throw new MergeInputError(`cannot merge: ${e.message}`);
      throw e;
    }
    const e0 = all[0]!.params[ENCODING_NAME];
    const ei = all[i]!.params[ENCODING_NAME];
    if (!!e0 !== !!ei || (e0 && ei && e0.data.some((v, k) => v !== ei.data[k]))) {
      throw new MergeInputError(
        `cannot merge: ${allNames[i]} has another Fourier matrix (${ENCODING_NAME}) than ${allNames[0]}; ` +
          'merged models must share their fixed input encoding',
      );
    }
  }
  all.forEach((m, i) => {
    try {
      assertFinite(m, allNames[i]);
    } catch (e) {
      throw new MergeInputError((e as Error).message);
    }
  });
}
