/**
 * Paths between two models in weight space: straight lines (lerp), great-circle arcs per tensor
 * (slerp, as WARP and model-merging tools use) and the two curve families of Garipov et al. 2018,
 * "Loss Surfaces, Mode Connectivity, and Fast Ensembling of DNNs", Sec. 3: the quadratic Bezier
 * curve and the polygonal chain through one middle control point θ.
 *
 * Sums are formed in float64 and rounded once. At t = 0 and t = 1 every path returns copies of
 * its endpoints, bit for bit, so that a barrier's endpoints are the models' own losses.
 */
import { cloneModel, type Model } from '../model';
import { assertCompatible, mapModels } from './vector';

/** Straight or spherical interpolation between two models. */
export type InterpolationMethod = 'lerp' | 'slerp';
/** Garipov et al.'s curve families with one middle control point. */
export type CurveKind = 'bezier' | 'polychain';
/** Every path family a curve can be evaluated on. */
export type PathMethod = InterpolationMethod | CurveKind;

/** slerp falls back to lerp when the tensors are this parallel (|cos| above it): sin ω ≈ 0. */
export const SLERP_PARALLEL_COS = 0.9995;

/** Weighted sum Σ cᵢ·vᵢ in float64, rounded to float32 once. */
function combine(vectors: readonly Float32Array[], coeffs: readonly number[]): Float32Array {
  const n = vectors[0]!.length;
  for (const v of vectors) if (v.length !== n) throw new RangeError(`vectors of ${n} and ${v.length} values`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < vectors.length; j++) s += coeffs[j]! * vectors[j]![i]!;
    out[i] = s;
  }
  return out;
}

/** (1 − α)·a + α·b. */
export function lerpVector(a: Float32Array, b: Float32Array, alpha: number): Float32Array {
  if (alpha === 0) return new Float32Array(a);
  if (alpha === 1) return new Float32Array(b);
  return combine([a, b], [1 - alpha, alpha]);
}

/**
 * Spherical linear interpolation (Shoemake 1985): with ω the angle between a and b,
 * sin((1−α)ω)/sin ω · a + sin(αω)/sin ω · b. Applied to the raw vectors, so two vectors of equal
 * norm keep that norm along the arc; falls back to lerp when |cos ω| > 0.9995 or a norm is 0.
 */
export function slerpVector(a: Float32Array, b: Float32Array, alpha: number): Float32Array {
  if (alpha === 0) return new Float32Array(a);
  if (alpha === 1) return new Float32Array(b);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  if (na === 0 || nb === 0) return lerpVector(a, b, alpha);
  const cos = Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)));
  if (Math.abs(cos) > SLERP_PARALLEL_COS) return lerpVector(a, b, alpha);
  const omega = Math.acos(cos);
  const s = Math.sin(omega);
  return combine([a, b], [Math.sin((1 - alpha) * omega) / s, Math.sin(alpha * omega) / s]);
}

/**
 * Coefficients (c_a, c_θ, c_b) of a curve point θ(t) = c_a·a + c_θ·θ + c_b·b. Linear in θ, which
 * is what lets curve training differentiate straight through the curve.
 * - Bezier (Garipov et al. 2018, Sec. 3): (1−t)², 2t(1−t), t².
 * - Polychain: a→θ on t ∈ [0, ½], θ→b on [½, 1]: 2(tθ + (½−t)a), then 2((t−½)b + (1−t)θ).
 */
export function curveCoefficients(kind: CurveKind, t: number): [number, number, number] {
  if (kind === 'bezier') return [(1 - t) * (1 - t), 2 * t * (1 - t), t * t];
  return t <= 0.5 ? [1 - 2 * t, 2 * t, 0] : [0, 2 - 2 * t, 2 * t - 1];
}

/** A point on a Bezier or polychain curve between flat vectors. */
export function curveVector(
  kind: CurveKind,
  a: Float32Array,
  control: Float32Array,
  b: Float32Array,
  t: number,
): Float32Array {
  if (t === 0) return new Float32Array(a);
  if (t === 1) return new Float32Array(b);
  return combine([a, control, b], curveCoefficients(kind, t));
}

/** Quadratic Bezier (1−t)²a + 2t(1−t)θ + t²b on flat vectors. */
export const bezierVector = (
  a: Float32Array,
  control: Float32Array,
  b: Float32Array,
  t: number,
): Float32Array => curveVector('bezier', a, control, b, t);

/** Polygonal chain a → θ → b on flat vectors. */
export const polychainVector = (
  a: Float32Array,
  control: Float32Array,
  b: Float32Array,
  t: number,
): Float32Array => curveVector('polychain', a, control, b, t);

function endpoint(a: Model, b: Model, t: number): Model | null {
  if (t === 0) return cloneModel(a);
  if (t === 1) return cloneModel(b);
  return null;
}

/** lerp on every tensor of two models of one architecture. */
export function lerpModels(a: Model, b: Model, alpha: number): Model {
  assertCompatible([a, b]);
  return endpoint(a, b, alpha) ?? mapModels([a, b], ([x, y]) => lerpVector(x!, y!, alpha));
}

/** slerp tensor by tensor (each weight matrix and bias its own arc). */
export function slerpModels(a: Model, b: Model, alpha: number): Model {
  assertCompatible([a, b]);
  return endpoint(a, b, alpha) ?? mapModels([a, b], ([x, y]) => slerpVector(x!, y!, alpha));
}

/** lerp or slerp, by name. */
export function interpolateModels(
  a: Model,
  b: Model,
  alpha: number,
  method: InterpolationMethod = 'lerp',
): Model {
  return method === 'slerp' ? slerpModels(a, b, alpha) : lerpModels(a, b, alpha);
}

/** A point θ(t) on a Bezier or polychain curve between models, with middle control point θ. */
export function curveModel(kind: CurveKind, a: Model, control: Model, b: Model, t: number): Model {
  assertCompatible([a, control, b], 'curve');
  return endpoint(a, b, t) ?? mapModels([a, control, b], ([x, c, y]) => curveVector(kind, x!, c!, y!, t));
}

/** Quadratic Bezier point between models. */
export const bezierModel = (a: Model, control: Model, b: Model, t: number): Model =>
  curveModel('bezier', a, control, b, t);

/** Polychain point between models. */
export const polychainModel = (a: Model, control: Model, b: Model, t: number): Model =>
  curveModel('polychain', a, control, b, t);

/**
 * The midpoint ½(a + b): where curve training starts, and the control point at which both curve
 * families reduce to the straight line.
 */
export function midpointModel(a: Model, b: Model): Model {
  assertCompatible([a, b]);
  return mapModels([a, b], ([x, y]) => combine([x!, y!], [0.5, 0.5]));
}

/** A path α ∈ [0, 1] → model, for any family; curves need their control point. */
export function pathFunction(
  a: Model,
  b: Model,
  method: PathMethod,
  control?: Model,
): (alpha: number) => Model {
  if (method === 'lerp' || method === 'slerp') return (alpha) => interpolateModels(a, b, alpha, method);
  if (!control) throw new RangeError(`a ${method} path needs a control point`);
  return (t) => curveModel(method, a, control, b, t);
}
