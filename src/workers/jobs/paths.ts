/** The worker's paths job: every requested path between two models, and renders along them. */
import { yieldToEvents } from '../../engine/cancel';
import type { EvalData } from '../../engine/data/eval-data';
import type { PathKind } from '../../engine/experiment/schema';
import { forward } from '../../engine/forward';
import type { Model } from '../../engine/model';
import { repairedLerpPath } from '../../engine/merge/repair-path';
import { pathCurveOf } from '../../engine/paths/barrier';
import { pathFunction } from '../../engine/paths/interpolate';
import { assertCompatible } from '../../engine/paths/vector';
import { trainCurve } from '../../engine/tf/curve';
import { matchModels } from '../../engine/tf/matching';
import { kernelCurveCoverage, trainCurveOnKernel } from '../../engine/kernels/curve';
import { ensureBackend } from '../backends';
import { browserShardPorts } from '../kernel-pool';
import type { PathCurveReply, PathsJob, ScoreTarget } from '../protocol';
import type { ModelRegistry } from '../registry';
import type { JobContext } from './context';
import { evalDataFor, scoreOne } from './score-data';

/**
 * The models a path kind walks between, its middle control point for curves, and for the REPAIR
 * path the data its points are REPAIRed on.
 */
interface PathState {
  a: Model;
  b: Model;
  control?: Model;
  repairOn?: EvalData;
}

/** α → model along a path state (lerp, slerp, a curve, or lerp + REPAIR). */
function walker(state: PathState, kind: PathKind): (alpha: number) => Model {
  if (state.repairOn) return repairedLerpPath(state.a, state.b, state.repairOn.x, state.repairOn.n);
  const method = kind === 'lerp-aligned' || kind === 'lerp-repair' ? 'lerp' : kind;
  return pathFunction(state.a, state.b, method, state.control);
}

/** The last paths job's endpoints per kind, so the α slider can render without recomputing. */
const lastPaths = new Map<string, PathState>();
const pathKey = (aId: string, bId: string, kind: PathKind): string => `${aId}|${bId}|${kind}`;

function reconstruct(model: Model, data: EvalData): Float32Array {
  return forward(model, data.x, data.n);
}

/**
 * Evaluates every requested path between two models, with a filmstrip of reconstructions. A
 * cancel stops it (curve training included) and rejects: it never answers with fewer kinds.
 */
export async function runPaths(
  job: PathsJob,
  registry: ModelRegistry,
  ctx: JobContext,
): Promise<PathCurveReply[]> {
  await ensureBackend();
  const a = registry.get(job.aId);
  const b = registry.get(job.bId);
  assertCompatible([a, b], 'endpoints');
  const data = evalDataFor(job.target, a.arch);
  // Curves are fitted on the training data when there is some (Garipov et al. 2018 train the curve
  // on the training set and report test error along it), else on the one data set there is.
  const trainData = job.trainTarget ? evalDataFor(job.trainTarget, a.arch) : null;
  const curves: PathCurveReply[] = [];
  const states = new Map<string, PathState>();
  let aligned: Model | null = null;
  const total = job.kinds.length;
  for (const [i, kind] of job.kinds.entries()) {
    await yieldToEvents(ctx.signal);
    ctx.progress({ done: i, total, label: kind });
    let state: PathState;
    let note: string | undefined;
    let curveLoss: number[] | undefined;
    if (kind === 'lerp-aligned' || kind === 'lerp-repair') {
      // STE (the Align tab's third method) trains through the midpoint loss, with tfjs.
      if (job.alignMethod === 'ste') await ensureBackend();
      aligned ??= (await matchModels(a, b, job.alignMethod, { data, signal: ctx.signal })).model;
      // REPAIR measures the statistics on the data the path is scored on (Jordan et al. 2023).
      state = kind === 'lerp-repair' ? { a, b: aligned, repairOn: data } : { a, b: aligned };
    } else if (kind === 'bezier' || kind === 'polychain') {
      // The fused kernel's gradients where it covers the models, a step's t samples split over
      // one shard worker per core (browserShardPorts); tfjs otherwise, saying why.
      const curveData = trainData ?? data;
      const uncovered = kernelCurveCoverage(a, curveData);
      const train = uncovered ? trainCurve : trainCurveOnKernel;
      const trained = await train(a, b, curveData, {
        kind,
        steps: job.curveSteps,
        seed: job.curveSeed,
        signal: ctx.signal,
        ports: browserShardPorts,
        onProgress: (step) => {
          if (step % 25 === 0)
            ctx.progress({
              done: i + step / Math.max(1, job.curveSteps),
              total,
              label: `training ${kind} curve`,
            });
        },
      });
      state = { a, b, control: trained.control };
      curveLoss = Array.from(trained.losses);
      const notes = [
        ...(trained.diverged
          ? [`curve training diverged at step ${trained.divergedAt}; showing the last good curve`]
          : []),
        ...(uncovered ? [`curve trained on tfjs: ${uncovered}`] : []),
      ];
      if (notes.length) note = notes.join('; ');
    } else {
      state = { a, b };
    }
    states.set(pathKey(job.aId, job.bId, kind), state);
    const walk = walker(state, kind);
    // The path's points are scored on the kernel pool (chunks over the shards) where it covers them.
    const along = { points: job.points, signal: ctx.signal, ports: browserShardPorts };
    const curve = await pathCurveOf(walk, data, along);
    const train = trainData ? await pathCurveOf(walk, trainData, along) : null;
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
      ...(train
        ? {
            train: {
              losses: Array.from(train.losses),
              metrics: Array.from(train.metrics),
              barrier: train.barrier,
              barrierAlpha: train.barrierAlpha,
              metricBarrier: train.metricBarrier,
            },
          }
        : {}),
      ...(curveLoss ? { curveLoss } : {}),
    });
  }
  // Only a finished job replaces what the slider renders along.
  for (const [key, state] of states) lastPaths.set(key, state);
  ctx.progress({ done: total, total, label: 'done' });
  return curves;
}

/**
 * The model at α along a path computed by the last paths job, scored: its reconstruction (INRs),
 * loss and metric. A classifier's "render" is its loss and accuracy only (the image is empty).
 */
export function renderAt(
  req: { aId: string; bId: string; kind: PathKind; alpha: number; target: ScoreTarget },
  registry: ModelRegistry,
): { image: Float32Array; loss: number; metric: number } {
  const { aId, bId, kind, alpha, target } = req;
  const state = lastPaths.get(pathKey(aId, bId, kind)) ?? { a: registry.get(aId), b: registry.get(bId) };
  const model = walker(state, kind)(alpha);
  const data = evalDataFor(target, model.arch);
  const { out, loss, metric } = scoreOne(model, data);
  return { image: data.kind === 'regression' ? out : new Float32Array(0), loss, metric };
}
