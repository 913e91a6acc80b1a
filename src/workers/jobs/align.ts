/** The worker's align job: one or more models aligned to a reference join the workspace together. */
import { alignModels, layerSimilarity, mlpPermutationSpec } from '../../engine/align';
import { yieldToEvents } from '../../engine/cancel';
import type { AlignJob, AlignReply } from '../protocol';
import type { ModelRegistry } from '../registry';
import type { JobContext } from './context';
import { probeInputs } from './score-data';

/**
 * Aligns one or more models to a reference; the aligned models join the workspace together, as
 * "B aligned to A". Cancelling takes effect between two models; nothing joins the workspace until
 * every model is aligned, and should adding them fail midway, those already added are removed, so
 * a cancelled or failed job leaves the workspace as it was.
 */
export async function runAlign(job: AlignJob, registry: ModelRegistry, ctx: JobContext): Promise<AlignReply> {
  const ref = registry.get(job.refId);
  const refEntry = registry.entry(job.refId);
  const x = probeInputs(job.target, ref.arch);
  let heatmap: AlignReply['heatmap'] = null;
  const aligned: { id: string; r: ReturnType<typeof alignModels> }[] = [];
  for (const [i, id] of job.modelIds.entries()) {
    await yieldToEvents(ctx.signal);
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
        heatmap = {
          layer,
          n: spec.perms[layer]!.size,
          before: Float32Array.from(layerSimilarity(ref, model, layer)),
          after: Float32Array.from(layerSimilarity(ref, r.model, layer)),
        };
      }
    }
    aligned.push({ id, r });
    ctx.progress({ done: i + 1, total: job.modelIds.length, label: 'aligning' });
  }
  await yieldToEvents(ctx.signal);
  const added: string[] = [];
  try {
    const results: AlignReply['results'] = aligned.map(({ id, r }) => {
      const entry = registry.entry(id);
      const joined = registry.add(r.model, {
        name: `${entry.name} aligned to ${refEntry.name}`,
        source: 'aligned',
        ...(entry.seed !== undefined ? { seed: entry.seed } : {}),
        group: `aligned to ${refEntry.name}`,
        ...(entry.targetId ? { targetId: entry.targetId } : {}),
        ...(entry.psnr !== undefined ? { psnr: entry.psnr } : {}),
        ...(entry.accuracy !== undefined ? { accuracy: entry.accuracy } : {}),
        note: `${r.method} matching${r.signed ? ' (signed)' : ''}, ${r.sweeps} sweeps, max |Δf| ${r.maxOutputDiff.toExponential(1)}`,
        // A permutation of the model's units: it keeps the model's file names and layout.
        ...(entry.layout ? { layout: entry.layout } : {}),
      });
      added.push(joined.id);
      return {
        entry: joined,
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
        proved: r.proved,
        tolerance: r.tolerance,
      };
    });
    return { results, heatmap };
  } catch (e) {
    for (const id of added) registry.remove(id);
    throw e;
  }
}
