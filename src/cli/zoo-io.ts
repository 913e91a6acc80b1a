/** Zoo files in the CLI: refused by size before reading, validated by the engine, written by extension. */
import { statSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  checkZooFileSize,
  readZoo,
  writeZooNpz,
  writeZooSafetensors,
  ZooError,
  type Zoo,
} from '../engine/zoo/index';
import type { ZooReadOptions } from '../engine/zoo/parse';
import { CliError, UsageError } from './args';
import { readInput } from './io';

/** Reads and validates a zoo; every refusal is a CliError naming the file and the reason. */
export function loadZoo(p: string, opts: ZooReadOptions = {}): Zoo {
  try {
    const st = statSync(p);
    if (st.isFile()) checkZooFileSize(p, st.size);
    return readZoo({ name: path.basename(p), bytes: readInput(p) }, opts);
  } catch (e) {
    if (e instanceof ZooError)
      throw new CliError(
        e.message.startsWith(path.basename(p))
          ? `${p}${e.message.slice(path.basename(p).length)}`
          : `${p}: ${e.message}`,
      );
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`${p}: no such file`);
    throw e;
  }
}

/** Checks an output name before any work: it must end in .npz or .safetensors. */
export function zooFormat(out: string): 'npz' | 'safetensors' {
  if (out.endsWith('.npz')) return 'npz';
  if (out.endsWith('.safetensors')) return 'safetensors';
  throw new UsageError(`--out ${out}: a zoo is written as .npz or .safetensors`);
}

export function saveZoo(out: string, zoo: Zoo): void {
  const bytes = zooFormat(out) === 'npz' ? writeZooNpz(zoo) : writeZooSafetensors(zoo);
  try {
    mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    writeFileSync(out, bytes);
  } catch (e) {
    throw new CliError(`${out}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** The architecture as the CLI reports it. */
export const archJson = (zoo: Zoo): Record<string, unknown> => ({
  ...zoo.arch,
  inferred: zoo.meta.archInferred,
});
