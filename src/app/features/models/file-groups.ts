/**
 * Several files dropped at once: which belong together as one checkpoint (shards with their
 * index, TensorFlow.js model.json with its weight files) and which are models of their own.
 */
import { npyImage } from '../../../engine/image-npy';

interface Dropped {
  name: string;
  bytes: Uint8Array;
}

const SHARD = /-\d{5}-of-\d{5}\.safetensors$/i;

/** One group per checkpoint: all files when they form one sharded checkpoint, else one each. */
export function groupCheckpointFiles<T extends Dropped>(files: T[]): T[][] {
  const formsOne =
    files.some((f) => /\.index\.json$/i.test(f.name) || /(^|\/)model\.json$/i.test(f.name)) ||
    (files.length > 1 && files.every((f) => SHARD.test(f.name)));
  return formsOne ? [files] : files.map((f) => [f]);
}

/** A `.npy` that could be an image target (2-D/3-D, values in [0, 1]): the person is asked. */
export function npyImageCandidate(bytes: Uint8Array, name: string): boolean {
  return /\.npy$/i.test(name) && npyImage(bytes, name) !== null;
}
