/**
 * Bundles the `weightscope` command (src/cli/main.ts) and its kernel worker (src/cli/kernel-worker.ts)
 * into dist-cli/ with esbuild, and records the project files they were made from
 * (dist-cli/manifest.json), so that bin/weightscope.js runs the bundle only while it is fresh
 * (bin/cli-bundle.mjs). `npm run build:cli`; `npm run build` and the test suites' set-up run it too.
 *
 * tfjs is bundled from its ES module sources (mainFields: module first), the same code the app and
 * the tsx path load; Node's CommonJS builds would register gradients in a second copy of tfjs-core.
 */
import { build } from 'esbuild';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI_DIR, MANIFEST, ROOT } from '../bin/cli-bundle.mjs';

// CommonJS inside the ES modules (tfjs-backend-wasm's Emscripten glue) expects these.
const BANNER = [
  "import { createRequire as __wsCreateRequire } from 'node:module';",
  'const require = __wsCreateRequire(import.meta.url);',
  'const __filename = import.meta.filename;',
  'const __dirname = import.meta.dirname;',
].join(' ');

/** Builds dist-cli/ (into a fresh folder, then swapped in whole) and returns its entry. */
export async function buildCli() {
  const startedAt = Date.now();
  const tmp = `${CLI_DIR}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { main: 'src/cli/main.ts', 'kernel-worker': 'src/cli/kernel-worker.ts' },
    outdir: tmp,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    mainFields: ['module', 'main'],
    banner: { js: BANNER },
    metafile: true,
    logLevel: 'warning',
  });
  // Project files only: dependencies are covered by npm's lock record (bin/cli-bundle.mjs).
  const inputs = Object.keys(result.metafile.inputs)
    .filter((f) => !f.includes('node_modules/'))
    .sort();
  writeFileSync(path.join(tmp, 'manifest.json'), `${JSON.stringify({ startedAt, inputs }, null, 1)}\n`);
  rmSync(CLI_DIR, { recursive: true, force: true });
  renameSync(tmp, CLI_DIR);
  return path.join(CLI_DIR, 'main.js');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const entry = await buildCli();
  console.log(`built ${path.relative(ROOT, entry)} (${path.relative(ROOT, MANIFEST)} lists its inputs)`);
}
