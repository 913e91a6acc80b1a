/** Images a person dropped, kept by content hash so a shared link can name them. */
import type { ImageData01 } from '../../engine/inr';
import { loadImageBytes, sha256Hex } from './images';

const files = new Map<string, { name: string; bytes: Uint8Array }>();

/** Validates and remembers a dropped image; returns its hash. Throws ImageInputError on bad input. */
export async function rememberImage(bytes: Uint8Array, name: string): Promise<string> {
  await loadImageBytes(bytes, name, 16); // decode once now, so bad files are refused at the drop
  const sha = await sha256Hex(bytes);
  files.set(sha, { name, bytes });
  return sha;
}

/** The dropped image with this hash at `size`, or null when it has not been dropped here. */
export async function droppedImage(sha256: string, size: number): Promise<ImageData01 | null> {
  const f = files.get(sha256);
  return f ? loadImageBytes(f.bytes, f.name, size) : null;
}
