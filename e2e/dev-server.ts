import { createServer, type ViteDevServer } from 'vite';

/** What a test needs of the dev server. */
export interface DevServerOptions {
  /**
   * Serve every source module at its own URL (`/src/engine/model.ts`), for a test that imports
   * them into a page: Vite's unbundled dev server. Default: the bundled dev server that
   * `npm start` runs (vite.config.ts), which serves the app as a few chunks and answers a module
   * URL with the page.
   */
  modules?: boolean;
}

/** A Vite dev server of the app, for browser tests (E2E_DEV=1) and tests that import source modules. */
export async function startDevServer(
  options: DevServerOptions = {},
): Promise<{ url: string; server: ViteDevServer }> {
  const server = await createServer({
    configFile: 'vite.config.ts',
    server: { port: 5188, strictPort: false, host: '127.0.0.1' },
    ...(options.modules ? { experimental: { bundledDev: false } } : {}),
    logLevel: 'warn',
  });
  await server.listen();
  return { url: server.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5188/', server };
}
