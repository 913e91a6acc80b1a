/**
 * The workspace's models from the app's side: sample checkpoints at start-up, dropped checkpoints
 * (inspect, confirm, add), downloads, and each model's target image for scoring.
 */
import { readImageHeader } from '../../../engine/image-header';
import { plainFileName, type FileModel } from '../../../engine/experiment/schema';
import { targetId } from '../../../engine/data/target-id';
import { isDatasetNpz } from '../../../engine/data/dataset';
import type { ExportFormat } from '../../../engine/checkpoints/snippet';
import type { InspectResult, ModelEntry } from '../../../workers/protocol';
import { ask } from '../../engine-client';
import { adoptDroppedImage } from '../train/ImageDrop';
import { sha256Hex } from '../../data/images';
import { currentTargetId } from '../../data/targets';
import type { Activation } from '../../../engine/model';
import { addModels, appStore, showBanner } from '../../store';
import { resolveScore, scoreChoice } from '../../data/score';
import { groupCheckpointFiles, npyImageCandidate } from './file-groups';
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
      identity: `sample:${m.id}`,
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
    addModels([{ ...entry, ref: `sample:${m.id}` }]);
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

/** Name and content hash of each inspected checkpoint, by the worker's token. */
const hashes = new Map<string, { name: string; sha256: string }>();
/** Inspected checkpoints waiting for the dialog, after the one it shows now. */
const queue: InspectResult[] = [];

/**
 * What each dropped file the person confirmed could not say by itself (activation, w₀, offset),
 * by SHA-256: a shared link carries these for the files its view uses. A link's own `files` are
 * merged in when it opens, so a receiver's drop needs no questions.
 */
export const fileAnswers = new Map<string, FileModel>();

/** The answers a link carried for a file, when they are complete. */
function linkAnswers(sha256: string): Required<FileModel> | null {
  const f = appStore.getState().spec.files.find((x) => x.sha256 === sha256) ?? fileAnswers.get(sha256);
  if (!f || f.activation === undefined || f.w0 === undefined || f.outputOffset === undefined) return null;
  return f as Required<FileModel>;
}

/**
 * Files dropped on the page or picked: a lone image becomes the target image; a lone `.npz` with
 * arrays named x / y becomes a dataset to score classifiers on; a lone `.npy` that looks like an
 * image (2-D or 3-D, values in [0, 1]) asks which it is; anything else is read as checkpoints, one
 * per file, or one sharded checkpoint when the files form one (an index or model.json with its
 * shards).
 */
export async function importFiles(files: File[]): Promise<void> {
  if (files.length === 0) return;
  const read = await Promise.all(
    files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
  );
  if (read.length === 1 && isImage(read[0]!.bytes)) return adoptDroppedImage(files[0]!);
  if (read.length === 1 && isDatasetNpz(read[0]!.bytes)) return adoptDataset(read[0]!.bytes, files[0]!.name);
  if (read.length === 1 && npyImageCandidate(read[0]!.bytes, read[0]!.name)) {
    appStore.setState({ pendingNpy: { name: read[0]!.name, file: files[0]! } });
    return;
  }
  const total = read.reduce((s, f) => s + f.bytes.length, 0);
  if (total > 1024 ** 3) {
    showBanner(
      'error',
      `${files.map((f) => f.name).join(', ')}: ${(total / 1024 ** 3).toFixed(1)} GB is over the 1 GB limit for checkpoints. The workspace is unchanged.`,
    );
    return;
  }
  for (const group of groupCheckpointFiles(read)) await importCheckpoint(group);
}

/** The .npy the person said is a checkpoint after all. */
export async function importNpyAsCheckpoint(file: File): Promise<void> {
  appStore.setState({ pendingNpy: null });
  await importCheckpoint([{ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) }]);
}

/** Reads one checkpoint (one file, or shards with their index) and queues it for confirmation. */
async function importCheckpoint(read: { name: string; bytes: Uint8Array }[]): Promise<void> {
  const label = read.map((f) => f.name).join(', ');
  try {
    const sha256 = await sha256Hex(read[0]!.bytes);
    const already = appStore.getState().models.find((m) => m.ref === `file:${sha256}`);
    if (already) {
      showBanner('info', `${label} is already in the workspace as ${already.name}.`);
      return;
    }
    const info = await ask(
      'inspect',
      { files: read },
      { transfer: read.map((f) => f.bytes.buffer as ArrayBuffer) },
    );
    hashes.set(info.token, { name: read[0]!.name.slice(0, 200), sha256 });
    const answers = linkAnswers(sha256);
    if (answers) {
      // A shared link already says what the file cannot: no questions.
      await confirmImport(info, {
        name: stripExtension(info.files[0]!),
        activation: answers.activation,
        w0: answers.w0,
        outputOffset: answers.outputOffset,
        targetId: info.architecture.widths[0] === 2 ? currentTargetId() : null,
      });
      return;
    }
    if (appStore.getState().pendingImport) queue.push(info);
    else appStore.setState({ pendingImport: info });
  } catch (e) {
    showBanner(
      'error',
      `${label} could not be read: ${e instanceof Error ? e.message : String(e)}. The workspace is unchanged.`,
    );
  }
}

/** A checkpoint's file name without its format's extension. */
export function stripExtension(name: string): string {
  return name.replace(/\.(safetensors|pt|pth|npz|npy|json|bin)$/i, '');
}

/** Shows the next queued checkpoint, if any. */
function nextInQueue(): void {
  appStore.setState({ pendingImport: queue.shift() ?? null });
}

/** Closes the import dialog without adding: the worker releases the file it read. */
export function cancelImport(info: InspectResult): void {
  hashes.delete(info.token);
  if (appStore.getState().pendingImport?.token === info.token) nextInQueue();
  void ask('release', { token: info.token }).catch(() => undefined);
}

/** Adds the pending checkpoint with the activation the person confirmed (or the link carried). */
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
  const ref = hashes.get(info.token);
  hashes.delete(info.token);
  try {
    const hashed = hashes.get(info.token);
    const entry = await ask('add-checkpoint', {
      token: info.token,
      name: choice.name,
      ...(hashed ? { identity: `file:${hashed.sha256}` } : {}),
      activation: choice.activation,
      w0: choice.w0,
      outputOffset: choice.outputOffset,
      source: 'checkpoint',
      group: 'dropped',
      ...(choice.targetId ? { targetId: choice.targetId } : {}),
    });
    const linked = ref ? rememberFile(ref.name, ref.sha256, choice) : false;
    const added: ModelEntry = { ...entry, ...(ref ? { ref: `file:${ref.sha256}` } : {}) };
    addModels([added]);
    if (appStore.getState().pendingImport?.token === info.token) nextInQueue();
    showBanner(
      'info',
      `${choice.name} joined the workspace (${info.format})${linked ? ': it is a file the shared link names' : ''}.`,
    );
    void scoreEntry(added);
  } catch (e) {
    if (appStore.getState().pendingImport?.token === info.token) nextInQueue();
    showBanner(
      'error',
      `${choice.name} was not added: ${e instanceof Error ? e.message : String(e)}. The workspace is unchanged.`,
    );
  }
}

/**
 * Scores a model that joined without a quality figure on its "Score on" data (its image, MNIST
 * or a dataset that fits), so the Models tab shows PSNR or accuracy for every model.
 */
export async function scoreEntry(entry: ModelEntry): Promise<void> {
  if (entry.psnr !== undefined || entry.accuracy !== undefined) return;
  const { spec, datasets } = appStore.getState();
  const choice = scoreChoice(entry, spec, datasets).chosen;
  if (!choice) return;
  try {
    const target = await resolveScore(choice);
    const r = await ask('render', { aId: entry.id, bId: entry.id, kind: 'lerp', alpha: 0, target });
    const quality =
      target.kind === 'image'
        ? { psnr: r.metric }
        : { accuracy: r.metric, note: `accuracy on ${choice.label}` };
    appStore.setState((s) => ({
      models: s.models.map((m) => (m.id === entry.id ? { ...m, ...quality } : m)),
    }));
  } catch {
    // Not scorable here (its image is gone, say): the table keeps "—" and the other tabs say why.
  }
}

/** Removes a model from the workspace (and the worker). */
export async function removeModel(entryId: string): Promise<void> {
  const entry = appStore.getState().models.find((m) => m.id === entryId);
  if (!entry) return;
  await ask('remove', { modelId: entryId }).catch(() => undefined);
  appStore.setState((s) => ({ models: s.models.filter((m) => m.id !== entryId) }));
  showBanner('info', `${entry.name} left the workspace.`);
}

/** Renames a model (its identity, what links name it by, does not change). */
export function renameModel(entryId: string, name: string): string | null {
  const clean = name.trim().slice(0, 120);
  if (clean === '') return 'a name cannot be empty';
  appStore.setState((s) => ({ models: s.models.map((m) => (m.id === entryId ? { ...m, name: clean } : m)) }));
  return null;
}

/**
 * Remembers what a file's bytes cannot say (for links that name it); true when the open link
 * already names it (the link's file has arrived).
 */
export function rememberFile(
  name: string,
  sha256: string,
  answers: Pick<FileModel, 'activation' | 'w0' | 'outputOffset'>,
): boolean {
  const { activation, w0, outputOffset } = answers;
  fileAnswers.set(sha256, { name: plainFileName(name), sha256, activation, w0, outputOffset });
  return appStore.getState().spec.files.some((f) => f.sha256 === sha256);
}

/** Saves a model as .pt (a PyTorch state_dict), safetensors (architecture in __metadata__) or .npz. */
export async function downloadModel(modelId: string, format: ExportFormat): Promise<void> {
  const { bytes, filename } = await ask('export', { modelId, format });
  saveBytes(bytes, filename, 'application/octet-stream');
}
