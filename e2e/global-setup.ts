import type { TestProject } from 'vitest/node';
import { freshBundle } from '../bin/cli-bundle.mjs';
import { buildCli } from '../scripts/build-cli.mjs';
import { buildApp, serve, type Served } from './served';

let served: Served | null = null;

/**
 * Builds the app once (skipped when dist/ is newer than every input) and serves the production
 * build with `weightscope open` (its cross-origin isolation headers) for every browser test: the
 * app as people get it. The WGSL test, which imports source modules by URL, starts an unbundled
 * dev server of its own, and npm-start.e2e.ts the bundled one `npm start` serves (dev-server.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.E2E_DEV) {
    const { startDevServer } = await import('./dev-server');
    const dev = await startDevServer();
    project.provide('baseUrl', dev.url);
    return async () => dev.server.close();
  }
  await buildApp();
  if (!freshBundle()) await buildCli(); // `weightscope open` serves the build
  served = await serve([]);
  project.provide('baseUrl', served.url);
  return async () => {
    served?.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}
