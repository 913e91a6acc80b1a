/**
 * How the page answers while the worker is busy (moved here from the browser tests, which assert
 * behaviour, never timings): the longest gap between animation frames and the main thread's long
 * tasks (> 50 ms) while a population trains, and while the Cloud view aligns and maps 70 models.
 */
import type { Page } from 'playwright-core';
import { GPU_COMPOSITED_ARGS, launch, tinyExperimentUrl, waitForState } from '../e2e/browser';
import type { BenchRow } from './measure';

/**
 * Starts counting frame gaps and long tasks on the page. Plain text, not a function: tsx (which
 * runs the bench) wraps named functions in a helper the page does not have.
 */
const WATCH = `(() => {
  const w = window;
  w.__gaps = [];
  w.__long = [];
  w.__stop = false;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) w.__long.push(e.duration);
  }).observe({ type: 'longtask', buffered: false });
  let last = performance.now();
  const tick = () => {
    const now = performance.now();
    w.__gaps.push(now - last);
    last = now;
    if (!w.__stop) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})()`;

async function startWatch(page: Page): Promise<void> {
  await page.evaluate(WATCH);
}

async function stopWatch(page: Page): Promise<{ maxGap: number; longTasks: number; longestTask: number }> {
  return page.evaluate(() => {
    const w = window as unknown as { __gaps: number[]; __long: number[]; __stop: boolean };
    w.__stop = true;
    const long = w.__long.filter((d) => d > 50);
    return { maxGap: Math.max(0, ...w.__gaps), longTasks: long.length, longestTask: Math.max(0, ...long) };
  });
}

const row = (name: string, r: { maxGap: number; longTasks: number; longestTask: number }): BenchRow => ({
  group: 'ui',
  name,
  runtime: 'chromium/page',
  median: r.maxGap,
  min: r.maxGap,
  max: r.maxGap,
  unit: 'ms longest frame gap',
  extra: { longTasksOver50ms: r.longTasks, longestTaskMs: Number(r.longestTask.toFixed(0)) },
});

/** Measures the page's responsiveness in the app served at `url`. */
export async function benchResponsiveness(url: string, log: (l: string) => void): Promise<BenchRow[]> {
  const context = await launch({ args: GPU_COMPOSITED_ARGS });
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(600_000);
    // Eight SIRENs 3×32 on a 32×32 image (the default experiment's population) on wasm.
    await page.goto(
      tinyExperimentUrl(url, (s) => {
        s.population.size = 8;
        s.training.steps = 60;
        s.training.evalEvery = 10;
      }),
    );
    await waitForState(page, "s && s.ready && s.run.status === 'calibrating'", 300_000);
    await startWatch(page);
    await waitForState(page, "s.run.status === 'done'", 600_000);
    const training = await stopWatch(page);
    log(`ui: training, longest frame gap ${training.maxGap.toFixed(0)} ms`);
    // 64 narrow INRs join, then the Cloud maps all 70+ models, aligned and raw.
    await page.getByTestId('size').fill('16');
    await page.getByTestId('hidden').fill('8');
    await page.getByTestId('pop-size').fill('64');
    await page.getByTestId('steps').fill('20');
    await page.getByTestId('train').click();
    await waitForState(page, "s.run.status === 'done' && s.models.length > 70", 600_000);
    await page.getByRole('tab', { name: 'Cloud' }).click();
    await startWatch(page);
    await page.getByTestId('cloud-run').click();
    await page.waitForFunction(
      () => !(document.querySelector('[data-testid="cloud-run"]') as HTMLButtonElement | null)?.disabled,
      null,
      { timeout: 600_000, polling: 200 },
    );
    const cloud = await stopWatch(page);
    log(`ui: cloud, longest frame gap ${cloud.maxGap.toFixed(0)} ms`);
    return [
      row('page while 8 SIRENs 3×32 train 60 steps (32×32, wasm)', training),
      row('page while the Cloud aligns and maps 73 models', cloud),
    ];
  } finally {
    await context.close();
  }
}
