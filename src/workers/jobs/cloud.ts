/** The worker's cloud job: PCA maps of the models' weights, one per architecture. */
import { alignModels } from '../../engine/align';
import { yieldToEvents } from '../../engine/cancel';
import { pca, project } from '../../engine/landscape/pca';
import { meanPairwiseDistance } from '../../engine/landscape/cloud-stats';
import { archKey, describeArch, flattenModel, type Model } from '../../engine/model';
import { interpolateModels } from '../../engine/paths/interpolate';
import type { CloudGroup, CloudJob } from '../protocol';
import type { ModelRegistry } from '../registry';
import type { JobContext } from './context';

/**
 * PCA maps, one per architecture: models of different sizes cannot share a weight space, so they
 * are mapped group by group instead of failing the whole view. Cancelling takes effect between
 * models (each may be aligned first) and rejects.
 */
export async function runCloud(
  job: CloudJob,
  registry: ModelRegistry,
  ctx: JobContext,
): Promise<CloudGroup[]> {
  const byArch = new Map<string, string[]>();
  for (const id of job.modelIds) {
    const key = archKey(registry.get(id).arch);
    byArch.set(key, [...(byArch.get(key) ?? []), id]);
  }
  const groups: CloudGroup[] = [];
  let done = 0;
  for (const ids of byArch.values()) {
    const first = registry.get(ids[0]!);
    // Each architecture is aligned to a reference of its own: the chosen one where it belongs
    // here, else this group's first model (a reference of another shape cannot be matched).
    const refId = job.alignTo ? (ids.includes(job.alignTo) ? job.alignTo : ids[0]!) : null;
    const ref = refId ? registry.get(refId) : null;
    const models: Model[] = [];
    for (const id of ids) {
      await yieldToEvents(ctx.signal);
      const m = registry.get(id);
      models.push(ref && id !== refId ? alignModels(ref, m).model : m);
      ctx.progress({
        done: ++done,
        total: job.modelIds.length,
        label: ref ? 'aligning to the reference' : 'flattening',
      });
    }
    // Notes say what is particular to this group; that architectures are mapped apart is said
    // once by the view, not on every map.
    const note =
      refId && refId !== job.alignTo
        ? 'aligned to the first model of this architecture: the chosen reference has another one'
        : undefined;
    if (models.length < 2) {
      groups.push({
        arch: describeArch(first.arch),
        ids,
        coords: ids.map(() => Array(job.components).fill(0)),
        explainedVarianceRatio: Array(job.components).fill(0),
        paths: [],
        meanDistance: 0,
        referenceId: refId,
        note: 'one model: nothing to map',
      });
      continue;
    }
    ctx.progress({ done, total: job.modelIds.length, label: 'principal components' });
    await yieldToEvents(ctx.signal);
    const flat = models.map(flattenModel);
    const result = pca(flat, job.components);
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
      meanDistance: meanPairwiseDistance(flat),
      referenceId: refId,
      ...(note ? { note } : {}),
    });
  }
  return groups;
}
