import { createServer, type ViteDevServer } from 'vite';

/** A Vite dev server of the app, for a test that imports source modules into a page by URL. */
export async function startDevServer(): Promise<{ url: string; server: ViteDevServer }> {
  const server = await createServer({
    configFile: 'vite.config.ts',
    server: { port: 5188, strictPort: false, host: '127.0.0.1' },
    logLevel: 'warn',
  });
  await server.listen();
  return { url: server.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5188/', server };
}
