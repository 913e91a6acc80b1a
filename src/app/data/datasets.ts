/**
 * Datasets a person dropped to score classifiers on (`.npz` with x and y), kept by content hash
 * so a shared link can name them. Parsed and validated once, at the drop, in the worker; a bad
 * file is refused with the reason and nothing changes.
 */
import type { LabelledDataset } from '../../engine/data/dataset';
import { ask } from '../engine-client';
import { plainFileName } from '../../engine/experiment/schema';
import { sha256Hex } from './images';
import { appStore, showBanner, type DatasetInfo } from '../store';

const held = new Map<string, { name: string; data: LabelledDataset }>();

/** The dropped dataset with this id ("dataset:<sha256>"), or null. */
export function droppedDataset(id: string): { name: string; data: LabelledDataset } | null {
  return held.get(id) ?? null;
}

/**
 * Validates a dropped dataset in the worker (parsing tens of MB must not block the page) and adds
 * it to the workspace's datasets.
 */
export async function adoptDataset(bytes: Uint8Array, fileName: string): Promise<void> {
  const name = plainFileName(fileName);
  const sha256 = await sha256Hex(bytes);
  let data: LabelledDataset;
  try {
    data = await ask('parse-dataset', { name, bytes }, { transfer: [bytes.buffer as ArrayBuffer] });
  } catch (e) {
    showBanner(
      'error',
      `${name} could not be used as a dataset: ${e instanceof Error ? e.message : String(e)}. The workspace is unchanged.`,
    );
    return;
  }
  const id = `dataset:${sha256}`;
  held.set(id, { name, data });
  const info: DatasetInfo = { id, name, sha256, n: data.n, inputs: data.inputs, classes: data.classes };
  appStore.setState((s) => ({ datasets: [...s.datasets.filter((d) => d.id !== id), info] }));
  const score = appStore.getState().spec.data.score;
  const linked = score?.kind === 'file' && score.sha256 === sha256;
  showBanner(
    'info',
    `Dataset ${name}: ${data.n.toLocaleString('en-US')} examples × ${data.inputs} inputs, labels 0–${data.classes - 1}. Classifiers with ${data.inputs} inputs and at least ${data.classes} outputs can now be scored on it (“Score on” in Paths and Landscape)${linked ? '; it matches the dataset the shared link names' : ''}.`,
  );
}
