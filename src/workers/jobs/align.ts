/** The worker's align job: one or more models aligned to a reference join the workspace together. */
import { layerSimilarity, mlpPermutationSpec } from '../../engine/align';
import { permutationRecord } from '../../engine/align/permutation-export';
import { yieldToEvents } from '../../engine/cancel';
import { matchWithRestarts, type RestartsResult } from '../../engine/tf/matching';
import { ensureBackend } from '../backends';
import type { AlignJob, AlignReply, ModelEntry } from '../protocol';
import type { ModelRegistry } from '../registry';
import type { JobContext } from './context';
import { evalDataFor } from './score-data';

/** What the note of an aligned model says about how it was made. */
function noteOf(r: RestartsResult): string {
  const b = r.best;
  const kept = r.restarts[r.bestIndex]!;
  const restarts = r.restarts.length > 1 ? `, best of ${r.restarts.length} restarts (seed ${kept.seed})` : '';
  const ste = 'midpointLoss' in b ? `, midpoint loss ${b.midpointLoss.toPrecision(4)}` : '';
  return `${b.method} matching${b.signed ? ' (signed)' : ''}, ${b.sweeps} sweeps${ste}${restarts}, max |Δf| ${b.maxOutputDiff.toExponential(1)}`;
}

/**
 * Aligns one or more models to a reference (weight, activation or STE matching, Git Re-Basin
 * Alg. 1, Sec. 3.1, Alg. 3), each with `restarts` seeds keeping the best objective; the aligned
 * models join the workspace together, as "B aligned to A", each carrying its permutations.
 * Cancelling takes effect between two models, restarts or STE steps; nothing joins the workspace
 * until every model is aligned, and should adding them fail midway, those already added are
 * removed, so a cancelled or failed job leaves the workspace as it was.
 */
export async function runAlign(job: AlignJob, registry: ModelRegistry, ctx: JobContext): Promise<AlignReply> {
  const ref = registry.get(job.refId);
  const refEntry = registry.entry(job.refId);
  // Activation matching correlates on the data's inputs; STE trains on the data (image or batch).
  const data = job.target ? evalDataFor(job.target, ref.arch) : undefined;
  if (job.method === 'ste') {
    if (!data) throw new Error('STE matching trains on data: the reference has no image or "Score on" data');
    await ensureBackend();
  }
  const restarts = Math.max(1, Math.floor(job.restarts ?? 1));
  let heatmap: AlignReply['heatmap'] = null;
  const aligned: { id: string; r: RestartsResult }[] = [];
  const total = job.modelIds.length;
  for (const [i, id] of job.modelIds.entries()) {
    await yieldToEvents(ctx.signal);
    const model = registry.get(id);
    const r = await matchWithRestarts(ref, model, job.method, restarts, {
      seed: job.seed,
      signed: job.signed,
      ...(data ? { data } : {}),
      ...(job.steSteps !== undefined ? { steSteps: job.steSteps } : {}),
      signal: ctx.signal,
      // Within a model (STE steps, restarts); the model's end is reported below.
      onProgress: (done, of) =>
        done < of &&
        ctx.progress({
          done: i + done / of,
          total,
          label: restarts > 1 ? `aligning (${restarts} restarts)` : 'aligning',
        }),
    });
    if (i === 0) {
      const spec = mlpPermutationSpec(ref.arch);
      const layer = Math.min(Math.max(0, job.heatmapLayer), spec.perms.length - 1);
      if (spec.perms.length > 0) {
        heatmap = {
          layer,
          n: spec.perms[layer]!.size,
          before: Float32Array.from(layerSimilarity(ref, model, layer)),
          after: Float32Array.from(layerSimilarity(ref, r.best.model, layer)),
        };
      }
    }
    aligned.push({ id, r });
    ctx.progress({ done: i + 1, total, label: 'aligning' });
  }
  await yieldToEvents(ctx.signal);
  const added: string[] = [];
  try {
    const results: AlignReply['results'] = aligned.map(({ id, r }) => {
      const entry = registry.entry(id);
      const b = r.best;
      const kept = r.restarts[r.bestIndex]!;
      const permutation = permutationRecord(
        b.model.arch,
        b.perms,
        b.signs,
        {
          method: b.method,
          reference: { name: refEntry.name, id: refEntry.identity ?? null },
          model: { name: entry.name, id: entry.identity ?? null },
          seed: kept.seed,
          objective: { ...r.objective, value: kept.objective },
          restarts: r.restarts,
        },
        entry.layout,
      );
      const fields: Omit<ModelEntry, 'id' | 'arch' | 'params'> = {
        name: `${entry.name} aligned to ${refEntry.name}`,
        source: 'aligned',
        ...(entry.seed !== undefined ? { seed: entry.seed } : {}),
        group: `aligned to ${refEntry.name}`,
        ...(entry.targetId ? { targetId: entry.targetId } : {}),
        ...(entry.psnr !== undefined ? { psnr: entry.psnr } : {}),
        ...(entry.accuracy !== undefined ? { accuracy: entry.accuracy } : {}),
        note: noteOf(r),
        permutation: JSON.stringify(permutation),
        // A permutation of the model's units: it keeps the model's file names and layout.
        ...(entry.layout ? { layout: entry.layout } : {}),
      };
      const joined = registry.add(b.model, fields);
      added.push(joined.id);
      return {
        entry: joined,
        sourceId: id,
        method: b.method,
        signed: b.signed,
        sweeps: b.sweeps,
        objectiveBefore: b.objectiveBefore,
        objectiveAfter: b.objectiveAfter,
        objectivePerSweep: b.objectivePerSweep,
        restarts: r.restarts,
        bestRestart: r.bestIndex,
        objective: r.objective,
        ...('midpointLoss' in b
          ? {
              ste: {
                midpointLoss: b.midpointLoss,
                weightMatchingLoss: b.weightMatchingLoss,
                lossPerStep: b.lossPerStep,
                bestStep: b.bestStep,
              },
            }
          : {}),
        timeMs: b.timeMs,
        maxOutputDiff: b.maxOutputDiff,
        outputScale: b.outputScale,
        proved: b.proved,
        tolerance: b.tolerance,
      };
    });
    return { results, heatmap };
  } catch (e) {
    for (const id of added) registry.remove(id);
    throw e;
  }
}
