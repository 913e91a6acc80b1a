/**
 * The workspace's models from the app's side: sample checkpoints at start-up, dropped checkpoints
 * (inspect, confirm, add), downloads, and each model's target image for scoring.
 */
import { readImageHeader } from '../../../engine/image-header';
import type { Activation } from '../../../engine/model';
import { plainFileName } from '../../../engine/experiment/schema';
import { targetId } from '../../../engine/data/target-id';
import { isDatasetNpz } from '../../../engine/data/dataset';
import type { ExportFormat } from '../../../engine/checkpoints/snippet';
import type { InspectResult } from '../../../workers/protocol';
import { ask } from '../../engine-client';
import { adoptDroppedImage } from '../train/ImageDrop';
import { sha256Hex } from '../../data/images';
import { addModels, appStore, showBanner, updateSpec } from '../../store';
import { saveBytes } from '../../lib/download';
import { adoptDataset } from '../../data/datasets';

/** One entry of public/models/manifest.json: an INR with its target, or an MNIST classifier. */
interface SampleModel {
  id: string;
  file: string;
  label: string;
  group: string;
  seed: number;
  target?: { sample: string; size: number };
  psnr?: number;
  /** Classifiers: accuracy on the MNIST scoring subset, in [0, 1]. */
  accuracy?: number;
  note?: string;
}

/** Loads public/models into the workspace, so alignment and paths work the moment the page opens. */
export async function loadSampleModels(): Promise<void> {
  const r = await fetch('/models/manifest.json');
  if (!r.ok) throw new Error(`sample models missing (${r.status})`);
  const list = (await r.json()) as SampleModel[];
  for (const m of list) {
    const bytes = new Uint8Array(await (await fetch(`/models/${m.file}`)).arrayBuffer());
    const info = await ask('inspect', { files: [{ name: m.file, bytes }] });
    const entry = await ask('add-checkpoint', {
      token: info.token,
      name: m.label,
      activation: info.suggested.activation ?? (m.target ? 'sine' : 'relu'),
      w0: info.suggested.w0 ?? 30,
      outputOffset: info.suggested.outputOffset ?? 0,
      source: 'sample',
      group: m.group,
      seed: m.seed,
      ...(m.target
        ? { targetId: targetId({ kind: 'sample', id: m.target.sample, size: m.target.size }) }
        : {}),
      ...(m.psnr !== undefined ? { psnr: m.psnr } : {}),
      ...(m.accuracy !== undefined ? { accuracy: m.accuracy } : {}),
      ...(m.note ? { note: m.note } : {}),
    });
    addModels([entry]);
  }
}

function isImage(bytes: Uint8Array): boolean {
  try {
    readImageHeader(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Content hashes of pending checkpoints, so a shared link can name the file it needs. */
const hashes = new Map<string, { name: string; sha256: string }>();

/**
 * Files dropped on the page or picked: a lone image becomes the target image; a lone `.npz` with
 * arrays named x / y becomes a dataset to score classifiers on; anything else is read as one
 * checkpoint (several files together: shards with their index or model.json).
 */
export async function importFiles(files: File[]): Promise<void> {
  if (files.length === 0) return;
  const read = await Promise.all(
    files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
  );
  if (read.length === 1 && isImage(read[0]!.bytes)) return adoptDroppedImage(files[0]!);
  if (read.length === 1 && isDatasetNpz(read[0]!.bytes)) return adoptDataset(read[0]!.bytes, files[0]!.name);
  const total = read.reduce((s, f) => s + f.bytes.length, 0);
  if (total > 1024 ** 3) {
    showBanner(
      'error',
      `${files.map((f) => f.name).join(', ')}: ${(total / 1024 ** 3).toFixed(1)} GB is over the 1 GB limit for checkpoints. The workspace is unchanged.`,
    );
    return;
  }
  try {
    const sha256 = await sha256Hex(read[0]!.bytes);
    const info = await ask(
      'inspect',
      { files: read },
      { transfer: read.map((f) => f.bytes.buffer as ArrayBuffer) },
    );
    hashes.set(info.token, { name: files[0]!.name.slice(0, 200), sha256 });
    // A new drop replaces a dialog still open: the worker forgets the file it showed.
    const open = appStore.getState().pendingImport;
    if (open) cancelImport(open);
    appStore.setState({ pendingImport: info });
  } catch (e) {
    showBanner(
      'error',
      `${files.map((f) => f.name).join(', ')} could not be read: ${e instanceof Error ? e.message : String(e)}. The workspace is unchanged.`,
    );
  }
}

/** Closes the import dialog without adding: the worker releases the file it read. */
export function cancelImport(info: InspectResult): void {
  hashes.delete(info.token);
  if (appStore.getState().pendingImport?.token === info.token) appStore.setState({ pendingImport: null });
  void ask('release', { token: info.token }).catch(() => undefined);
}

/** Adds the pending checkpoint with the activation the person confirmed. */
export async function confirmImport(
  info: InspectResult,
  choice: {
    name: string;
    activation: Activation;
    w0: number;
    outputOffset: number;
    targetId: string | null;
  },
): Promise<void> {
  try {
    const entry = await ask('add-checkpoint', {
      token: info.token,
      name: choice.name,
      activation: choice.activation,
      w0: choice.w0,
      outputOffset: choice.outputOffset,
      source: 'checkpoint',
      group: 'dropped',
      ...(choice.targetId ? { targetId: choice.targetId } : {}),
    });
    addModels([entry]);
    const ref = hashes.get(info.token);
    const linked = ref ? rememberFile(ref.name, ref.sha256) : false;
    appStore.setState({ pendingImport: null });
    showBanner(
      'info',
      `${choice.name} joined the workspace (${info.format})${linked ? ': it matches the file the shared link names' : ''}.`,
    );
  } catch (e) {
    appStore.setState({ pendingImport: null });
    showBanner(
      'error',
      `${choice.name} was not added: ${e instanceof Error ? e.message : String(e)}. The workspace is unchanged.`,
    );
  }
}

/**
 * Names an imported file in the experiment spec by name and content hash, so a shared link can
 * ask for it; true when the spec already named it (the link's file has arrived).
 */
export function rememberFile(name: string, sha256: string): boolean {
  const spec = appStore.getState().spec;
  const linked = spec.models.some((m) => m.kind === 'file' && m.sha256 === sha256);
  // The link can name the file from now on (a full list of 64 simply stops growing).
  if (!linked && spec.models.length < 64)
    updateSpec((d) => d.models.push({ kind: 'file', name: plainFileName(name), sha256 }));
  return linked;
}

/** Saves a model as .pt (a PyTorch state_dict), safetensors (architecture in __metadata__) or .npz. */
export async function downloadModel(modelId: string, format: ExportFormat): Promise<void> {
  const { bytes, filename } = await ask('export', { modelId, format });
  saveBytes(bytes, filename, 'application/octet-stream');
}
