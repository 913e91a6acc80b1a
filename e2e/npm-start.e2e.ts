/**
 * The dev server `npm start` runs (vite.config.ts: Vite's bundled mode). The page and each worker
 * arrive as a few bundled chunks, not one request per source module (several hundred for the
 * engine worker, which took the first step to 7.1 s on a quiet machine), and what bundling can
 * break still works: on 6 (faked) cores the engine worker starts its kernel shard workers (nested
 * workers, each a chunk of its own) and tfjs-wasm's threaded build, whose pthread workers load
 * from the files vite.config.ts emits (bundled, tfjs's own toString() blob fails with
 * "e is not defined", as it does minified).
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, screenshot, watchErrors } from './browser';
import { startDevServer } from './dev-server';
import { fakeCoresEnv, until } from './served';

let dev: Awaited<ReturnType<typeof startDevServer>>;
let context: BrowserContext;
let threaded = false;
const requests: string[] = [];

beforeAll(async () => {
  dev = await startDevServer();
  const env = fakeCoresEnv(6);
  threaded = env !== null;
  context = await launch(env ? { env } : {});
  context.on('request', (r) => {
    const url = new URL(r.url());
    if (url.origin === new URL(dev.url).origin) requests.push(url.pathname);
  });
}, 180_000);
afterAll(async () => {
  await context?.close();
  await dev?.server.close();
});

interface Kernel {
  workers: number;
}

/** The fused kernel's worker count of the run, once training has reported its path. */
const kernelOf = (page: Page): Promise<Kernel | null> =>
  page.evaluate(() => {
    const s = (
      window as unknown as { __weightscope: { getState(): { backend: { kernel?: Kernel } | null } } }
    ).__weightscope.getState();
    return s.backend?.kernel ?? null;
  });

describe('npm start (the bundled dev server)', () => {
  it('serves the page and its workers as bundled chunks, and trains on worker shards and threaded wasm', async () => {
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(dev.url);
    const state = await until(
      page,
      (s) => s.step >= 1 || s.status === 'error',
      'the first training step',
      180_000,
    );
    await screenshot(page, 'npm-start');
    expect(errors).toEqual([]);
    expect(state.status).not.toBe('error');

    // No source module was fetched one by one: the page and the workers are chunks under /assets/.
    expect(requests.filter((p) => p.startsWith('/src/') || p.startsWith('/node_modules/'))).toEqual([]);
    expect(requests.filter((p) => /^\/assets\/engine\.worker-[\w-]+\.js$/.test(p))).toHaveLength(1);
    if (!threaded) return; // no C compiler for the core-count shim: one core's worth of shards
    // 8 members over 6 cores: 5 shard workers, one chunk (fetched once per worker at most).
    expect((await kernelOf(page))?.workers).toBe(5);
    expect(requests.some((p) => /^\/assets\/kernel-shard\.worker-[\w-]+\.js$/.test(p))).toBe(true);
    // tfjs-wasm took its threaded build, its pthread scripts from the emitted files.
    expect(requests.some((p) => /\/tfjs-backend-wasm-threaded-simd[\w-]*\.wasm$/.test(p))).toBe(true);
    expect(requests.some((p) => /^\/assets\/tfjs-pthread-main-[0-9a-f]{8}\.js$/.test(p))).toBe(true);
    expect(requests.some((p) => /^\/assets\/tfjs-pthread-worker-[0-9a-f]{8}\.js$/.test(p))).toBe(true);
  }, 240_000);
});
