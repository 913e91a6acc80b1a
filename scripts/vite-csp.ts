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
 * violation. The same plugin makes each bundle an ES module whose inner modules the app
 * evaluates a few at a time (slicePlotly below), instead of one 1.8 s task at a chart's first use.
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

/**
 * The wrapper of plotly's dist bundles (esbuild output in a UMD shell): a license header, the UMD
 * function, and a factory whose one statement is `var Plotly=(()=>{ …modules… return entry(); })()`.
 * Captured: the header, the IIFE's body up to its last statement, the entry thunk's name, and the
 * bundled licenses.
 */
const PLOTLY_SHELL =
  /^(\/\*\*[\s\S]*?\*\/)\s*\(\s*function\(root, factory\) \{[\s\S]*?\} \(typeof self !== "undefined" \? self : this, \(\) => \{\s*"use strict";var Plotly=\(\(\)=>\{([\s\S]*)return ([\w$]+)\(\);\}\)\(\);\s*(\/\*![\s\S]*?\*\/)\s*window\.Plotly = Plotly;\s*return Plotly;\s*\}\)\);\s*$/;

/**
 * esbuild's CommonJS wrapper (`__commonJS`, minified): `var N=(e,r)=>()=>{try{return r||e(…)…}}`.
 * Each inner module is `var X=N((exports,module)=>{…})`, a thunk that evaluates the module on its
 * first call and returns its cached exports after.
 */
const COMMONJS_HELPER =
  /var ([\w$]+)=\(([\w$]),([\w$])\)=>\(\)=>\{try\{return \3\|\|\2\(\(\3=\{exports:\{\}\}\)\.exports,\3\),\3\.exports\}catch\(([\w$])\)\{throw \3=0,\4\}\};/g;

/** What the sliced module's default export is called by, and checked for (src/app/plotly.d.ts). */
export const SLICED_MARK = '__weightscopeSliced';

/**
 * plotly's bundle as an ES module whose inner modules can be evaluated a few at a time.
 *
 * Loaded as it ships, the bundle evaluates its whole module graph in one synchronous call (the
 * entry thunk requires the rest) inside three functions 1.4–1.7 MB long (Vite's CommonJS wrapper,
 * the UMD factory, esbuild's IIFE): 1.7 s of main-thread CPU in one task, most of it V8 compiling
 * those giant functions lazily and re-parsing them for their source positions while they are on
 * the stack. Here the shell is removed, so the modules' definitions are the chunk's top level
 * (compiled off the main thread while it streams in) and define only thunks; the helper also
 * lists every thunk it makes, in the bundle's order (dependencies first); and the default export
 * is `{ [SLICED_MARK]: true, modules, entry }`: the loader (src/app/components/plotly-loader.ts)
 * calls the thunks in time-boxed slices with the event loop between them, then `entry()`, which
 * finds every module cached, sets `window.Plotly` as the shell did, and returns the API. A thunk
 * is evaluated once whoever calls it first, so the order is only a schedule: a module required
 * by another is evaluated then, as before. The bundle has no `this` or `arguments` outside its
 * functions (checked with a parser for 3.7.0), so its code means the same at a module's top level.
 */
export function slicePlotly(code: string, bundle: string): string {
  const shell = PLOTLY_SHELL.exec(code);
  if (!shell)
    throw new Error(
      `vite-csp: ${bundle}: the UMD shell of plotly's bundle not found; update scripts/vite-csp.ts`,
    );
  const [, header, body, entry, licenses] = shell as unknown as [string, string, string, string, string];
  const helpers = body.match(COMMONJS_HELPER) ?? [];
  if (helpers.length !== 1)
    throw new Error(
      `vite-csp: ${bundle}: esbuild's CommonJS helper found ${helpers.length} times (not once); update scripts/vite-csp.ts`,
    );
  const modules = '__weightscopeModules';
  const listed = body.replace(COMMONJS_HELPER, (_all, name: string, fn: string, mod: string, err: string) => {
    const thunk = `()=>{try{return ${mod}||${fn}((${mod}={exports:{}}).exports,${mod}),${mod}.exports}catch(${err}){throw ${mod}=0,${err}}}`;
    return `var ${name}=(${fn},${mod})=>{const t=${thunk};${modules}.push(t);return t};`;
  });
  return [
    header,
    `const ${modules}=[];`,
    listed,
    `export default{${SLICED_MARK}:!0,modules:${modules},entry(){const P=${entry}();window.Plotly=P;return P}};`,
    licenses,
    '',
  ].join('\n');
}

/**
 * plotly for the app: without Function(...) (the calls replaced by what they evaluate), and as a
 * module evaluated in slices (slicePlotly). In the build and in the dev server (where the bundles
 * are not pre-bundled, vite.config.ts, so that this transform reaches them).
 */
export function plotlyBundles(): Plugin {
  return {
    name: 'weightscope-plotly-bundles',
    transform(code, id) {
      const file = id.split('?')[0]!.replace(/\\/g, '/');
      const bundle = Object.keys(PLOTLY_BUNDLES).find((b) => file.endsWith(b));
      if (!bundle) return null;
      let out = code;
      for (const p of PLOTLY_BUNDLES[bundle]!) out = replaceOnce(out, p.pattern, p.by, `plotly's ${p.what}`);
      const left = /(?<![\w.$])(new\s+)?Function\s*\(/.exec(out);
      if (left) throw new Error(`vite-csp: ${bundle} still calls Function(...) at ${left.index}`);
      return { code: slicePlotly(out, bundle), map: null };
    },
  };
}
