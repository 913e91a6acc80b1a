/**
 * The loss on the 2-D plane through three models (Garipov et al. 2018, Sec. 4 and Fig. 1; Li et
 * al. 2018, "Visualizing the Loss Landscape of Neural Nets", Sec. 4): origin w₀, u = w₂ − w₀,
 * v = (w₁ − w₀) with its u-component removed (Gram–Schmidt), both normalised, so that plane
 * coordinates are Euclidean distances in weight space. w₀ sits at (0, 0), w₂ at (|u|, 0) and w₁
 * at (⟨w₁ − w₀, û⟩, |v|). Every grid point's model is evaluated as one batched population.
 */
import type { Model } from '../model';
import { BatchEvaluator, type EvalOptions } from '../tf/evaluate';
import { type EvalData } from '../data/eval-data';
import { assertCompatible, modelVector, vectorModel } from '../paths/vector';

/** Thrown when three models do not span a plane. */
export class PlaneError extends Error {
  override name = 'PlaneError';
}

/** Below this sine of the angle between w₁ − w₀ and u, the anchors count as collinear. */
const COLLINEAR_SIN = 1e-6;

export interface PlanePoint {
  x: number;
  y: number;
}

/** An orthonormal basis of the plane, in float64. */
export interface PlaneBasis {
  origin: Float64Array;
  /** Unit vector along w₂ − w₀. */
  u: Float64Array;
  /** Unit vector along (w₁ − w₀) ⟂ u. */
  v: Float64Array;
  /** Plane coordinates of w₀, w₁, w₂. */
  anchors: [PlanePoint, PlanePoint, PlanePoint];
  /** Template for rebuilding models (architecture, tensor names and shapes). */
  like: Model;
}

function normOf(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s);
}

function dotOf(x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

/** The plane through models[0], models[1], models[2]. */
export function planeBasis(models: readonly Model[]): PlaneBasis {
  if (models.length < 3) throw new PlaneError(`a loss plane needs 3 models, got ${models.length}`);
  if (models.length > 3)
    throw new PlaneError(`a loss plane goes through exactly 3 models, got ${models.length}; pick three`);
  assertCompatible(models, 'plane');
  const [w0, w1, w2] = models.map((m) => Float64Array.from(modelVector(m))) as [
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  const d = w0.length;
  const u = new Float64Array(d);
  const r = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    u[i] = w2[i]! - w0[i]!;
    r[i] = w1[i]! - w0[i]!;
  }
  const uNorm = normOf(u);
  if (uNorm === 0)
    throw new PlaneError(
      'models 0 and 2 are identical, so they do not span a plane; pick three distinct models',
    );
  const rNorm = normOf(r);
  if (rNorm === 0)
    throw new PlaneError(
      'models 0 and 1 are identical, so they do not span a plane; pick three distinct models',
    );
  for (let i = 0; i < d; i++) u[i] = u[i]! / uNorm;
  const along = dotOf(r, u);
  const v = new Float64Array(d);
  for (let i = 0; i < d; i++) v[i] = r[i]! - along * u[i]!;
  const vNorm = normOf(v);
  if (vNorm <= COLLINEAR_SIN * rNorm) {
    throw new PlaneError(
      'the three models are collinear (model 1 lies on the line through models 0 and 2), so they span no plane; pick a model off that line',
    );
  }
  for (let i = 0; i < d; i++) v[i] = v[i]! / vNorm;
  return {
    origin: w0,
    u,
    v,
    anchors: [
      { x: 0, y: 0 },
      { x: along, y: vNorm },
      { x: uNorm, y: 0 },
    ],
    like: models[0]!,
  };
}

/** The model at plane coordinates (x, y): w₀ + x·û + y·v̂, rounded to float32 once. */
export function planeModel(basis: PlaneBasis, x: number, y: number): Model {
  const { origin, u, v } = basis;
  const w = new Float64Array(origin.length);
  for (let i = 0; i < w.length; i++) w[i] = origin[i]! + x * u[i]! + y * v[i]!;
  return vectorModel(basis.like, w);
}

/**
 * Orthogonal projection of any model (a path sample, a merged model) onto the plane: its plane
 * coordinates, and its distance from the plane (0 for points of the plane).
 */
export function projectOntoPlane(basis: PlaneBasis, model: Model): PlanePoint & { distance: number } {
  assertCompatible([basis.like, model], 'plane');
  const w = modelVector(model);
  const r = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) r[i] = w[i]! - basis.origin[i]!;
  const x = dotOf(r, basis.u);
  const y = dotOf(r, basis.v);
  let s = 0;
  for (let i = 0; i < r.length; i++) {
    const e = r[i]! - x * basis.u[i]! - y * basis.v[i]!;
    s += e * e;
  }
  return { x, y, distance: Math.sqrt(s) };
}

/** Evenly spaced values from lo to hi inclusive (lo alone when n = 1). */
export function spaced(lo: number, hi: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => (n === 1 ? lo : lo + ((hi - lo) * i) / (n - 1)));
}

/**
 * Grid axes covering the anchors' bounding box plus `margin` × its extent on each side
 * (Garipov et al. show the plane a little beyond the three models).
 */
export function planeGrid(
  anchors: readonly PlanePoint[],
  nx = 21,
  ny = 21,
  margin = 0.2,
): { xs: Float64Array; ys: Float64Array } {
  const xsA = anchors.map((p) => p.x);
  const ysA = anchors.map((p) => p.y);
  const [x0, x1] = [Math.min(...xsA), Math.max(...xsA)];
  const [y0, y1] = [Math.min(...ysA), Math.max(...ysA)];
  const ex = x1 - x0;
  const ey = y1 - y0;
  return {
    xs: spaced(x0 - margin * ex, x1 + margin * ex, nx),
    ys: spaced(y0 - margin * ey, y1 + margin * ey, ny),
  };
}

export interface LossPlaneOptions extends EvalOptions {
  nx?: number;
  ny?: number;
  margin?: number;
}

/** The loss and metric on a grid over the plane through three models. */
export interface LossPlane {
  xs: Float64Array;
  ys: Float64Array;
  nx: number;
  ny: number;
  /** Row-major [ny, nx]: loss[iy·nx + ix] is the loss at (xs[ix], ys[iy]). */
  loss: Float32Array;
  metric: Float32Array;
  anchors: [PlanePoint, PlanePoint, PlanePoint];
  basis: PlaneBasis;
}

/** Evaluates the loss plane through models[0..2] (default 21×21, margin 0.2). */
export async function lossPlane(
  models: readonly Model[],
  data: EvalData | BatchEvaluator,
  opts: LossPlaneOptions = {},
): Promise<LossPlane> {
  const nx = opts.nx ?? 21;
  const ny = opts.ny ?? 21;
  if (!(Number.isInteger(nx) && Number.isInteger(ny) && nx >= 1 && ny >= 1))
    throw new RangeError(`grid must be at least 1×1 integers, got ${nx}×${ny}`);
  const basis = planeBasis(models);
  const { xs, ys } = planeGrid(basis.anchors, nx, ny, opts.margin ?? 0.2);
  const ev = data instanceof BatchEvaluator ? data : new BatchEvaluator(data);
  try {
    const { loss, metric } = await ev.evaluate(
      nx * ny,
      (i) => planeModel(basis, xs[i % nx]!, ys[Math.floor(i / nx)]!),
      opts,
    );
    return { xs, ys, nx, ny, loss, metric, anchors: basis.anchors, basis };
  } finally {
    if (ev !== data) ev.dispose();
  }
}
