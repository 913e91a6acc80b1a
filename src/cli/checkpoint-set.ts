/**
 * The checkpoints `weightscope open` puts into the app: files named on the command line and the
 * checkpoint files inside named folders. Only these are ever served, read-only, by base name; a
 * file is resolved again on every request, and one whose real path (symlinks followed) leaves
 * its folder is not there.
 */
import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { CliError } from './args';

/** Extensions of single-file checkpoints (what a training script's torch.save/np.savez writes). */
export const CHECKPOINT_EXTENSIONS = ['.pt', '.pth', '.safetensors', '.npz', '.npy'];

/** One served checkpoint. */
export interface ServedFile {
  name: string;
  size: number;
  mtimeMs: number;
  /** Real path on disk; never sent to the browser. */
  real: string;
}

/** How long a file must stay unmodified before it is listed, so half-written saves wait. */
export const SETTLE_MS = 1000;

const isCheckpointName = (n: string): boolean =>
  !n.startsWith('.') && CHECKPOINT_EXTENSIONS.includes(path.extname(n).toLowerCase());

const natural = (a: ServedFile, b: ServedFile): number =>
  a.name.localeCompare(b.name, 'en', { numeric: true });

/** The named files and folders, checked once at start; `list()` gives what is there now. */
export class CheckpointSet {
  private readonly files = new Map<string, string>();
  private readonly dirs: string[] = [];

  constructor(paths: readonly string[]) {
    for (const p of paths) {
      let st;
      try {
        st = statSync(p);
      } catch {
        throw new CliError(`${p}: no such file or folder`);
      }
      const real = realpathSync(p);
      if (st.isDirectory()) this.dirs.push(real);
      else if (st.isFile()) {
        const name = path.basename(p);
        const prev = this.files.get(name);
        if (prev !== undefined && prev !== real)
          throw new CliError(`two files are named ${name}; the app lists checkpoints by name, so rename one`);
        this.files.set(name, real);
      } else throw new CliError(`${p}: not a regular file or folder`);
    }
  }

  /** Folders being watched (for messages). */
  get folders(): readonly string[] {
    return this.dirs;
  }

  /** Checkpoints now: the named files, plus settled checkpoint files directly inside each folder. */
  list(now = Date.now()): ServedFile[] {
    const out = new Map<string, ServedFile>();
    for (const dir of this.dirs) {
      let names: string[] = [];
      try {
        names = readdirSync(dir);
      } catch {
        continue; // a folder that went away lists nothing
      }
      for (const name of names) {
        if (!isCheckpointName(name) || out.has(name)) continue;
        const f = this.inside(dir, name);
        if (f && now - f.mtimeMs >= SETTLE_MS) out.set(name, f);
      }
    }
    for (const [name, real] of this.files) {
      try {
        const st = statSync(real);
        if (st.isFile()) out.set(name, { name, size: st.size, mtimeMs: st.mtimeMs, real });
      } catch {
        // deleted since start: not listed
      }
    }
    return [...out.values()].sort(natural);
  }

  /** The file `name` if it is served now (exact base name from the listing), else null. */
  find(name: string): ServedFile | null {
    return this.list().find((f) => f.name === name) ?? null;
  }

  private inside(dir: string, name: string): ServedFile | null {
    const full = path.join(dir, name);
    try {
      const link = lstatSync(full);
      const real = link.isSymbolicLink() ? realpathSync(full) : full;
      if (!real.startsWith(dir + path.sep)) return null; // a symlink out of the folder
      const st = statSync(real);
      return st.isFile() ? { name, size: st.size, mtimeMs: st.mtimeMs, real } : null;
    } catch {
      return null;
    }
  }
}
