/**
 * Start-up time and main-thread long tasks of whole runs in the real app (headless Debian
 * Chromium, the e2e flags but composited on the GPU as a person's browser is): the page is opened as a person would, the default experiment trains
 * to its end, and a PerformanceObserver counts every long task (> 50 ms, the browser's own
 * definition) from opening to 2 s after the run is done. Then the same with a population of 16.
 * Also: open → first training step, in a fresh profile (calibration measured) and on a reload
 * (calibration reused from localStorage). The default experiment is measured twice: under the
 * dev server (`npm start`: Vite's bundled dev mode) and on the production build (`vite preview`, the
 * headers `weightscope open` sends), which is what a person who deploys it gets. On the build,
 * after that run: the first chart of the session (the Paths tab opened, its first preset run,
 * long tasks from the click to 2 s after plotly has drawn); by then the app has evaluated plotly
 * in idle time, in slices (src/app/components/plotly-loader.ts). Then the same chart in a new
 * page as soon as it has its models, while the default run starts: plotly evaluated on demand.
 * The build's rows also give each main-thread task's CPU time from a Chrome trace, which, unlike
 * the wall-clock long tasks, does not stretch with the load of a shared machine.
 *
 *   npm run bench -- --only longtasks --build-only              the production build's rows only
 *   npm run bench -- --only longtasks --build-only --dist DIR   a build made before (A/B runs)
 *
 * What a long task is made of: bench/trace-tasks.ts. Figures here come with DevTools attached
 * (Playwright), which costs a module's evaluation tens of ms that an untraced page does not pay
 * (V8 re-parsing functions for source positions): react-dom's evaluation measured 20-35 ms of CPU
 * here and 3-4 ms in a `chromium --trace-startup` run with nothing attached.
 */
import type { Page } from 'playwright-core';
import { createServer, preview } from 'vite';
import { GPU_COMPOSITED_ARGS, launch } from '../e2e/browser';
import { productionBuild } from '../e2e/served';
import { encodeExperiment } from '../src/engine/experiment';
import { defaultExperiment } from '../src/engine/experiment/schema';
import type { BenchRow } from './measure';
import { pageThread, startTracing, tasksOf, threadSlices, traceStart } from './trace';

interface RunFigures {
  firstStepS: number;
  runS: number;
  tasks: number[];
  /** Each task over 50 ms as "duration@start" (seconds from navigation), to find what blocks. */
  when: string[];
  /** The page's clock (s from navigation) at the first step and at the end of the run. */
  marks: { firstStep: number; end: number };
}

const OBSERVE = `
  window.__longTasks = [];
  window.__longTaskWhen = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      window.__longTasks.push(Math.round(e.duration));
      window.__longTaskWhen.push(Math.round(e.duration) + '@' + (e.startTime / 1000).toFixed(1));
    }
  }).observe({ type: 'longtask', buffered: true });
`;

/** What the bench reads of the app's state (a fixed set: no eval, so the production CSP allows it). */
type Check = 'firstStep' | 'done' | 'models' | 'backend';

/** Runs in the page: one check of the app's state. */
function readState(check: string): unknown {
  const s = (
    window as unknown as {
      __weightscope?: {
        getState(): {
          run: { step: number; status: string };
          models: unknown[];
          backend: { kernel?: unknown; name: string } | null;
        };
      };
    }
  ).__weightscope?.getState();
  if (check === 'backend') return s?.backend ? (s.backend.kernel ? 'fused' : s.backend.name) : '';
  if (!s) return false;
  if (check === 'firstStep') return s.run.step >= 1;
  if (check === 'done') return s.run.status === 'done';
  return s.models.length > 0;
}

const backendName = (page: Page): Promise<string> => page.evaluate(readState, 'backend') as Promise<string>;

/** Polls with page.evaluate (exempt from the page's CSP, unlike waitForFunction's string eval). */
async function until(page: Page, check: Check, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!(await page.evaluate(readState, check))) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`the app did not reach "${check}" in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Opens `url`, waits for the first step and (unless `firstStepOnly`) the end of the run, and
 * collects long tasks.
 */
async function wholeRun(
  page: Page,
  url: string,
  timeoutMs: number,
  firstStepOnly = false,
): Promise<RunFigures> {
  const t0 = Date.now();
  await page.goto(url);
  await until(page, 'firstStep', timeoutMs);
  const firstStepS = (Date.now() - t0) / 1000;
  const clock = (): Promise<number> => page.evaluate(() => Number((performance.now() / 1000).toFixed(1)));
  const firstStep = await clock();
  if (firstStepOnly)
    return { firstStepS, runS: firstStepS, tasks: [], when: [], marks: { firstStep, end: firstStep } };
  await until(page, 'done', timeoutMs);
  const runS = (Date.now() - t0) / 1000;
  const end = await clock();
  await page.waitForTimeout(2000);
  const { tasks, when } = await page.evaluate(() => {
    const w = window as unknown as { __longTasks: number[]; __longTaskWhen: string[] };
    return { tasks: w.__longTasks, when: w.__longTaskWhen };
  });
  return { firstStepS, runS, tasks, when, marks: { firstStep, end } };
}

const row = (name: string, unit: string, v: number, extra?: BenchRow['extra']): BenchRow => ({
  group: 'longtasks',
  name,
  runtime: 'chromium/app',
  median: v,
  min: v,
  max: v,
  unit,
  ...(extra ? { extra } : {}),
});

function taskRows(label: string, f: RunFigures): BenchRow[] {
  const over = f.tasks.filter((d) => d > 50);
  return [
    row(`${label}: long tasks > 50 ms, open → 2 s after the end`, 'count', over.length, {
      tasks: over.join(' ') || 'none',
      runS: Number(f.runS.toFixed(1)),
      when: `${f.when.join(' ')} (first step @${f.marks.firstStep}, end @${f.marks.end})`,
    }),
    row(`${label}: longest main-thread task`, 'ms', Math.max(0, ...f.tasks)),
  ];
}

/**
 * `--build-only`: only the production build's rows (no dev server). `--dist DIR`: serve the build
 * already in DIR instead of building (to compare two builds, run alternately on a shared machine).
 */
function productionOptions(argv: string[]): { buildOnly: boolean; dist: string | null } {
  const i = argv.indexOf('--dist');
  return { buildOnly: argv.includes('--build-only'), dist: i >= 0 ? (argv[i + 1] ?? null) : null };
}

/** The long-task and start-up rows. */
export async function benchLongTasks(log: (line: string) => void = () => undefined): Promise<BenchRow[]> {
  const options = productionOptions(process.argv.slice(2));
  const rows: BenchRow[] = [];
  // Each row is logged as it is measured, so a long run that is cut short still reports.
  const push = (...r: BenchRow[]): void => {
    for (const x of r)
      log(`longtasks: ${x.name}: ${x.median} ${x.unit}${x.extra ? ` ${JSON.stringify(x.extra)}` : ''}`);
    rows.push(...r);
  };
  if (!options.buildOnly) await devServerRows(log, push);
  push(...(await productionRows(log, options.dist)));
  return rows;
}

/** The dev server's rows: start-up, the default run and a population of 16, in a fresh profile. */
async function devServerRows(log: (line: string) => void, push: (...r: BenchRow[]) => void): Promise<void> {
  const server = await createServer({
    configFile: 'vite.config.ts',
    server: { port: 5197, strictPort: false, host: '127.0.0.1', hmr: false, watch: { ignored: ['**/*'] } },
    logLevel: 'warn',
  });
  await server.listen();
  const base = server.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5197/';
  // Vite bundles at start and transforms what a page first asks for: warm it in a throwaway
  // profile, so that the figures are the app's, not Vite's.
  const warm = await launch({ args: GPU_COMPOSITED_ARGS });
  try {
    const page = await warm.newPage();
    await page.goto(base);
    await until(page, 'models', 300_000);
  } finally {
    await warm.close();
  }
  // A fresh profile: no stored calibration, empty caches.
  const context = await launch({ args: GPU_COMPOSITED_ARGS });
  try {
    const page = await context.newPage();
    await page.addInitScript(OBSERVE);
    log('longtasks: default experiment, fresh profile…');
    const fresh = await wholeRun(page, `${base}?fresh`, 600_000);
    push(
      row('open → first training step, fresh profile (no stored calibration)', 's', fresh.firstStepS, {
        backend: await backendName(page),
      }),
    );
    push(...taskRows('default experiment (8 SIRENs 3×32, 32×32, 500 steps)', fresh));
    log('longtasks: default experiment again, calibration reused (to its first step)…');
    await page.goto('about:blank');
    const again = await wholeRun(page, `${base}?again`, 600_000, true);
    push(
      row('open → first training step, calibration reused', 's', again.firstStepS, {
        backend: await backendName(page),
      }),
    );
    log('longtasks: population of 16…');
    const spec = defaultExperiment();
    spec.population.size = 16;
    await page.goto('about:blank');
    const big = await wholeRun(page, `${base}?p16${encodeExperiment(spec)}`, 900_000);
    push(...taskRows('population of 16 (SIRENs 3×32, 32×32, 500 steps)', big));
  } finally {
    await context.close();
    await server.close();
  }
}

/**
 * The default experiment on the production build, in a fresh profile: first step and long tasks.
 * `dist`: a build made before (served as it is), else one made now.
 */
async function productionRows(log: (line: string) => void, dist: string | null): Promise<BenchRow[]> {
  log(`longtasks: production build (${dist ? `${dist}, built before` : 'vite build'} + vite preview)…`);
  // The dev server measured before left NODE_ENV=development in this process (productionBuild).
  if (!dist) await productionBuild();
  const server = await preview({
    configFile: 'vite.config.ts',
    ...(dist ? { build: { outDir: dist } } : {}),
    preview: { port: 5198, strictPort: false, host: '127.0.0.1' },
    logLevel: 'warn',
  });
  const base = server.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5198/';
  const context = await launch({ args: GPU_COMPOSITED_ARGS });
  try {
    const page = await context.newPage();
    await page.addInitScript(OBSERVE);
    const runTrace = await startTrace(page);
    const f = await wholeRun(page, `${base}?prod`, 600_000);
    const runCpu = await runTrace();
    const rows = [
      row('production build: open → first training step, fresh profile', 's', f.firstStepS),
      ...taskRows('production build, default experiment', f),
      cpuRow('production build, default experiment', runCpu),
    ];
    log('longtasks: production build, first chart (Paths tab, independent preset)…');
    const chartTrace = await startTrace(page);
    const chart = await firstChartRows(page, 'production build');
    rows.push(...chart, cpuRow('production build, Paths tab and its first chart', await chartTrace()));
    log('longtasks: production build, a chart at once in a new page (plotly evaluated on demand)…');
    const soon = await context.newPage();
    await soon.addInitScript(OBSERVE);
    await soon.goto(`${base}?soon`);
    await until(soon, 'models', 600_000);
    const soonTrace = await startTrace(soon);
    const soonChart = await firstChartRows(soon, 'production build, at once');
    rows.push(
      ...soonChart,
      cpuRow('production build, at once: Paths tab and its chart (plotly on demand)', await soonTrace()),
    );
    log('longtasks: production build, population of 16…');
    const spec = defaultExperiment();
    spec.population.size = 16;
    const big = await context.newPage();
    await big.addInitScript(OBSERVE);
    const bigTrace = await startTrace(big);
    const p16 = await wholeRun(big, `${base}?p16${encodeExperiment(spec)}`, 900_000);
    const label = 'production build, population of 16 (SIRENs 3×32, 32×32, 500 steps)';
    return [...rows, ...taskRows(label, p16), cpuRow(label, await bigTrace())];
  } finally {
    await context.close();
    await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
  }
}

/**
 * The session's first chart, after the default run: long tasks from opening the Paths tab to
 * 2 s after plotly has drawn the barrier chart of the "independent inits" preset (two lerp
 * kinds between two sample SIRENs). The tab switch (its panel mounted) and the chart are
 * reported apart.
 */
async function firstChartRows(page: Page, label: string): Promise<BenchRow[]> {
  const taken = (): Promise<{ tasks: number[]; when: string[] }> =>
    page.evaluate(() => {
      const w = window as unknown as { __longTasks: number[]; __longTaskWhen: string[] };
      const out = { tasks: w.__longTasks.splice(0), when: w.__longTaskWhen.splice(0) };
      return out;
    });
  await taken();
  const clock = (): Promise<number> => page.evaluate(() => Number((performance.now() / 1000).toFixed(1)));
  const t0 = Date.now();
  const opened = await clock();
  await page.getByRole('tab', { name: 'Paths' }).click();
  await page.getByTestId('preset-independent').waitFor();
  await page.waitForTimeout(1000);
  const tab = await taken();
  const pressed = await clock();
  await page.getByTestId('preset-independent').click();
  await page
    .locator('[data-testid="paths-chart"].js-plotly-plot .main-svg')
    .first()
    .waitFor({ timeout: 300_000 });
  const drawnS = (Date.now() - t0) / 1000;
  const drawn = await clock();
  await page.waitForTimeout(2000);
  const chart = await taken();
  const figures = (label: string, t: { tasks: number[]; when: string[] }, marks: string): BenchRow[] => {
    const over = t.tasks.filter((d) => d > 50);
    return [
      row(`${label}: tasks > 50 ms / longest`, 'count', over.length, {
        tasks: over.join(' ') || 'none',
        longestMs: Math.max(0, ...t.tasks),
        when: `${t.when.join(' ') || 'none'} (${marks})`,
      }),
    ];
  };
  return [
    ...figures(`${label}, Paths tab opened`, tab, `clicked @${opened}`),
    ...figures(
      `${label}, first chart (Paths preset → plotly drawn + 2 s)`,
      chart,
      `pressed @${pressed}, drawn @${drawn}, ${drawnS.toFixed(1)} s after the tab click`,
    ),
  ];
}

/**
 * Starts a Chrome trace of the page's top-level tasks; the function it returns stops it and gives
 * the CPU time (thread time, ms) of every task of the page's main thread (bench/trace.ts: which
 * thread, and what a task is). The long tasks above are wall-clock: on a loaded machine a task
 * also counts the time it waited for a core, so they stretch with the load; a task's thread time
 * does not, which makes it the figure to compare between runs on a shared machine.
 */
async function startTrace(page: Page): Promise<() => Promise<CpuTask[]>> {
  const cdp = await page.context().newCDPSession(page);
  const stop = await startTracing(page, cdp, ['toplevel']);
  return async () => {
    const events = await stop();
    await cdp.detach();
    const t0 = traceStart(events);
    return tasksOf(threadSlices(events, pageThread(events))).map((t) => ({
      cpuMs: t.tdur / 1000,
      atS: (t.ts - t0) / 1e6,
    }));
  };
}

/** A main-thread task's CPU time and when it started (s from the start of the trace). */
interface CpuTask {
  cpuMs: number;
  atS: number;
}

function cpuRow(label: string, tasks: CpuTask[]): BenchRow {
  const over = tasks.filter((t) => t.cpuMs > 50);
  const at = (t: CpuTask): string => `${Math.round(t.cpuMs)}@${t.atS.toFixed(1)}`;
  return row(`${label}: main-thread tasks over 50 ms of CPU time (trace)`, 'count', over.length, {
    tasks: over.map(at).join(' ') || 'none',
    longestCpuMs: Math.round(Math.max(0, ...tasks.map((t) => t.cpuMs))),
    // The five longest, over 50 ms or not: how far from the line the rest are.
    top5: [...tasks]
      .sort((a, b) => b.cpuMs - a.cpuMs)
      .slice(0, 5)
      .map(at)
      .join(' '),
  });
}
