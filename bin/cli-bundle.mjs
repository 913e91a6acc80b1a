/**
 * The `weightscope` command bundled: `npm run build:cli` (scripts/build-cli.mjs) writes the CLI and
 * its kernel worker as a few ES modules into dist-cli/, with the list of files they were made from.
 * Run from TypeScript sources, every start loads ~1,000 modules through tsx's loader (about 2 CPU-s
 * for `align`); bundled it starts in about 0.2. The bundle is used only while it is fresh: every
 * file it was made from, and npm's node_modules/.package-lock.json (rewritten by every install),
 * unchanged since the build started; otherwise the command runs from the sources, as before.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI_DIR = path.join(ROOT, 'dist-cli');
export const MANIFEST = path.join(CLI_DIR, 'manifest.json');

/**
 * The bundle's entry module if it is fresh, else null; `why` hears the reason. `root` is the
 * project the manifest's paths are relative to (the tests point it elsewhere).
 */
export function freshBundle({ root = ROOT, why = () => {} } = {}) {
  const dir = path.join(root, 'dist-cli');
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  } catch {
    why('no bundle (npm run build:cli)');
    return null;
  }
  for (const rel of [...manifest.inputs, path.join('node_modules', '.package-lock.json')]) {
    let mtime;
    try {
      mtime = statSync(path.join(root, rel)).mtimeMs;
    } catch {
      why(`${rel} is gone`);
      return null;
    }
    if (mtime > manifest.startedAt) {
      why(`${rel} changed after the bundle was built`);
      return null;
    }
  }
  return path.join(dir, 'main.js');
}
