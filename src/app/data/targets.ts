/**
 * INR target images by id (engine/data/target-id.ts): the experiment's own, and the one each
 * model was trained on, loaded from the samples, MNIST or a dropped file.
 */
import { parseTargetId, targetId, type TargetRef } from '../../engine/data/target-id';
import type { ExperimentSpec } from '../../engine/experiment/schema';
import type { ImageData01 } from '../../engine/inr';
import type { ImageTarget } from '../../workers/protocol';
import { appStore } from '../store';
import { droppedImage } from './dropped-images';
import { loadMnist, loadSample } from './images';

/** The target the experiment's data settings name. */
function specTarget(spec: ExperimentSpec): TargetRef {
  const { source, size } = spec.data;
  if (source.kind === 'sample') return { kind: 'sample', id: source.id, size };
  if (source.kind === 'mnist') return { kind: 'mnist', index: source.index, size };
  return { kind: 'file', sha256: source.sha256, size };
}

/** The image a target names, or null when it is a dropped file this page does not hold. */
function loadImage(ref: TargetRef): Promise<ImageData01 | null> {
  if (ref.kind === 'sample') return loadSample(ref.id, ref.size);
  if (ref.kind === 'mnist') return loadMnist(ref.index, ref.size);
  return droppedImage(ref.sha256, ref.size);
}

/** Loads the experiment's target image, with its id and a label for it. */
export async function loadTarget(
  spec: ExperimentSpec,
): Promise<{ image: ImageData01; id: string; label: string }> {
  const ref = specTarget(spec);
  const { source } = spec.data;
  const image = await loadImage(ref);
  if (!image)
    throw new Error(
      `this experiment trains on ${source.kind === 'file' ? source.name : 'a file'}: drop that file to run it`,
    );
  const label =
    source.kind === 'sample' ? source.id : source.kind === 'mnist' ? `MNIST #${source.index}` : source.name;
  return { image, id: targetId(ref), label };
}

/** The image a model was trained on, by its target id. */
export async function resolveTarget(id: string): Promise<ImageTarget> {
  const ref = parseTargetId(id);
  if (!ref) throw new Error(`unknown target ${id}`);
  const image = await loadImage(ref);
  if (!image) throw new Error('the image this model was trained on is not loaded: drop it again');
  return { kind: 'image', id, image };
}

/** The experiment's current target id (what the Train tab fits). */
export function currentTargetId(): string {
  return targetId(specTarget(appStore.getState().spec));
}
