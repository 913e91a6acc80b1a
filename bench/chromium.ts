/**
 * Benchmarks through the real app worker in headless Debian Chromium (the e2e launch flags:
 * WebGPU and WebGL on SwiftShader, i.e. on the CPU): training model-steps/s, the 25-point barrier,
 * the loss plane and curve training per backend, curve training on the fused kernel (the app's
 * path), and the Cloud view's PCA in the worker. The page is the app served by Vite; each job is
 * `window.__weightscope.ask('bench', job)`, run by src/workers/jobs/bench.ts.
 *
 * SwiftShader is slow, so a row is first projected from the K = 1 measurement on its backend and
 * skipped (with the projection as the reason) when it would not fit the row budget.
 */
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { createServer } from 'vite';
import { GPU_COMPOSITED_ARGS, launch, openIdleApp } from '../e2e/browser';
import { benchResponsiveness } from './responsiveness';
import type { BackendName, BenchJob, BenchReply } from '../src/workers/protocol';
import type { MatmulLayout } from '../src/engine/tf/stack';
import { PCA_NAME } from './landscape';
import type { BenchRow } from './measure';

export interface ChromiumBenchOptions {
  quick?: boolean;
  /** Groups to run: 'train', 'paths', 'landscape', 'ui' (default all). */
  groups?: string[];
  /** Longest projected time one row may take, in seconds (default 60, 25 when quick). */
  rowBudgetS?: number;
  log?: (line: string) => void;
  /** Only these targets, e.g. ['webgpu', 'wasm split'] (default all). */
  targets?: string[];
}

interface Target {
  backend: BackendName;
  layout?: MatmulLayout;
}

const TARGETS: Target[] = [
  { backend: 'webgpu' },
  { backend: 'webgl' },
  { backend: 'wasm', layout: 'batched' },
  { backend: 'wasm', layout: 'split' },
];

const CURVE_NAME = 'curve training (Bezier, 4 t/step), SIREN 3×64, 64×64';

const runtimeOf = (t: Target): string => `chromium/${t.backend}${t.layout ? ` ${t.layout}` : ''}`;

function stats(times: number[]): { median: number; min: number; max: number } {
  const s = [...times].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
}

const skippedRow = (group: string, name: string, runtime: string, unit: string, why: string): BenchRow => ({
  group,
  name,
  runtime,
  median: NaN,
  min: NaN,
  max: NaN,
  unit,
  skipped: why,
});

function askOnce(page: Page, job: BenchJob): Promise<BenchReply> {
  return page.evaluate(
    (j) =>
      (
        window as unknown as { __weightscope: { ask(t: string, p: unknown): Promise<BenchReply> } }
      ).__weightscope.ask('bench', j),
    job,
  );
}

/**
 * One job; if the page went away under it (a reload, a lost GPU device), the app is opened again
 * and the job retried once, so one mishap does not empty every later row.
 */
async function ask(page: Page, url: string, job: BenchJob, timeoutMs = 300_000): Promise<BenchReply> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  // A job that hangs (seen: curve training on SwiftShader WebGPU never replied) must not stall
  // the whole run: give up after the timeout and reload the app, which ends the stuck worker.
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`no reply within ${(timeoutMs / 1000).toFixed(0)} s (the job hung; app reloaded)`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([askOnce(page, job), hung]);
  } catch (e) {
    const msg = (e as Error).message;
    if (msg.startsWith('no reply within')) {
      await openIdleApp(page, url);
      throw e;
    }
    if (!/context was destroyed|reading 'ask'|Target closed|Instance reference/.test(msg)) throw e;
    await openIdleApp(page, url);
    return askOnce(page, job);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the Chromium rows; a backend or row that cannot run is returned with `skipped`. */
export async function benchChromium(opts: ChromiumBenchOptions = {}): Promise<BenchRow[]> {
  const quick = opts.quick ?? false;
  const groups = new Set(opts.groups ?? ['train', 'paths', 'landscape', 'ui']);
  const budgetMs = 1000 * (opts.rowBudgetS ?? (quick ? 10 : 60));
  const log = opts.log ?? ((): void => undefined);
  const rows: BenchRow[] = [];
  const server = await createServer({
    configFile: 'vite.config.ts',
    server: { port: 5199, strictPort: false, host: '127.0.0.1', hmr: false, watch: { ignored: ['**/*'] } },
    logLevel: 'warn',
  });
  await server.listen();
  const url = server.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5199/';
  try {
    const perBackend = ['train', 'paths', 'landscape'].some((g) => groups.has(g));
    for (const target of TARGETS.filter(
      (t) => perBackend && (!opts.targets || opts.targets.includes(runtimeOf(t).slice('chromium/'.length))),
    )) {
      const runtime = runtimeOf(target);
      // A fresh browser per backend: a GPU device lost or a job hung on one backend must not
      // leave the next one a broken GPU process (seen: WebGL hung after a WebGPU reload).
      const context = await launch({ args: GPU_COMPOSITED_ARGS });
      try {
        const page = await context.newPage();
        page.setDefaultTimeout(600_000);
        await openIdleApp(page, url);
        await benchTarget(page, url, target, runtime);
      } finally {
        await context.close();
      }
    }
    if (groups.has('ui') && !quick) rows.push(...(await benchResponsiveness(url, log)));
  } catch (e) {
    rows.push(
      skippedRow(
        'chromium',
        'headless Chromium',
        'chromium',
        '',
        `could not run: ${(e as Error).message.split('\n')[0]}`,
      ),
    );
  } finally {
    await server.close();
  }
  return rows;

  async function benchTarget(page: Page, url: string, target: Target, runtime: string): Promise<void> {
    const base = {
      backend: target.backend,
      ...(target.layout ? { layout: target.layout } : {}),
      hidden: 64,
      size: 64,
    };
    // K = 1 first: it decides whether this backend works at all and projects the other rows.
    let stepMs: number;
    try {
      const probe = await ask(page, url, { ...base, kind: 'train', k: 1, steps: 2, reps: 1 });
      stepMs = probe.times[0]! / 2;
      log(`${runtime}: ${stepMs.toFixed(0)} ms per K=1 step`);
    } catch (e) {
      const why = `backend failed: ${(e as Error).message.split('\n')[0]}`;
      for (const k of [1, 8, 32])
        rows.push(skippedRow('train', `SIREN 3×64, 64×64, K=${k}`, runtime, 'model-steps/s', why));
      return;
    }
    const plan = async (
      group: string,
      name: string,
      unit: string,
      projectedMs: number,
      job: BenchJob,
      toRow: (times: number[]) => Pick<BenchRow, 'median' | 'min' | 'max' | 'extra'>,
      rowRuntime = runtime,
    ): Promise<void> => {
      if (!groups.has(group)) return;
      if (projectedMs > budgetMs) {
        rows.push(
          skippedRow(
            group,
            name,
            rowRuntime,
            unit,
            `projected ${(projectedMs / 1000).toFixed(0)} s (from the measured step time) exceeds the ${budgetMs / 1000} s row budget`,
          ),
        );
        return;
      }
      try {
        const reply = await ask(page, url, job, Math.max(120_000, 3 * projectedMs));
        rows.push({ group, name, runtime: rowRuntime, unit, ...toRow(reply.times) });
        log(`${rowRuntime}: ${name} done`);
      } catch (e) {
        rows.push(
          skippedRow(group, name, rowRuntime, unit, `failed: ${(e as Error).message.split('\n')[0]}`),
        );
      }
    };
    // Per-model step time, refined by each measured row: batching makes K models cheaper than
    // K × one, so the projection from the last measured K is conservative.
    let perModelStepMs = stepMs;
    for (const k of quick ? [1] : [1, 8, 32]) {
      // Few steps and repetitions where a step is slow (SwiftShader WebGPU ~2 s per K=1 step).
      const steps = perModelStepMs * k > 500 ? 1 : 5;
      const reps = perModelStepMs * k * steps > 10_000 ? 1 : 3;
      await plan(
        'train',
        `SIREN 3×64, 64×64, K=${k}`,
        'model-steps/s',
        perModelStepMs * k * steps * (reps + 1),
        { ...base, kind: 'train', k, steps, reps },
        (times) => {
          const t = stats(times);
          perModelStepMs = t.median / steps / k;
          return {
            median: (1000 * k * steps) / t.median,
            min: (1000 * k * steps) / t.max,
            max: (1000 * k * steps) / t.min,
            extra: { msPerStep: Number((t.median / steps).toFixed(1)), steps, reps },
          };
        },
      );
    }
    if (quick) return; // quick: training rows only
    if (target.layout === 'batched') return; // the layout only changes training
    // A forward pass is about a third of a training step.
    const fwdMs = stepMs / 3;
    const reps = fwdMs * 25 > 5000 ? 1 : 3;
    await plan(
      'paths',
      'barrier, 25 points, SIREN 3×64, 64×64',
      'ms',
      fwdMs * 25 * (reps + 1),
      { ...base, kind: 'barrier', k: 25, steps: 0, reps },
      (times) => ({
        ...stats(times),
        extra: { msPerPoint: Number((stats(times).median / 25).toFixed(1)), reps },
      }),
    );
    const curveRow =
      (curveSteps: number) =>
      (times: number[]): Pick<BenchRow, 'median' | 'min' | 'max' | 'extra'> => {
        const t = stats(times.map((x) => x / curveSteps));
        return {
          ...t,
          extra: { timedSteps: curveSteps, projected500StepsS: Number(((t.median * 500) / 1000).toFixed(1)) },
        };
      };
    // The app trains curves on the fused wasm kernel whatever the tfjs backend (src/workers/jobs/
    // paths.ts), so that row is measured once, beside the wasm backend's tfjs row.
    if (target.backend === 'wasm')
      await plan(
        'paths',
        CURVE_NAME,
        'ms/step',
        20_000,
        { ...base, kind: 'curve', kernel: true, k: 20, steps: 20, reps: 3 },
        curveRow(20),
        'chromium/fused-wasm',
      );
    // tfjs on this backend, for comparison (the fallback where the kernel does not cover a model).
    const curveSteps = stepMs > 500 ? 2 : 10;
    await plan(
      'paths',
      CURVE_NAME,
      'ms/step',
      stepMs * 4 * curveSteps * 2,
      { ...base, kind: 'curve', k: curveSteps, steps: curveSteps, reps: 1 },
      curveRow(curveSteps),
    );
    // PCA as the Cloud view runs it (256 × 50,000): plain engine code in the worker, the same on
    // every tfjs backend, so it is measured once.
    if (target.backend === 'wasm')
      await plan(
        'landscape',
        PCA_NAME,
        'ms',
        4 * 3000,
        { ...base, kind: 'pca', k: 256, dim: 50_000, steps: 0, reps: 3 },
        (times) => ({ ...stats(times), extra: { reps: 3 } }),
      );
    {
      const side = fwdMs * 441 * 2 > budgetMs ? 11 : 21;
      await plan(
        'landscape',
        `loss plane ${side}×${side}, SIREN 3×64, 64×64`,
        'ms',
        fwdMs * side * side * 2,
        { ...base, kind: 'plane', k: side, steps: 0, reps: 1 },
        (times) => {
          const t = stats(times);
          return {
            ...t,
            extra: {
              msPerModel: Number((t.median / (side * side)).toFixed(1)),
              projected21x21S: Number((((t.median / (side * side)) * 441) / 1000).toFixed(1)),
            },
          };
        },
      );
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const t = process.argv.indexOf('--targets');
  const g = process.argv.indexOf('--groups');
  const rows = await benchChromium({
    quick: process.argv.includes('--quick'),
    log: (l) => console.error(l),
    ...(t > 0 ? { targets: process.argv[t + 1]!.split(',') } : {}),
    ...(g > 0 ? { groups: process.argv[g + 1]!.split(',') } : {}),
  });
  console.table(
    rows.map((r) => ({
      name: r.name,
      runtime: r.runtime,
      median: r.median.toFixed(1),
      unit: r.unit,
      ...r.extra,
      ...(r.skipped ? { skipped: r.skipped } : {}),
    })),
  );
}
