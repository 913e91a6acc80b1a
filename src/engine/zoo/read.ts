/**
 * Reading a zoo file: `.npz` (np.savez / np.savez_compressed, optionally with a `meta.json`
 * entry) or `.safetensors` (settings in `__metadata__`), recognised by magic bytes. The bytes go
 * through the checkpoint readers (which enforce their own budgets), then `parseZoo`.
 */
import { readNpz } from '../checkpoints/numpy';
import { looksLikeSafetensors, readSafetensorsFile } from '../checkpoints/safetensors';
import { CheckpointError, type CheckpointContents, type CheckpointFile } from '../checkpoints/types';
import { isZip, ZipArchive } from '../checkpoints/zip';
import { parseZooMeta, type ZooMetaJson } from './meta';
import { parseZoo, type ZooReadOptions } from './parse';
import { ZOO_LIMITS, ZOO_META_ENTRY, ZOO_META_KEY, ZooError, type Zoo } from './types';

/**
 * Refuses a file by its size before anyone reads it (the browser's File.size, Node's stat), so a
 * 2 GB file never reaches memory.
 */
export function checkZooFileSize(name: string, bytes: number): void {
  if (bytes > ZOO_LIMITS.maxFileBytes)
    throw new ZooError(
      `${name} is ${(bytes / 2 ** 20).toFixed(0)} MB; zoo files are capped at ${ZOO_LIMITS.maxFileBytes / 2 ** 20} MB ` +
        '(split the zoo, or store fewer members per file)',
    );
}

function npzMeta(bytes: Uint8Array, what: string): ZooMetaJson {
  const zip = new ZipArchive(bytes);
  const entry = zip.get(ZOO_META_ENTRY);
  if (!entry) return {};
  if (entry.size > ZOO_LIMITS.maxMetaBytes)
    throw new ZooError(
      `${what}: ${ZOO_META_ENTRY} is ${entry.size} bytes; at most ${ZOO_LIMITS.maxMetaBytes}`,
    );
  return parseZooMeta(new TextDecoder().decode(zip.read(entry)), what);
}

function safetensorsMeta(c: CheckpointContents, what: string): ZooMetaJson {
  const zoo = c.metadata[ZOO_META_KEY];
  if (zoo !== undefined) return parseZooMeta(zoo, what);
  // A file written with only the checkpoint writer's key still says its activation.
  const arch = c.metadata['weightscope.arch'];
  return arch !== undefined ? parseZooMeta(`{"arch": ${arch}}`, what) : {};
}

/** Reads and validates a zoo file; throws ZooError (never another error type) on refusal. */
export function readZoo(file: CheckpointFile, opts: ZooReadOptions = {}): Zoo {
  checkZooFileSize(file.name, file.bytes.length);
  try {
    if (looksLikeSafetensors(file.bytes)) {
      const c = readSafetensorsFile(file);
      return parseZoo(c, safetensorsMeta(c, file.name), file.name, opts);
    }
    if (isZip(file.bytes)) {
      const meta = npzMeta(file.bytes, file.name);
      return parseZoo(readNpz(file), meta, file.name, opts);
    }
  } catch (e) {
    if (e instanceof ZooError) throw e;
    if (e instanceof CheckpointError)
      throw new ZooError(`${file.name}: ${e.message.replace(`${file.name}: `, '')}`);
    throw new ZooError(`${file.name}: could not read the zoo (${(e as Error).message})`);
  }
  throw new ZooError(`${file.name}: not a zoo file; a zoo is an .npz (np.savez) or a .safetensors file`);
}
