import type { TestProject } from 'vitest/node';
import { createServer, type ViteDevServer } from 'vite';

let server: ViteDevServer | null = null;

/** Starts the real app once for every browser test. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  server = await createServer({
    configFile: 'vite.config.ts',
    server: { port: 5188, strictPort: false, host: '127.0.0.1' },
    logLevel: 'warn',
  });
  await server.listen();
  const url = server.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5188/';
  project.provide('baseUrl', url);
  return async () => {
    await server?.close();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}
