/**
 * Results out of the CLI: a model file in the format its name asks for (`.pt`/`.pth`, `.npz`,
 * else safetensors), with the source's tensor names, layout and dtype, and provenance that names
 * inputs by file name and SHA-256 — never by path, which would leak the author's directories
 * into every shared file.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeNpz, writePt, writeSafetensors, type TensorLayout } from '../engine/checkpoints/index';
import type { Model } from '../engine/model';
import { CliError } from './args';

/** An input as provenance names it. */
export interface FileRef {
  name: string;
  sha256: string;
}

/** SHA-256 (hex) of bytes. */
export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A file's base name and content hash (the file is read again; inputs are small). */
export function fileRef(p: string): FileRef {
  try {
    return { name: path.basename(p), sha256: sha256Hex(readFileSync(p)) };
  } catch {
    return { name: path.basename(p), sha256: '' };
  }
}

/** Output formats, chosen by the name given to `--out`. */
export type OutFormat = 'safetensors' | 'pt' | 'npz';

export function outFormat(p: string): OutFormat {
  const ext = path.extname(p).toLowerCase();
  if (ext === '.pt' || ext === '.pth') return 'pt';
  if (ext === '.npz') return 'npz';
  return 'safetensors';
}

/**
 * Refuses an `--out` whose folder does not exist (or is not a folder) before any work is done:
 * a typo in a path must not silently create a directory tree somewhere else.
 */
export function checkOutPath(p: string): void {
  const dir = path.dirname(path.resolve(p));
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new CliError(`${p}: folder ${path.dirname(p)} does not exist; create it first (mkdir -p)`);
  }
  if (!st.isDirectory()) throw new CliError(`${p}: ${path.dirname(p)} is not a folder`);
  try {
    if (statSync(p).isDirectory()) throw new CliError(`${p}: is a folder; --out names a file`);
  } catch (e) {
    if (e instanceof CliError) throw e;
  }
}

/** Where a result came from, stored in the output's safetensors metadata. */
export interface Provenance {
  command: string;
  /** Input files (checkpoints, images, data), named by base name and SHA-256. */
  inputs: readonly FileRef[];
  method?: string;
  /** Further settings (alpha, seed, steps…), stored as JSON; no paths here either. */
  options?: Record<string, unknown>;
  /** Training image size, "WxH", recorded as `weightscope.imageSize`. */
  imageSize?: string;
  /** Further metadata keys as they are (e.g. `weightscope.base` of a fine-tuned model). */
  extra?: Record<string, string>;
}

/** The metadata strings a safetensors output carries. */
export function provenanceMetadata(prov: Provenance): Record<string, string> {
  const meta: Record<string, string> = {
    'weightscope.command': prov.command,
    'weightscope.inputs': JSON.stringify(prov.inputs),
  };
  if (prov.method !== undefined) meta['weightscope.method'] = prov.method;
  if (prov.options) meta['weightscope.options'] = JSON.stringify(prov.options);
  if (prov.imageSize) meta['weightscope.imageSize'] = prov.imageSize;
  return Object.assign(meta, prov.extra);
}

/**
 * Writes a model. `.pt`/`.pth`: PyTorch's zip format (`torch.load(f, weights_only=True)` gives
 * the state_dict); `.npz`: NumPy; anything else: safetensors with the architecture and
 * provenance in `__metadata__` (the other two formats have no slot for them). `layout` keeps the
 * source's names, orientation and dtype; without one, nn.Sequential names.
 */
export function writeModel(p: string, model: Model, prov: Provenance, layout?: TensorLayout): void {
  checkOutPath(p);
  const format = outFormat(p);
  const stem = path.basename(p, path.extname(p)).replace(/[^A-Za-z0-9_.-]+/g, '_') || 'archive';
  const bytes =
    format === 'pt'
      ? writePt(model, layout, stem)
      : format === 'npz'
        ? writeNpz(model, layout)
        : writeSafetensors(model, provenanceMetadata(prov), layout);
  writeBytes(p, bytes);
}

/** Writes bytes or text to `p`, or says why it cannot. */
export function writeBytes(p: string, bytes: Uint8Array | string): void {
  try {
    writeFileSync(p, bytes);
  } catch (e) {
    throw new CliError(`${p}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
