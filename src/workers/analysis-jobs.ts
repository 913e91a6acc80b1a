/**
 * Alignment, paths, clouds and planes over the worker's models. Thin: each calls the engine and
 * shapes the reply; every number comes from src/engine.
 */
import { alignModels, layerSimilarity, mlpPermutationSpec } from '../engine/align';
import { forward } from '../engine/forward';
import { describeArch, flattenModel, type Model } from '../engine/model';
import { pca, project } from '../engine/landscape/pca';
import { lossPlane } from '../engine/landscape/plane';
import { directionCurve, directionPlane } from '../engine/landscape/directions';
import { pathCurve } from '../engine/paths/barrier';
import { trainCurve } from '../engine/paths/curve';
import type { EvalData } from '../engine/paths/evaluate';
import { interpolateModels, pathFunction } from '../engine/paths/interpolate';
import { assertCompatible } from '../engine/paths/vector';
import { ensureBackend } from './backends';
import type {
  DirectionsJob,
  DirectionsReply,
  AlignJob,
  AlignReply,
  CloudGroup,
  CloudJob,
  JobProgress,
  PathCurveReply,
  PathKind,
  PathsJob,
  PlaneJob,
  PlaneReply,
  ScoreTarget,
} from './protocol';
import type { ModelRegistry } from './registry';
import { evalDataFor, probeInputs, scoreOne } from './score-data';

export { regressionData } from './score-data';

type Progress = (p: JobProgress) => void;

function toF32(a: Float64Array): Float32Array {
  return Float32Array.from(a);
}

/** A macrotask turn, so that a cancel message queued behind a long job can be received. */
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Aligns one or more models to a reference; each aligned model joins the workspace. Cancelling
 * takes effect between two models, and nothing joins the workspace until every model is aligned,
 * so a cancelled job leaves the workspace as it was.
 */
export async function runAlign(
  job: AlignJob,
  registry: ModelRegistry,
  progress: Progress,
  cancelled: () => boolean = () => false,
): Promise<AlignReply> {
  const ref = registry.get(job.refId);
  const refEntry = registry.entry(job.refId);
  const x = probeInputs(job.target, ref.arch);
  let heatmap: AlignReply['heatmap'] = null;
  const aligned: { id: string; r: ReturnType<typeof alignModels> }[] = [];
  for (const [i, id] of job.modelIds.entries()) {
    if (cancelled()) throw new Error('cancelled');
    const model = registry.get(id);
    const r = alignModels(ref, model, {
      method: job.method,
      signed: job.signed,
      seed: job.seed,
      ...(x ? { x } : {}),
    });
    if (i === 0) {
      const spec = mlpPermutationSpec(ref.arch);
      const layer = Math.min(Math.max(0, job.heatmapLayer), spec.perms.length - 1);
      if (spec.perms.length > 0) {
        const n = spec.perms[layer]!.size;
        heatmap = {
          layer,
          n,
          before: toF32(layerSimilarity(ref, model, layer)),
          after: toF32(layerSimilarity(ref, r.model, layer)),
        };
      }
    }
    aligned.push({ id, r });
    progress({ done: i + 1, total: job.modelIds.length, label: 'aligning' });
    await yieldToLoop();
  }
  if (cancelled()) throw new Error('cancelled');
  const results: AlignReply['results'] = aligned.map(({ id, r }) => {
    const entry = registry.entry(id);
    const added = registry.add(r.model, {
      name: `${entry.name} aligned to ${refEntry.name}`,
      source: 'aligned',
      ...(entry.seed !== undefined ? { seed: entry.seed } : {}),
      group: `aligned to ${refEntry.name}`,
      ...(entry.targetId ? { targetId: entry.targetId } : {}),
      ...(entry.psnr !== undefined ? { psnr: entry.psnr } : {}),
      ...(entry.accuracy !== undefined ? { accuracy: entry.accuracy } : {}),
      note: `${r.method} matching${r.signed ? ' (signed)' : ''}, ${r.sweeps} sweeps, max |Δf| ${r.maxOutputDiff.toExponential(1)}`,
    });
    return {
      entry: added,
      sourceId: id,
      method: r.method,
      signed: r.signed,
      sweeps: r.sweeps,
      objectiveBefore: r.objectiveBefore,
      objectiveAfter: r.objectiveAfter,
      objectivePerSweep: r.objectivePerSweep,
      timeMs: r.timeMs,
      maxOutputDiff: r.maxOutputDiff,
      outputScale: r.outputScale,
    };
  });
  return { results, heatmap };
}

/** The models a path kind walks between, and its middle control point for curves. */
interface PathState {
  a: Model;
  b: Model;
  control?: Model;
}

/** The last paths job's endpoints per kind, so the α slider can render without recomputing. */
const lastPaths = new Map<string, PathState>();
const pathKey = (aId: string, bId: string, kind: PathKind): string => `${aId}|${bId}|${kind}`;

function reconstruct(model: Model, data: EvalData): Float32Array {
  return forward(model, data.x, data.n);
}

/** Evaluates every requested path between two models, with a filmstrip of reconstructions. */
export async function runPaths(
  job: PathsJob,
  registry: ModelRegistry,
  progress: Progress,
  cancelled: () => boolean,
): Promise<PathCurveReply[]> {
  await ensureBackend();
  const a = registry.get(job.aId);
  const b = registry.get(job.bId);
  assertCompatible([a, b], 'endpoints');
  const data = evalDataFor(job.target, a.arch);
  const curves: PathCurveReply[] = [];
  let aligned: Model | null = null;
  const total = job.kinds.length;
  for (const [i, kind] of job.kinds.entries()) {
    if (cancelled()) break;
    progress({ done: i, total, label: kind });
    let state: PathState;
    let note: string | undefined;
    if (kind === 'lerp-aligned') {
      aligned ??= alignModels(a, b, { method: job.alignMethod, x: data.x }).model;
      state = { a, b: aligned };
    } else if (kind === 'bezier' || kind === 'polychain') {
      const trained = await trainCurve(a, b, data, {
        kind,
        steps: job.curveSteps,
        seed: job.curveSeed,
        onProgress: (step) => {
          if (step % 25 === 0)
            progress({
              done: i + step / Math.max(1, job.curveSteps),
              total,
              label: `training ${kind} curve`,
            });
          return !cancelled();
        },
      });
      state = { a, b, control: trained.control };
      if (trained.diverged)
        note = `curve training diverged at step ${trained.divergedAt}; showing the last good curve`;
      else if (trained.status === 'stopped') note = `stopped after ${trained.steps} steps`;
    } else {
      state = { a, b };
    }
    lastPaths.set(pathKey(job.aId, job.bId, kind), state);
    const method = kind === 'lerp-aligned' ? 'lerp' : kind;
    const curve = await pathCurve(state.a, state.b, data, {
      method,
      points: job.points,
      ...(state.control ? { control: state.control } : {}),
    });
    const walk = pathFunction(state.a, state.b, method, state.control);
    // A classifier's outputs are logits, not a picture: no filmstrip.
    const frames = data.kind === 'regression' ? job.filmstrip : 0;
    const filmAlphas = Array.from({ length: frames }, (_, f) => (frames === 1 ? 0 : f / (frames - 1)));
    const frame = data.kind === 'regression' ? data.n * data.channels : 0;
    const filmstrip = new Float32Array(filmAlphas.length * frame);
    filmAlphas.forEach((al, f) => filmstrip.set(reconstruct(walk(al), data), f * frame));
    curves.push({
      kind,
      alphas: curve.alphas,
      losses: curve.losses,
      metrics: curve.metrics,
      barrier: curve.barrier,
      barrierAlpha: curve.barrierAlpha,
      metricBarrier: curve.metricBarrier,
      filmstrip,
      filmAlphas,
      ...(note ? { note } : {}),
    });
  }
  progress({ done: total, total, label: 'done' });
  return curves;
}

/**
 * The model at α along a path computed by the last paths job, scored: its reconstruction (INRs),
 * loss and metric. A classifier's "render" is its loss and accuracy only (the image is empty).
 */
export function renderAt(
  aId: string,
  bId: string,
  kind: PathKind,
  alpha: number,
  target: ScoreTarget,
  registry: ModelRegistry,
): { image: Float32Array; loss: number; metric: number } {
  const state = lastPaths.get(pathKey(aId, bId, kind)) ?? { a: registry.get(aId), b: registry.get(bId) };
  const method = kind === 'lerp-aligned' ? 'lerp' : kind;
  const model =
    method === 'lerp' || method === 'slerp'
      ? interpolateModels(state.a, state.b, alpha, method)
      : pathFunction(state.a, state.b, method, state.control)(alpha);
  const data = evalDataFor(target, model.arch);
  const { out, loss, metric } = scoreOne(model, data);
  return { image: data.kind === 'regression' ? out : new Float32Array(0), loss, metric };
}

/**
 * PCA maps, one per architecture: models of different sizes cannot share a weight space, so they
 * are grouped with a note instead of failing the whole view.
 */
export function runCloud(
  job: CloudJob,
  registry: ModelRegistry,
  progress: Progress,
  cancelled: () => boolean = () => false,
): CloudGroup[] {
  const byArch = new Map<string, string[]>();
  for (const id of job.modelIds) {
    const key = JSON.stringify(registry.get(id).arch.widths) + registry.get(id).arch.activation;
    byArch.set(key, [...(byArch.get(key) ?? []), id]);
  }
  const groups: CloudGroup[] = [];
  let done = 0;
  for (const ids of byArch.values()) {
    const first = registry.get(ids[0]!);
    const ref = job.alignTo && ids.includes(job.alignTo) ? registry.get(job.alignTo) : null;
    const models = ids.map((id) => {
      if (cancelled()) throw new Error('cancelled');
      const m = registry.get(id);
      const out = ref && id !== job.alignTo ? alignModels(ref, m).model : m;
      progress({
        done: ++done,
        total: job.modelIds.length,
        label: ref ? 'aligning to the reference' : 'flattening',
      });
      return out;
    });
    const note =
      job.alignTo && !ref
        ? 'not aligned: the reference has another architecture'
        : byArch.size > 1
          ? 'models of different architectures are mapped separately'
          : undefined;
    if (models.length < 2) {
      groups.push({
        arch: describeArch(first.arch),
        ids,
        coords: ids.map(() => Array(job.components).fill(0)),
        explainedVarianceRatio: Array(job.components).fill(0),
        paths: [],
        note: 'one model: nothing to map',
      });
      continue;
    }
    progress({ done, total: job.modelIds.length, label: 'principal components' });
    const points = models.map(flattenModel);
    const result = pca(points, job.components);
    const index = new Map(ids.map((id, i) => [id, models[i]!]));
    const paths = job.paths
      .filter(([pa, pb]) => index.has(pa) && index.has(pb))
      .map(([pa, pb]) => ({
        a: pa,
        b: pb,
        coords: Array.from({ length: 21 }, (_, i) =>
          project(result, flattenModel(interpolateModels(index.get(pa)!, index.get(pb)!, i / 20))),
        ),
      }));
    groups.push({
      arch: describeArch(first.arch),
      ids,
      coords: result.coords,
      explainedVarianceRatio: result.explainedVarianceRatio,
      paths,
      ...(note ? { note } : {}),
    });
  }
  return groups;
}

/** The loss plane through three models, evaluated as batched populations. */
export async function runPlane(
  job: PlaneJob,
  registry: ModelRegistry,
  progress: Progress,
  cancelled: () => boolean,
): Promise<PlaneReply> {
  await ensureBackend();
  const models = job.anchorIds.map((id) => registry.get(id));
  const controller = new AbortController();
  const plane = await lossPlane(models, evalDataFor(job.target, models[0]!.arch), {
    nx: job.resolution,
    ny: job.resolution,
    margin: job.margin,
    signal: controller.signal,
    onProgress: (done, total) => {
      if (cancelled()) controller.abort(new Error('cancelled'));
      progress({ done, total, label: 'evaluating the plane' });
    },
  });
  return {
    xs: plane.xs,
    ys: plane.ys,
    nx: plane.nx,
    ny: plane.ny,
    loss: plane.loss,
    metric: plane.metric,
    anchors: plane.anchors.map((p) => ({ x: p.x, y: p.y })),
  };
}

/** Loss around one model along one or two random filter-normalised directions (Li et al. 2018). */
export async function runDirections(
  job: DirectionsJob,
  registry: ModelRegistry,
  progress: Progress,
  cancelled: () => boolean,
): Promise<DirectionsReply> {
  await ensureBackend();
  const model = registry.get(job.modelId);
  const data = evalDataFor(job.target, model.arch);
  const controller = new AbortController();
  const opts = {
    seed: job.seed,
    range: job.range,
    signal: controller.signal,
    onProgress: (done: number, total: number) => {
      if (cancelled()) controller.abort(new Error('cancelled'));
      progress({ done, total, label: 'evaluating around the model' });
    },
  };
  if (job.dims === 1) {
    const c = await directionCurve(model, data, { ...opts, points: job.points });
    return { dims: 1, xs: c.alphas, ys: new Float64Array(0), loss: c.loss, metric: c.metric };
  }
  const p = await directionPlane(model, data, { ...opts, nx: job.points, ny: job.points });
  return { dims: 2, xs: p.xs, ys: p.ys, loss: p.loss, metric: p.metric };
}
