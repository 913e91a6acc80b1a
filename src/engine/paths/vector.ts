import {
  ENCODING_NAME,
  assertSameArchitecture,
  paramShapes,
  structuredCloneArch,
  type Model,
} from '../model';
import { numel, sameShape, shapeString, type Tensor } from '../tensor';

/**
 * Every tensor of a model in one fixed order: the Fourier matrix first (when present), then the
 * trainable tensors in `paramShapes` order. Paths and planes act on ALL tensors, so that a model
 * rebuilt at an anchor's coordinates is the anchor itself even when two models carry different
 * Fourier matrices; when the matrices agree (the usual case) they stay fixed along any path.
 */
export function tensorNames(model: Model): string[] {
  const names = paramShapes(model.arch).map((p) => p.name);
  return model.params[ENCODING_NAME] ? [ENCODING_NAME, ...names] : names;
}

/** Thrown when models cannot share a path, plane or cloud (architecture or tensor set differ). */
export class PathInputError extends Error {
  override name = 'PathInputError';
}

/** Checks that models share an architecture and the same set of tensors, with the same shapes. */
export function assertCompatible(models: readonly Model[], what = 'models'): void {
  if (models.length === 0) throw new PathInputError(`${what}: no models given`);
  const first = models[0]!;
  const names = tensorNames(first);
  models.forEach((m, i) => {
    if (i === 0) return;
    assertSameArchitecture(first, m, [`${what}[0]`, `${what}[${i}]`]);
    const other = tensorNames(m);
    if (other.join() !== names.join()) {
      throw new PathInputError(
        `${what}[${i}] holds tensors [${other.join(', ')}] but ${what}[0] holds [${names.join(', ')}]`,
      );
    }
    for (const n of names) {
      const a = first.params[n]!;
      const b = m.params[n]!;
      if (!sameShape(a.shape, b.shape)) {
        throw new PathInputError(
          `${what}[${i}]: tensor ${n} has shape ${shapeString(b.shape)}, expected ${shapeString(a.shape)}`,
        );
      }
    }
  });
}

/** Number of values in a model's full vector (all tensors, Fourier matrix included). */
export function vectorLength(model: Model): number {
  return tensorNames(model).reduce((s, n) => s + model.params[n]!.data.length, 0);
}

/** A model's full vector (see `tensorNames` for the order). */
export function modelVector(model: Model): Float32Array {
  const out = new Float32Array(vectorLength(model));
  let off = 0;
  for (const n of tensorNames(model)) {
    const d = model.params[n]!.data;
    out.set(d, off);
    off += d.length;
  }
  return out;
}

/** Inverse of `modelVector`: a new model shaped like `like`, float64 values rounded to float32. */
export function vectorModel(like: Model, v: Float32Array | Float64Array): Model {
  const params: Record<string, Tensor> = {};
  let off = 0;
  for (const n of tensorNames(like)) {
    const shape = [...like.params[n]!.shape];
    const len = numel(shape);
    const data = new Float32Array(len);
    data.set(v.subarray(off, off + len));
    params[n] = { data, shape };
    off += len;
  }
  if (off !== v.length) throw new RangeError(`vector has ${v.length} values, model needs ${off}`);
  return { arch: structuredCloneArch(like.arch), params };
}

/** Builds a model tensor by tensor from the matching tensors of several models. */
export function mapModels(
  models: readonly Model[],
  fn: (tensors: Float32Array[], name: string) => Float32Array,
): Model {
  const like = models[0]!;
  const params: Record<string, Tensor> = {};
  for (const n of tensorNames(like)) {
    params[n] = {
      data: fn(
        models.map((m) => m.params[n]!.data),
        n,
      ),
      shape: [...like.params[n]!.shape],
    };
  }
  return { arch: structuredCloneArch(like.arch), params };
}
