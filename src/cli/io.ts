/**
 * Files into the CLI: reading a checkpoint (with the shards a model.json or a safetensors index
 * names) and turning it into a Model with the activation the person confirmed. Results go out
 * through output.ts.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  CheckpointError,
  IMPORT_LIMITS,
  archFromMetadata,
  formatBytes,
  inferArchitecture,
  readCheckpoint,
  layoutFromInference,
  toModel,
  type ArchitectureInference,
  type CheckpointContents,
  type CheckpointFile,
  type ModelOptions,
  type TensorLayout,
} from '../engine/checkpoints/index';
import {
  ACTIVATIONS,
  ARCH_BOUNDS,
  assertSameArchitecture,
  type Activation,
  type Model,
} from '../engine/model';
import { CliError, type FlagSpec, type ParsedArgs } from './args';

/** The size of a regular file, refusing devices, FIFOs, sockets and directories by name. */
function regularFileSize(p: string): number {
  let st;
  try {
    st = statSync(p);
  } catch {
    throw new CliError(`${p}: no such file`);
  }
  if (st.isDirectory()) throw new CliError(`${p}: is a directory, not a file`);
  if (!st.isFile())
    throw new CliError(`${p}: is not a regular file (a device, FIFO or socket); give a file on disk`);
  return st.size;
}

/**
 * Reads a whole regular file of at most `maxBytes`, into one buffer of its size (no second copy).
 * The size is checked BEFORE reading, on the opened descriptor (so a file swapped for a FIFO or
 * /dev/zero between the check and the read is still refused, and opening never blocks), and a
 * file that grows while being read is read only up to the size that was checked.
 */
export function readInput(p: string, maxBytes: number = IMPORT_LIMITS.maxFileBytes): Uint8Array {
  const size = regularFileSize(p);
  if (size > maxBytes)
    throw new CliError(
      `${p}: is ${formatBytes(size)}; the limit for an input file is ${formatBytes(maxBytes)}`,
    );
  let fd: number;
  try {
    fd = openSync(p, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new CliError(`${p}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > maxBytes)
      throw new CliError(
        `${p}: changed while being opened; give a regular file of at most ${formatBytes(maxBytes)}`,
      );
    const out = new Uint8Array(st.size);
    let at = 0;
    while (at < out.length) {
      const n = readSync(fd, out, at, out.length - at, at);
      if (n === 0) break;
      at += n;
    }
    return at === out.length ? out : out.subarray(0, at);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`${p}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    closeSync(fd);
  }
}

/** JSON text, or null: a model.json or an index is small, so anything over the header budget is not one. */
function jsonOf(bytes: Uint8Array): Record<string, unknown> | null {
  let i = 0;
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)
  )
    i++;
  if (bytes[i] !== 0x7b || bytes.length > IMPORT_LIMITS.maxHeaderBytes) return null;
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Shard names a TensorFlow.js model.json or a sharded safetensors index refers to. */
function shardNames(json: Record<string, unknown>): string[] {
  const out = new Set<string>();
  const manifest = json.weightsManifest;
  if (Array.isArray(manifest)) {
    for (const g of manifest as { paths?: unknown }[]) {
      if (Array.isArray(g?.paths)) for (const p of g.paths) if (typeof p === 'string') out.add(p);
    }
  }
  const wm = json.weight_map;
  if (typeof wm === 'object' && wm !== null)
    for (const s of Object.values(wm)) if (typeof s === 'string') out.add(s);
  return [...out];
}

/**
 * The files of one checkpoint: the file itself, plus, for a model.json or a
 * `*.safetensors.index.json`, the shards it lists. Shards are looked up by base name next to the
 * index, never elsewhere, so a hostile index cannot make the CLI read other files.
 */
export function checkpointFiles(p: string): CheckpointFile[] {
  const bytes = readInput(p);
  const files: CheckpointFile[] = [{ name: path.basename(p), bytes }];
  const json = jsonOf(bytes);
  if (!json) return files;
  const dir = path.dirname(p);
  // The shards' sizes together, before any of them is read.
  let total = bytes.length;
  const shards: { shard: string; base: string; full: string }[] = [];
  for (const shard of new Set(shardNames(json).map((s) => s.replaceAll('\\', '/')))) {
    const base = path.basename(shard);
    const full = path.join(dir, base);
    if (shards.some((s) => s.full === full)) continue;
    let size: number;
    try {
      size = regularFileSize(full);
    } catch (e) {
      if (e instanceof CliError && e.message.endsWith('no such file'))
        throw new CliError(
          `${p} lists weight shard ${shard}, but ${full} does not exist; keep the shards next to it`,
        );
      throw e;
    }
    total += size;
    if (total > IMPORT_LIMITS.maxInputBytes)
      throw new CliError(
        `${p} and its shards are more than ${formatBytes(IMPORT_LIMITS.maxInputBytes)} together (limit maxInputBytes)`,
      );
    shards.push({ shard, base, full });
  }
  for (const s of shards) files.push({ name: s.base, bytes: readInput(s.full) });
  return files;
}

/** Prefixes a message with the file it is about, unless it already names it. */
function aboutFile(p: string, message: string): string {
  const base = path.basename(p);
  return message.includes(base) ? message : `${p}: ${message}`;
}

/** Reads a checkpoint's tensors and metadata (format picked by magic bytes). */
export function readContents(p: string): CheckpointContents {
  const files = checkpointFiles(p);
  try {
    return readCheckpoint(files);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CliError(aboutFile(p, e.message));
    throw e;
  }
}

/** `--activation` / `--w0` as given; undefined means "what the file says, else relu / 30". */
export interface ArchFlags {
  activation?: Activation;
  w0?: number;
}

/** The flags every command that loads models takes. */
export const ARCH_FLAGS: Record<string, FlagSpec> = {
  activation: {
    kind: 'choice',
    choices: ACTIVATIONS,
    help: "hidden activation (default: the file's metadata, else relu)",
  },
  w0: {
    kind: 'number',
    arg: 'N',
    min: ARCH_BOUNDS.w0[0],
    max: ARCH_BOUNDS.w0[1],
    help: 'SIREN frequency for sine (default: metadata, else 30)',
  },
};

export function archFlags(args: ParsedArgs): ArchFlags {
  const out: ArchFlags = {};
  const a = args.string('activation');
  if (a !== undefined) out.activation = a as Activation;
  const w0 = args.number('w0');
  if (w0 !== undefined) out.w0 = w0;
  return out;
}

/** A model read from a file, with what was inferred on the way. */
export interface LoadedModel {
  path: string;
  contents: CheckpointContents;
  inference: ArchitectureInference;
  model: Model;
  /** The file's tensor names, orientation and dtype, so outputs keep them. */
  layout: TensorLayout;
}

/** Reads a checkpoint and builds its Model; the activation comes from the flags, the metadata, or relu. */
export function loadModel(p: string, flags: ArchFlags = {}): LoadedModel {
  const contents = readContents(p);
  let inference: ArchitectureInference;
  try {
    inference = inferArchitecture(contents);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CliError(aboutFile(p, e.message));
    throw e;
  }
  let meta: ReturnType<typeof archFromMetadata>;
  try {
    meta = archFromMetadata(contents.metadata);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CliError(aboutFile(p, e.message));
    throw e;
  }
  meta ??= {};
  const activation = flags.activation ?? meta.activation ?? 'relu';
  const opts: ModelOptions = { activation };
  const w0 = flags.w0 ?? meta.w0;
  if (activation === 'sine') opts.w0 = w0 ?? 30;
  if (meta.outputOffset !== undefined) opts.outputOffset = meta.outputOffset;
  if (meta.encoding && inference.encodingTensor) opts.encoding = meta.encoding;
  try {
    const model = toModel(contents, inference, opts);
    return { path: p, contents, inference, model, layout: layoutFromInference(contents, inference) };
  } catch (e) {
    if (e instanceof CheckpointError) throw new CliError(aboutFile(p, e.message));
    throw e;
  }
}

/** Loads several models and checks that they share one architecture, naming the files. */
export function loadModels(paths: readonly string[], flags: ArchFlags = {}): LoadedModel[] {
  const models = paths.map((p) => loadModel(p, flags));
  for (let i = 1; i < models.length; i++) sameArchitecture(models[0]!, models[i]!);
  return models;
}

/** assertSameArchitecture with the files' names in the message. */
export function sameArchitecture(a: LoadedModel, b: LoadedModel): void {
  try {
    assertSameArchitecture(a.model, b.model, [a.path, b.path]);
  } catch (e) {
    const msg = (e as Error).message;
    const hint = / uses /.test(msg) ? ' (pass --activation to set one activation for both)' : '';
    throw new CliError(`models do not match: ${msg}${hint}`);
  }
}
