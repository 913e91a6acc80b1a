/**
 * Build plugins that let the minified app run under its Content-Security-Policy
 * (src/cli/site-headers.ts: script-src 'self' 'wasm-unsafe-eval', worker-src 'self').
 *
 * tfjs-wasm's threaded backend starts its pthread workers from two blobs: the worker script
 * (a string in wasm-out/…worker.js) and the "main script", which it builds from
 * `wasmFactoryThreadedSimd.toString()`. That second one is why the threaded glue broke when
 * minified ("e is not defined" in the pthread workers): toString() serialises one function
 * without its enclosing scope, and the minifier is free to rename or hoist what that function
 * refers to into the bundle's scope, which the worker never sees. Blobs would also need `blob:`
 * in script-src and worker-src. So the build emits both scripts as real, unminified files next to
 * the bundle (the factory is emscripten's own file, whole) and points tfjs at their URLs.
 *
 * plotly's partial bundles call Function(...): the cartesian one in two places (a generator-function
 * probe, a Function.prototype.bind polyfill), the gl3d one in one (a globalThis fallback); each
 * is replaced by the plain expression it evaluates, so the chunks need no eval and report no CSP
 * violation.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Plugin } from 'vite';

const require = createRequire(import.meta.url);
const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));

function pthreadFiles(): { name: string; source: string }[] {
  const factory = readFileSync(path.join(wasmDir, 'wasm-out/tfjs-backend-wasm-threaded-simd.js'), 'utf8');
  const { wasmWorkerContents } = require(
    path.join(wasmDir, 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js'),
  ) as { wasmWorkerContents: string };
  // tfjs escapes newlines before making its blob (its template literal turned "\n" in string
  // literals into real newlines); do the same so the file holds the original script.
  const worker = wasmWorkerContents.replace(/\n/g, '\\n');
  const hashed = (stem: string, source: string): { name: string; source: string } => ({
    name: `${stem}-${createHash('sha256').update(source).digest('hex').slice(0, 8)}.js`,
    source,
  });
  return [hashed('tfjs-pthread-main', factory), hashed('tfjs-pthread-worker', worker)];
}

function replaceOnce(code: string, pattern: RegExp, by: string, what: string): string {
  if (!pattern.test(code))
    throw new Error(`vite-csp: ${what} not found; its package changed, update scripts/vite-csp.ts`);
  return code.replace(pattern, by);
}

/** tfjs-wasm's pthread scripts as files (for the main build and for the worker build). */
export function tfjsWasmPthreadFiles(): Plugin {
  const [main, worker] = pthreadFiles() as [
    { name: string; source: string },
    { name: string; source: string },
  ];
  // Relative to the chunk (all chunks live in assets/); not a literal, so Vite leaves it alone.
  const url = (name: string): string => `new URL('./' + ${JSON.stringify(name)}, import.meta.url).href`;
  return {
    name: 'weightscope-tfjs-wasm-pthread-files',
    apply: 'build',
    transform(code, id) {
      if (!id.split('?')[0]!.replace(/\\/g, '/').endsWith('/tfjs-backend-wasm/dist/backend_wasm.js'))
        return null;
      let out = replaceOnce(
        code,
        /const response = wasmWorkerContents\.replace\([^;]*;\s*const blob = new Blob\([^;]*;\s*return URL\.createObjectURL\(blob\);/,
        `return ${url(worker.name)};`,
        'the pthread worker blob',
      );
      out = replaceOnce(
        out,
        /new Blob\(\[`var WasmBackendModuleThreadedSimd = ` \+\s*wasmFactoryThreadedSimd\.toString\(\)\], \{ type: 'text\/javascript' \}\)/,
        url(main.name),
        'the pthread main-script blob',
      );
      return { code: out, map: null };
    },
    generateBundle() {
      for (const f of [main, worker])
        this.emitFile({ type: 'asset', fileName: `assets/${f.name}`, source: f.source });
    },
  };
}

interface Patch {
  pattern: RegExp;
  by: string;
  what: string;
}

/** The three Function(...) calls plotly's bundles make, each with the expression it evaluates. */
const PLOTLY_PATCHES = {
  globalThis: {
    pattern: /new Function\("return this"\)\(\)/,
    by: 'globalThis',
    what: 'the globalThis fallback',
  },
  generator: {
    pattern: /Function\("return function\*\(\) \{\}"\)\(\)/,
    by: '(function*(){})',
    what: 'the generator probe',
  },
  bind: {
    pattern:
      /Function\("binder","return function \("\+\w+\(\w+,","\)\+"\)\{ return binder\.apply\(this,arguments\); \}"\)\((\w+)\)/,
    by: 'function(){return $1.apply(this,arguments)}',
    what: 'the bind polyfill',
  },
} satisfies Record<string, Patch>;

/** Which of the calls each plotly bundle the app loads makes (all of them must be found). */
const PLOTLY_BUNDLES: Record<string, Patch[]> = {
  '/plotly.js-cartesian-dist-min/plotly-cartesian.min.js': [PLOTLY_PATCHES.generator, PLOTLY_PATCHES.bind],
  '/plotly.js-gl3d-dist-min/plotly-gl3d.min.js': [PLOTLY_PATCHES.globalThis],
};

/** plotly without Function(...): the calls replaced by what they evaluate. */
export function plotlyWithoutEval(): Plugin {
  return {
    name: 'weightscope-plotly-without-eval',
    transform(code, id) {
      const file = id.split('?')[0]!.replace(/\\/g, '/');
      const bundle = Object.keys(PLOTLY_BUNDLES).find((b) => file.endsWith(b));
      if (!bundle) return null;
      let out = code;
      for (const p of PLOTLY_BUNDLES[bundle]!) out = replaceOnce(out, p.pattern, p.by, `plotly's ${p.what}`);
      const left = /(?<![\w.$])(new\s+)?Function\s*\(/.exec(out);
      if (left) throw new Error(`vite-csp: ${bundle} still calls Function(...) at ${left.index}`);
      return { code: out, map: null };
    },
  };
}
