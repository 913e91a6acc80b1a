/** The worker's landscape jobs: the loss plane through three models, and random directions. */
import { directionCurve, directionPlane } from '../../engine/landscape/directions';
import { lossPlane } from '../../engine/landscape/plane';
import { ensureBackend } from '../backends';
import { browserShardPorts } from '../kernel-pool';
import type { DirectionsJob, DirectionsReply, PlaneJob, PlaneReply } from '../protocol';
import type { ModelRegistry } from '../registry';
import type { JobContext } from './context';
import { evalDataFor } from './score-data';

/** The loss plane through three models, evaluated as batched populations. */
export async function runPlane(job: PlaneJob, registry: ModelRegistry, ctx: JobContext): Promise<PlaneReply> {
  await ensureBackend();
  const models = job.anchorIds.map((id) => registry.get(id));
  const plane = await lossPlane(models, evalDataFor(job.target, models[0]!.arch), {
    nx: job.resolution,
    ny: job.resolution,
    margin: job.margin,
    signal: ctx.signal,
    ports: browserShardPorts,
    onProgress: (done, total) => ctx.progress({ done, total, label: 'evaluating the plane' }),
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
  ctx: JobContext,
): Promise<DirectionsReply> {
  await ensureBackend();
  const model = registry.get(job.modelId);
  const data = evalDataFor(job.target, model.arch);
  const opts = {
    seed: job.seed,
    range: job.range,
    signal: ctx.signal,
    onProgress: (done: number, total: number) =>
      ctx.progress({ done, total, label: 'evaluating around the model' }),
  };
  if (job.dims === 1) {
    const c = await directionCurve(model, data, { ...opts, points: job.points });
    return { dims: 1, xs: c.alphas, ys: new Float64Array(0), loss: c.loss, metric: c.metric };
  }
  const p = await directionPlane(model, data, { ...opts, nx: job.points, ny: job.points });
  return { dims: 2, xs: p.xs, ys: p.ys, loss: p.loss, metric: p.metric };
}
