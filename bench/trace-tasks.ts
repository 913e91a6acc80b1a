/**
 * What each main-thread task of the production build is made of: serves dist/ with
 * `weightscope open` (the production headers), opens it in a fresh profile, traces start-up and
 * the default run (`--startup`: only to 2 s after the first step), then with `--chart` the Paths
 * tab's first chart, and prints the ten tasks with the most CPU time (which modules a module
 * evaluation ran, else its largest inner slices), and for every task over `--threshold` ms (30) its
 * nested slices and, unless `--light`, the hottest functions of the trace's sampling profile.
 *
 *   npx vite build && node --import ./bin/register.mjs bench/trace-tasks.ts [--chart] [--startup] [--light]
 *
 * `--light` records only what the bench does plus module evaluation and V8's compile events. The
 * full categories make Blink take a JS stack trace for some events (a timer set, a message
 * posted), and V8 then re-parses each function on the stack for its source positions
 * (V8.CollectSourcePositions): tens of ms inside a module's evaluation that an untraced page never
 * pays, so figures come from `--light` (or the bench), attribution from the full trace.
 * A probe for finding what to fix; the table's figures come from `npm run bench -- --only longtasks`.
 */
import { spawn } from 'node:child_process';
import type { Page } from 'playwright-core';
import { GPU_COMPOSITED_ARGS, launch } from '../e2e/browser';
import {
  pageThread,
  startTracing,
  tasksOf,
  threadSlices,
  traceStart,
  type TraceEvent,
  type TraceTask,
} from './trace';

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(name);
const THRESHOLD = Number(argv[argv.indexOf('--threshold') + 1]) || 30;

const CATEGORIES = flag('--light')
  ? argv.includes('--bare')
    ? ['toplevel', 'v8.execute']
    : ['toplevel', 'v8', 'v8.execute', 'disabled-by-default-v8.compile']
  : [
      'toplevel',
      'v8',
      'v8.execute',
      'devtools.timeline',
      'disabled-by-default-devtools.timeline',
      'disabled-by-default-v8.compile',
      'disabled-by-default-v8.cpu_profiler',
    ];

/** A sampling profile as the trace carries it ("Profile" then "ProfileChunk"s, on the trace's clock). */
interface Samples {
  frames: Map<number, string>;
  at: { ts: number; frame: string }[];
}

/** The samples of the page's thread (profile chunks are tagged with the thread they sampled). */
function samplesOf(events: readonly TraceEvent[], thread: string): Samples {
  const frames = new Map<number, string>();
  const at: Samples['at'] = [];
  const start = events.find((e) => e.name === 'Profile' && `${e.pid}:${e.tid}` === thread);
  if (!start) return { frames, at };
  const id = (start as unknown as { id: string }).id;
  let t = (start.args as { data: { startTime: number } }).data.startTime;
  type Chunk = {
    cpuProfile?: {
      nodes?: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
      samples?: number[];
    };
    timeDeltas?: number[];
  };
  for (const e of events) {
    if (e.name !== 'ProfileChunk' || (e as unknown as { id: string }).id !== id) continue;
    const data = (e.args as { data: Chunk }).data;
    for (const n of data.cpuProfile?.nodes ?? []) {
      const f = n.callFrame;
      frames.set(n.id, `${f.functionName || '(anon)'} ${short(f.url)}:${f.lineNumber + 1}`);
    }
    const deltas = data.timeDeltas ?? [];
    (data.cpuProfile?.samples ?? []).forEach((s, i) => {
      t += deltas[i] ?? 0;
      at.push({ ts: t, frame: String(s) });
    });
  }
  return { frames, at };
}

const short = (u: unknown): string =>
  String(u ?? '')
    .replace(/^.*\/assets\//, '')
    .replace(/-[\w-]{8}\.js/, '');

const within = (e: TraceEvent, t: TraceTask): boolean => e.ts >= t.ts && e.ts + (e.dur ?? 0) <= t.ts + t.dur;

function report(events: TraceEvent[], title: string): void {
  const thread = pageThread(events);
  const slices = threadSlices(events, thread);
  const tasks = tasksOf(slices);
  const t0 = traceStart(events);
  const at = (ts: number): string => ((ts - t0) / 1e6).toFixed(2);
  // Which modules each evaluation ran: those compiled since the evaluation before it.
  const evaluated = new Map<TraceTask, string[]>();
  let compiled: string[] = [];
  for (const e of slices) {
    if (e.name === 'v8.compileModule') compiled.push(short((e.args?.data as { url?: string })?.url));
    if (e.name !== 'v8.evaluateModule') continue;
    const task = tasks.find((t) => within(e, t));
    if (task) evaluated.set(task, [...(evaluated.get(task) ?? []), compiled.join('+')]);
    compiled = [];
  }
  const what = (t: TraceTask): string =>
    evaluated.has(t)
      ? `evaluate ${evaluated.get(t)!.join(', ')}`
      : slices
          .filter((e) => within(e, t) && (e.tdur ?? 0) > t.tdur * 0.3)
          .map((e) => e.name)
          .slice(0, 4)
          .join(' > ');
  const top = [...tasks].sort((a, b) => b.tdur - a.tdur).slice(0, 10);
  console.log(`\n=== ${title}: ${tasks.length} tasks; the ten with the most CPU time (ms @ s):`);
  for (const t of top) console.log(`  ${(t.tdur / 1000).toFixed(1)} @${at(t.ts)}  ${what(t)}`);
  const samples = samplesOf(events, thread);
  for (const task of tasks) {
    if (task.tdur / 1000 <= THRESHOLD) continue;
    console.log(
      `\n-- @${at(task.ts)} s: ${(task.tdur / 1000).toFixed(1)} ms CPU, ${(task.dur / 1000).toFixed(1)} ms wall`,
    );
    const open: TraceEvent[] = [];
    for (const e of slices.filter((s) => within(s, task))) {
      while (open.length && open[open.length - 1]!.ts + (open[open.length - 1]!.dur ?? 0) <= e.ts) open.pop();
      const ms = (e.tdur ?? e.dur ?? 0) / 1000;
      const url = (e.args?.data as { url?: string } | undefined)?.url;
      if (ms >= 2 && open.length < 8)
        console.log(
          `${'  '.repeat(open.length + 1)}${ms.toFixed(1)} ms  ${e.name}${url ? ` ${short(url)}` : ''}`,
        );
      open.push(e);
    }
    const self = new Map<string, number>();
    let n = 0;
    for (const s of samples.at)
      if (s.ts >= task.ts && s.ts <= task.ts + task.dur) {
        const f = samples.frames.get(Number(s.frame)) ?? '?';
        self.set(f, (self.get(f) ?? 0) + 1);
        n++;
      }
    if (n === 0) continue;
    console.log(`   ${n} samples; hottest (self time):`);
    for (const [f, c] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12))
      console.log(`     ${((100 * c) / n).toFixed(0)}%  ${f}`);
  }
}

function serve(): Promise<{ url: string; stop: () => void }> {
  const proc = spawn('node', ['bin/weightscope.js', 'open', '--no-browser', '--port', '0', '--json'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    proc.once('exit', (c) => reject(new Error(`weightscope open exited ${c}`)));
    proc.stdout.once('data', (c: Buffer) => {
      const { url } = JSON.parse(c.toString()) as { url: string };
      resolve({ url, stop: () => proc.kill('SIGTERM') });
    });
  });
}

/** Waits until the app has trained its first step, or finished its run. */
async function until(page: Page, check: 'firstStep' | 'done', timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const ok = await page.evaluate((c) => {
      type S = { getState(): { run: { step: number; status: string } } };
      const s = (window as unknown as { __weightscope?: S }).__weightscope?.getState();
      return !!s && (c === 'firstStep' ? s.run.step >= 1 : s.run.status === 'done');
    }, check);
    if (ok) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`the app did not reach "${check}"`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const served = await serve();
const context = await launch({ args: GPU_COMPOSITED_ARGS });
try {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const stop = await startTracing(page, cdp, CATEGORIES);
  await page.goto(`${served.url}?trace`);
  await until(page, 'firstStep', 120_000);
  if (!flag('--startup')) await until(page, 'done', 300_000);
  await page.waitForTimeout(2000);
  report(await stop(), 'start-up and default run');
  if (flag('--chart')) {
    // The idle warm-up done, as for a person who reads the results first.
    await page.waitForTimeout(4000);
    const stopChart = await startTracing(page, cdp, CATEGORIES);
    await page.getByRole('tab', { name: 'Paths' }).click();
    await page.getByTestId('preset-independent').waitFor();
    await page.waitForTimeout(1000);
    await page.getByTestId('preset-independent').click();
    await page
      .locator('[data-testid="paths-chart"].js-plotly-plot .main-svg')
      .first()
      .waitFor({ timeout: 300_000 });
    await page.waitForTimeout(2000);
    report(await stopChart(), 'Paths tab and its first chart');
  }
} finally {
  await context.close();
  served.stop();
}
