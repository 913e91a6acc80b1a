/** Checkpoints in and out of the worker's workspace: inspect, add (after confirmation), export. */
import {
  READERS,
  archFromMetadata,
  inferArchitecture,
  layoutFromInference,
  readCheckpoint,
  toModel,
  writeNpz,
  writePt,
  writeSafetensors,
  type CheckpointContents,
} from '../../engine/checkpoints';
import { downloadStem, type ExportFormat } from '../../engine/checkpoints/snippet';
import { assertFinite, type Model } from '../../engine/model';
import type { AddCheckpoint, InspectResult, ModelEntry } from '../protocol';
import type { ModelRegistry } from '../registry';

/**
 * Read but not yet confirmed checkpoints, by token. Nothing joins the workspace until confirmed;
 * the app releases a token when its dialog is cancelled, and only the newest MAX_PENDING are kept
 * in case it never does, so unconfirmed files cannot pile up in the worker's memory.
 */
const pending = new Map<
  string,
  { contents: CheckpointContents; inference: ReturnType<typeof inferArchitecture> }
>();
let tokens = 0;
const MAX_PENDING = 4;

/** Forgets an inspected checkpoint (its dialog was cancelled); unknown tokens are ignored. */
export function releaseCheckpoint(token: string): void {
  pending.delete(token);
}

/** How many inspected checkpoints await confirmation (for tests). */
export function pendingCheckpoints(): number {
  return pending.size;
}

/** Reads and validates dropped files; throws a CheckpointError naming what is wrong. */
export function inspectCheckpoint(files: { name: string; bytes: Uint8Array }[]): InspectResult {
  const contents = readCheckpoint(files);
  const inference = inferArchitecture(contents);
  const meta = archFromMetadata(contents.metadata);
  const token = `c${++tokens}`;
  pending.set(token, { contents, inference });
  // Maps iterate in insertion order: the first keys are the oldest.
  for (const old of pending.keys()) if (pending.size > MAX_PENDING) pending.delete(old);
  return {
    token,
    format: READERS.find((r) => r.id === contents.format)?.label ?? contents.format,
    files: files.map((f) => f.name),
    tensors: contents.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: [...t.shape] })),
    architecture: {
      widths: [...inference.widths],
      layers: inference.layers.map((l) => ({ ...l })),
      transposed: [...inference.transposed],
    },
    suggested: {
      activation: meta?.activation ?? null,
      w0: meta?.w0 ?? null,
      outputOffset: meta?.outputOffset ?? null,
    },
    provenance: contents.metadata['weightscope.provenance'] ?? null,
  };
}

/** Builds the model with the confirmed activation and adds it; refuses NaN/Inf weights by name. */
export function addCheckpoint(req: AddCheckpoint, registry: ModelRegistry): ModelEntry {
  const p = pending.get(req.token);
  if (!p) throw new Error('that checkpoint is no longer pending; drop it again');
  const model: Model = toModel(p.contents, p.inference, {
    activation: req.activation,
    ...(req.activation === 'sine' ? { w0: req.w0 } : {}),
    ...(req.outputOffset !== 0 ? { outputOffset: req.outputOffset } : {}),
  });
  assertFinite(model, req.name);
  pending.delete(req.token);
  return registry.add(model, {
    name: req.name,
    source: req.source,
    ...(req.identity ? { identity: req.identity } : {}),
    ...(req.group ? { group: req.group } : {}),
    ...(req.seed !== undefined ? { seed: req.seed } : {}),
    ...(req.targetId ? { targetId: req.targetId } : {}),
    ...(req.psnr !== undefined ? { psnr: req.psnr } : {}),
    ...(req.accuracy !== undefined ? { accuracy: req.accuracy } : {}),
    ...(req.note ? { note: req.note } : {}),
    // Sample models were made by Weightscope: they download with nn.Sequential names.
    ...(req.source === 'sample' ? {} : { layout: layoutFromInference(p.contents, p.inference) }),
  });
}

/**
 * A model's file: `.pt` (PyTorch zip, a state_dict), safetensors (architecture and provenance in
 * `__metadata__`) or `.npz`, under the names, layout and dtype of the file it came from (nn.Sequential
 * names for models Weightscope created), so the download loads straight back into the person's model.
 */
export function exportModel(
  modelId: string,
  format: ExportFormat,
  registry: ModelRegistry,
): { bytes: Uint8Array; filename: string } {
  const model = registry.get(modelId);
  const entry = registry.entry(modelId);
  const base = downloadStem(entry.name);
  if (format === 'npz') return { bytes: writeNpz(model, entry.layout), filename: `${base}.npz` };
  if (format === 'pt') return { bytes: writePt(model, entry.layout, base), filename: `${base}.pt` };
  const provenance = {
    tool: 'weightscope',
    name: entry.name,
    source: entry.source,
    seed: entry.seed,
    group: entry.group,
    target: entry.targetId,
    psnr: entry.psnr,
    accuracy: entry.accuracy,
    note: entry.note,
  };
  const size = /@(\d+)$/.exec(entry.targetId ?? '')?.[1];
  const meta: Record<string, string> = { 'weightscope.provenance': JSON.stringify(provenance) };
  if (size) meta['weightscope.imageSize'] = `${size}x${size}`;
  // A merge carries its recipe, so the file says how to make it again (`weightscope merge`).
  if (entry.recipe) meta['weightscope.recipe'] = entry.recipe;
  if (entry.identity) meta['weightscope.identity'] = entry.identity;
  // An aligned model carries its permutations (engine/align/permutation-export.ts).
  if (entry.permutation) meta['weightscope.permutation'] = entry.permutation;
  return { bytes: writeSafetensors(model, meta, entry.layout), filename: `${base}.safetensors` };
}
