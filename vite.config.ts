import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { packMnist } from './scripts/mnist.ts';
import { plotlyBundles, tfjsWasmPthreadFiles } from './scripts/vite-csp.ts';
import { SITE_HEADERS } from './src/cli/site-headers.ts';

/**
 * Serves the `mnist` package's 10,000 digits as one binary at /data/mnist.bin (dev) and emits it
 * into the build, so nothing is fetched from the network and nothing large is committed.
 */
function mnistAsset(): Plugin {
  return {
    name: 'weightscope-mnist',
    configureServer(server) {
      server.middlewares.use('/data/mnist.bin', (_req, res) => {
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        res.end(Buffer.from(packMnist()));
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'data/mnist.bin', source: packMnist() });
    },
  };
}

/**
 * tfjs-wasm's pthread scripts as files (scripts/vite-csp.ts) wherever the app is bundled: the build,
 * and the dev server's bundled mode, where rolldown's scope hoisting breaks the same toString()
 * trick that minifying does (the threaded backend's workers fail with "e is not defined" on a
 * machine of more than 2 cores). The unbundled dev server serves tfjs's own file, which works.
 */
function pthreadFilesWhenBundled(): Plugin {
  return {
    ...tfjsWasmPthreadFiles(),
    apply: (config, env) => env.command === 'build' || config.experimental?.bundledDev === true,
  };
}

/**
 * In bundled mode a page asked for before the first bundle is written gets Vite's stand-in page,
 * which reloads itself over the HMR socket once the bundle is ready: never, on a server without
 * HMR (the bench's). Documents wait for the first bundle instead (a minute at most).
 */
function documentsWaitForBundle(): Plugin {
  return {
    name: 'weightscope-documents-wait-for-bundle',
    apply: 'serve',
    configureServer(server) {
      const bundled = server.environments.client.bundledDev;
      if (!bundled) return;
      server.middlewares.use((req, _res, next) => {
        if (bundled.hasBuildOutput || req.headers['sec-fetch-dest'] !== 'document') return next();
        const until = Date.now() + 60_000;
        const poll = (): void => {
          if (bundled.hasBuildOutput || Date.now() > until) next();
          else setTimeout(poll, 50);
        };
        poll();
      });
    },
  };
}

/** Cross-origin isolation, so SharedArrayBuffer (tfjs-wasm threads) is available. */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig(({ command }) => ({
  plugins: [react(), mnistAsset(), plotlyBundles(), pthreadFilesWhenBundled(), documentsWaitForBundle()],
  // Dev keeps no CSP (React's refresh preamble is an inline script); `vite preview` serves the
  // build with every production header, as `weightscope open` (npm run preview) does.
  server: { headers: isolation },
  experimental: { bundledDev: true },
  // Pre-bundled at server start, not discovered when first imported: a dependency found late makes
  // the dev server re-optimise and reload every open page (mid-test, a lost workspace). These are
  // the ones start-up imports dynamically. plotly's bundles are not pre-bundled at all: the
  // plugin makes them ES modules evaluated in slices (scripts/vite-csp.ts), which pre-bundling
  // would bypass; excluded, they are never discovered late either.
  optimizeDeps: {
    include: ['react-dom/client', 'fflate'],
    exclude: ['plotly.js-cartesian-dist-min', 'plotly.js-gl3d-dist-min'],
  },
  preview: { headers: { ...SITE_HEADERS } },
  worker: { format: 'es', plugins: () => [pthreadFilesWhenBundled()] },
  // Minified: tfjs-wasm's pthread scripts are emitted as their own unminified files instead of
  // a toString() of minified code (scripts/vite-csp.ts), which is what broke threads before.
  build: {
    minify: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8000,
    ...(command === 'serve' ? { rolldownOptions: { experimental: { devMode: { lazy: false } } } } : {}),
  },
}));
