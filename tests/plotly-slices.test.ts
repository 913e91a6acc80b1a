/**
 * plotly's bundles as ES modules of module thunks (scripts/vite-csp.ts, slicePlotly) and the
 * loader's time-boxed slices (src/app/components/plotly-loader.ts). The pinned bundles need a
 * DOM to evaluate, so the semantics are checked on a bundle of the same esbuild shape; the pinned
 * ones are checked to transform into modules that list every thunk.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { plotlyBundles, slicePlotly, SLICED_MARK } from '../scripts/vite-csp';
import { runSlice, slicedBundle } from '../src/app/components/plotly-loader';

const require = createRequire(import.meta.url);
const dir = mkdtempSync(path.join(os.tmpdir(), 'plotly-slices-'));

/** A bundle shaped as plotly's dist bundles are (esbuild's IIFE of __commonJS thunks in a UMD shell). */
function miniBundle(): string {
  return `/**
* mini (cartesian - minified) v0
*/
(
 function(root, factory) {
  if (typeof module === "object" && module.exports) {
   module.exports = factory();
  } else {
   root.moduleName = factory();
  }
} (typeof self !== "undefined" ? self : this, () => {
"use strict";var Plotly=(()=>{var foe=Object.defineProperty;var N=(e,r)=>()=>{try{return r||e((r={exports:{}}).exports,r),r.exports}catch(t){throw r=0,t}};var A=N((x,m)=>{globalThis.__order.push("A");m.exports={one:1}});var B=N((x,m)=>{globalThis.__order.push("B");var a=A();m.exports={two:a.one+1}});var E=N((x,m)=>{globalThis.__order.push("E");m.exports={sum:A().one+B().two,newPlot(){}}});return E();})();
/*! Bundled license information:
mini: MIT
*/

window.Plotly = Plotly;
return Plotly;
}));
`;
}

async function importSliced(code: string, name: string): Promise<SlicedPlotly> {
  const file = path.join(dir, `${name}.mjs`);
  writeFileSync(file, code);
  return ((await import(pathToFileURL(file).href)) as { default: SlicedPlotly }).default;
}

describe('plotly bundles as sliced ES modules', () => {
  it('lists every thunk of a bundle, dependencies first, and evaluates each once', async () => {
    const g = globalThis as unknown as { __order: string[]; window?: unknown; Plotly?: unknown };
    g.__order = [];
    g.window = globalThis;
    try {
      const sliced = await importSliced(slicePlotly(miniBundle(), 'mini'), 'mini');
      // Importing evaluates no module: only the thunks are defined.
      expect(g.__order).toEqual([]);
      expect(sliced[SLICED_MARK as '__weightscopeSliced']).toBe(true);
      expect(sliced.modules).toHaveLength(3);
      // Sliced with a budget of 0: one thunk a slice.
      let next = 0;
      let slices = 0;
      while (next < sliced.modules.length) {
        next = runSlice(sliced.modules, next, 0);
        slices++;
      }
      expect(slices).toBe(3);
      expect(g.__order).toEqual(['A', 'B', 'E']);
      const api = sliced.entry() as unknown as { sum: number };
      // The entry found everything cached: nothing evaluated twice, and the API is the bundle's.
      expect(g.__order).toEqual(['A', 'B', 'E']);
      expect(api.sum).toBe(3);
      expect(g.Plotly).toBe(api);
    } finally {
      delete g.window;
      delete g.Plotly;
    }
  });

  it('transforms the pinned plotly bundles into modules of their thunks', () => {
    const plugin = plotlyBundles();
    const transform = plugin.transform as (code: string, id: string) => { code: string } | null;
    expect(transform.call({}, 'export default 1', '/x/src/app/App.tsx')).toBeNull();
    for (const [pkg, file, minimum] of [
      ['plotly.js-cartesian-dist-min', 'plotly-cartesian.min.js', 600],
      ['plotly.js-gl3d-dist-min', 'plotly-gl3d.min.js', 400],
    ] as const) {
      const id = require.resolve(`${pkg}/${file}`);
      const source = readFileSync(id, 'utf8');
      const out = transform.call({}, source, id)!.code;
      expect(out).not.toMatch(/function\(root, factory\)/);
      expect(out).not.toMatch(/(?<![\w.$])(new\s+)?Function\s*\(/);
      // Defining the thunks evaluates nothing, so Node (no DOM) can import the module: natively,
      // in a child (through vitest's module runner it takes ~40 s).
      const target = path.join(dir, `${pkg}.mjs`);
      writeFileSync(target, out);
      const seen = JSON.parse(
        execFileSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const m = (await import(${JSON.stringify(pathToFileURL(target).href)})).default;` +
              `console.log(JSON.stringify({ mark: m.${SLICED_MARK}, modules: m.modules.length, entry: typeof m.entry }));`,
          ],
          { encoding: 'utf8' },
        ),
      ) as { mark: boolean; modules: number; entry: string };
      // One thunk per `var X=helper(` of the bundle.
      const helper = /var ([\w$]+)=\(([\w$]),([\w$])\)=>\(\)=>\{try\{return/.exec(source)![1]!;
      const defined = source.split(`=${helper}(`).length - 1;
      expect(seen).toEqual({ mark: true, modules: defined, entry: 'function' });
      expect(defined).toBeGreaterThan(minimum);
    }
  }, 60_000);

  it('fails the build loudly when a bundle is not the pinned shape', () => {
    const mini = miniBundle();
    expect(() => slicePlotly(mini.replace('"use strict";var Plotly', 'var Plotly'), 'mini')).toThrow(
      /UMD shell of plotly's bundle not found/,
    );
    expect(() => slicePlotly(mini.replace('throw r=0,t', 'throw t'), 'mini')).toThrow(
      /CommonJS helper found 0 times/,
    );
  });
});

describe('the loader', () => {
  it('runs thunks until the slice budget is spent, at least one', () => {
    let clock = 0;
    const calls: number[] = [];
    const modules = Array.from({ length: 10 }, (_, i) => () => {
      calls.push(i);
      clock += 10;
    });
    const now = (): number => clock;
    expect(runSlice(modules, 0, 25, now)).toBe(3);
    expect(runSlice(modules, 3, 0, now)).toBe(4);
    expect(runSlice(modules, 4, 1000, now)).toBe(10);
    expect(calls).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('refuses a bundle that was not sliced rather than evaluating it in one task', () => {
    expect(() => slicedBundle({ newPlot() {} }, '2d')).toThrow(/not served as sliced modules/);
    expect(() => slicedBundle(null, '3d')).toThrow(/plotly \(3d\)/);
  });
});
