/**
 * Reading a page's main-thread tasks from a Chrome trace (the Tracing domain over CDP), for the
 * long-task bench (bench/longtasks.ts) and its probe (bench/trace-tasks.ts).
 *
 * Two things the trace does not say plainly:
 * - Which thread is the page's. The trace holds every renderer of the browser, and headless
 *   Chromium runs others beside the page (its omnibox popup's WebUI evaluates ~100 ms of modules
 *   at start-up, which a "the busiest renderer" guess took for the app's). The page marks its own
 *   thread: just before the trace ends it sets a user-timing mark (TRACE_MARK), after any
 *   navigation, which may have moved it to another renderer.
 * - Where a task ends. Chromium records the microtask checkpoint after a task (where promise
 *   callbacks run: a chart drawn after an awaited import or yield) as a slice of its own beside
 *   the task's, so a task is an outermost slice together with the checkpoint that follows it.
 */
import type { CDPSession, Page } from 'playwright-core';

/** The fields of a Chrome trace event read here. */
export interface TraceEvent {
  ph: string;
  name: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: Record<string, unknown>;
}

/** A main-thread task: when it started (µs, the trace's clock), its wall span and its CPU time (µs). */
export interface TraceTask {
  ts: number;
  dur: number;
  tdur: number;
}

/** The user-timing mark the page sets on its main thread before a trace ends. */
export const TRACE_MARK = 'weightscope-trace-end';

/** The slice Chromium gives the microtask checkpoint after a task. */
const CHECKPOINT = 'BlinkScheduler_PerformMicrotaskCheckpoint';

/** `pid:tid` of an event. */
export const threadOf = (e: TraceEvent): string => `${e.pid}:${e.tid}`;

/** The page's main thread (`pid:tid`): where TRACE_MARK was set. */
export function pageThread(events: readonly TraceEvent[]): string {
  const marked = events.find((e) => e.name === TRACE_MARK);
  if (!marked) throw new Error(`the trace has no "${TRACE_MARK}" mark: the page's main thread is unknown`);
  return threadOf(marked);
}

/** The complete ('X') slices of one thread, in order, the outer one first where two start together. */
export function threadSlices(events: readonly TraceEvent[], thread: string): TraceEvent[] {
  return events
    .filter((e) => e.ph === 'X' && threadOf(e) === thread)
    .sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
}

/** The tasks of one thread's slices (threadSlices): each outermost slice with the checkpoint after it. */
export function tasksOf(slices: readonly TraceEvent[]): TraceTask[] {
  const tasks: TraceTask[] = [];
  let end = -Infinity;
  for (const e of slices) {
    if (e.ts < end) continue;
    end = e.ts + (e.dur ?? 0);
    const last = tasks[tasks.length - 1];
    if (last && e.name === CHECKPOINT) {
      last.tdur += e.tdur ?? 0;
      last.dur = end - last.ts;
    } else tasks.push({ ts: e.ts, dur: e.dur ?? 0, tdur: e.tdur ?? 0 });
  }
  return tasks;
}

/** The earliest timestamp of a trace (its t = 0). */
export const traceStart = (events: readonly TraceEvent[]): number =>
  events.reduce((m, e) => (e.ts > 0 && e.ts < m ? e.ts : m), Infinity);

/**
 * Starts tracing `categories` (TRACE_MARK's category, blink.user_timing, is added) through a CDP
 * session of `page`; the function it returns marks the page's thread, stops and gives the events.
 */
export async function startTracing(
  page: Page,
  cdp: CDPSession,
  categories: readonly string[],
): Promise<() => Promise<TraceEvent[]>> {
  const events: TraceEvent[] = [];
  const collect = (e: { value: unknown[] }): void => void events.push(...(e.value as TraceEvent[]));
  cdp.on('Tracing.dataCollected', collect);
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: { includedCategories: [...categories, 'blink.user_timing', '__metadata'] },
  });
  return async () => {
    await page.evaluate((mark) => void performance.mark(mark), TRACE_MARK);
    const complete = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
    await cdp.send('Tracing.end');
    await complete;
    cdp.off('Tracing.dataCollected', collect);
    return events;
  };
}
