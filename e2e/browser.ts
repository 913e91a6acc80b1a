import { mkdtempSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { encodeExperiment } from '../src/engine/experiment';
import { defaultExperiment, type ExperimentSpec } from '../src/engine/experiment/schema';

/**
 * Debian's Chromium with a WebGPU adapter (SwiftShader, on the CPU) in pages and workers, and no
 * background networking (the machine has no network). Never a downloaded browser.
 */
export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-angle=swiftshader',
  '--ignore-gpu-blocklist',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // The page is composited in software (Skia) instead of through SwiftShader's emulated GL; WebGL
  // and WebGPU still run on SwiftShader in the GPU process. Measured on 2 vCPUs: 20–35 % less CPU
  // a test file (cloud-landscape 57 → 38 CPU-s, align-paths 29 → 20–24).
  '--disable-gpu-compositing',
];

/**
 * The benchmarks' switches: the page composited on the GPU (here SwiftShader) as in a person's
 * browser, so that their figures compare with those measured before the tests went software.
 */
export const GPU_COMPOSITED_ARGS = CHROMIUM_ARGS.filter((a) => a !== '--disable-gpu-compositing');

export const ARTIFACTS = path.resolve('e2e/artifacts');

/** What a test may change about the browser it launches. */
export interface LaunchOptions {
  /** The window's size (default 1400 × 900). */
  viewport?: { width: number; height: number };
  /** Chromium's switches (default: CHROMIUM_ARGS). */
  args?: string[];
  /** The browser process's environment (default: this process's). */
  env?: Record<string, string>;
  /**
   * Keep the page's Content-Security-Policy (default: bypassed, so that the state helpers below
   * can compile their string predicates; the CSP tests enforce it and read state without eval).
   */
  enforceCsp?: boolean;
}

export async function launch(options: LaunchOptions = {}): Promise<BrowserContext> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launchPersistentContext(mkdtempSync(path.join(os.tmpdir(), 'weightscope-e2e-')), {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: options.args ?? CHROMIUM_ARGS,
    viewport: options.viewport ?? { width: 1400, height: 900 },
    bypassCSP: !options.enforceCsp,
    ...(options.env ? { env: options.env } : {}),
  });
}

/** A page of the app under test and the console and page errors it has logged. */
export interface WatchedPage {
  page: Page;
  errors: string[];
}

/** A browser, and the page a test file drives, as a file's `beforeAll` opens them. */
export interface AppBrowser extends WatchedPage {
  context: BrowserContext;
}

/** A new page of `context` whose errors are collected from the start. */
export async function watchedPage(context: BrowserContext): Promise<WatchedPage> {
  const page = await context.newPage();
  return { page, errors: watchErrors(page) };
}

/** A new page of `context`, errors collected, opened on the idle app (see openIdleApp). */
export async function idlePage(
  context: BrowserContext,
  base: string,
  patch?: (spec: ExperimentSpec) => void,
): Promise<WatchedPage> {
  const opened = await watchedPage(context);
  await openIdleApp(opened.page, base, patch);
  return opened;
}

/**
 * The usual `beforeAll` of a test file: launches the browser and opens one page on the idle app
 * with the sample models, its errors collected; `patch` changes the tiny experiment it trains.
 */
export async function launchIdleApp(
  base: string,
  patch?: (spec: ExperimentSpec) => void,
): Promise<AppBrowser> {
  const context = await launch();
  return { context, ...(await idlePage(context, base, patch)) };
}

/** Collects console errors and uncaught page errors. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

/** The app's state, read through the hook main.tsx exposes for automation. */
export async function appState<T>(page: Page, pick: string): Promise<T> {
  return page.evaluate((expr) => {
    const s = (window as unknown as { __weightscope: { getState(): unknown } }).__weightscope.getState();
    return new Function('s', `return ${expr}`)(s);
  }, pick) as Promise<T>;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Waits until `expr` (over the app state `s`) is truthy; false while the app is still starting. */
export async function waitForState(page: Page, expr: string, timeout = 120_000): Promise<void> {
  await page.waitForFunction(
    (e) => {
      const s = (window as unknown as { __weightscope?: { getState(): unknown } }).__weightscope?.getState();
      return s !== undefined && new Function('s', `return ${e}`)(s);
    },
    expr,
    { timeout, polling: 250 },
  );
}

/** The Merge tab's score table, a row per model: [role, model, loss, metric] as shown. */
export async function mergeTable(page: Page): Promise<string[][]> {
  return page
    .getByTestId('merge-table')
    .locator('tbody tr')
    .evaluateAll((rows) =>
      rows.map((r) => Array.from(r.querySelectorAll('td')).map((td) => td.textContent ?? '')),
    );
}

/**
 * Shares the page's experiment and opens the link in a fresh page of the same browser (a receiver
 * with nothing of the sender's workspace); returns that page and its error log.
 */
export async function openShareLink(page: Page): Promise<{ other: Page; otherErrors: string[] }> {
  await page.getByTestId('share').click();
  const url = await page.getByTestId('share-url').inputValue();
  const other = await page.context().newPage();
  const otherErrors = watchErrors(other);
  await other.goto(url);
  return { other, otherErrors };
}

/** The model id of the first merge in the workspace (`merge(…)`). */
export function firstMergeRef(page: Page): Promise<string> {
  return appState<string>(page, "s.models.find((m) => m.source === 'merge').ref");
}

/**
 * A link to a tiny experiment: the sample SIRENs' architecture and image, one member, a few steps
 * on tfjs-wasm. Opening it trains in about a second, where the default experiment first
 * calibrates every backend (SwiftShader's WebGPU included) and then trains eight members; tests
 * that only need an idle app with the sample models open this instead.
 */
export function tinyExperimentUrl(
  base: string,
  patch: (spec: ExperimentSpec) => void = () => undefined,
): string {
  const spec = defaultExperiment();
  spec.population.size = 1;
  spec.training.steps = 4;
  spec.training.evalEvery = 2;
  spec.backend = 'wasm';
  patch(spec);
  return `${base.replace(/#.*$/, '')}${encodeExperiment(spec)}`;
}

/**
 * Opens the app on the tiny experiment (`patch` changes it) and waits, on state rather than on
 * counts, until the sample models are in (six SIRENs, three MNIST classifiers) and the engine is
 * idle.
 */
export async function openIdleApp(
  page: Page,
  url: string,
  patch?: (spec: ExperimentSpec) => void,
): Promise<void> {
  await page.goto(tinyExperimentUrl(url, patch));
  await waitForState(page, "s && s.ready && s.run.status === 'done'");
}

/**
 * The traces of the plotly chart under `testId`, once plotly has drawn it: plotly loads on a
 * chart's first use (a ~3.5 MB chunk kept out of start-up), so the first chart of a page draws a
 * moment after its data arrives.
 */
export async function plotTraces<T = Record<string, unknown>>(
  page: Page,
  testId: string,
  timeout = 30_000,
): Promise<T[]> {
  await page.locator(`[data-testid="${testId}"].js-plotly-plot`).waitFor({ timeout });
  return page.evaluate(
    (id) => (document.querySelector(`[data-testid="${id}"]`) as unknown as { data: unknown[] }).data,
    testId,
  ) as Promise<T[]>;
}

/** One Paths curve as the page's paths store holds it (barrier and loss per α). */
export interface PathsCurve {
  kind: string;
  barrier: number;
  losses: number[];
}

/** The last Paths result's curves, read from the page's paths store (none until the app has started). */
export async function pathsCurves(page: Page): Promise<PathsCurve[]> {
  return page.evaluate(() => {
    const w = window as unknown as {
      __weightscope?: {
        paths(): {
          result: { curves: { kind: string; barrier: number; losses: Float32Array }[] } | null;
        };
      };
    };
    return (w.__weightscope?.paths().result?.curves ?? []).map((c) => ({
      kind: c.kind,
      barrier: c.barrier,
      losses: Array.from(c.losses),
    }));
  });
}

/** Waits until the Paths result holds `count` curves, and returns them. */
export async function waitForPathsCurves(page: Page, timeout: number, count = 2): Promise<PathsCurve[]> {
  await expect.poll(async () => (await pathsCurves(page)).length, { timeout }).toBe(count);
  return pathsCurves(page);
}
