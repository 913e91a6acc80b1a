import { describe, expect, it } from 'vitest';
import { pageThread, tasksOf, threadSlices, TRACE_MARK, type TraceEvent } from '../bench/trace';

/** A complete slice on thread `tid` of process `pid`: start, wall and CPU time in µs. */
const slice = (name: string, ts: number, dur: number, tdur: number, pid = 1, tid = 1): TraceEvent => ({
  ph: 'X',
  name,
  pid,
  tid,
  ts,
  dur,
  tdur,
});
const mark = (pid: number, tid: number): TraceEvent => ({ ph: 'R', name: TRACE_MARK, pid, tid, ts: 9e6 });

describe('reading the page’s main-thread tasks from a trace (bench/trace.ts)', () => {
  it('takes the thread the page marked, not the busiest renderer', () => {
    // A WebUI renderer (pid 2) with more and longer tasks than the page (pid 1).
    const events = [
      ...[0, 1, 2, 3].map((i) => slice('ThreadControllerImpl::RunTask', i * 1000, 500, 90_000, 2, 7)),
      slice('ThreadControllerImpl::RunTask', 0, 100, 20_000, 1, 5),
      mark(1, 5),
    ];
    const thread = pageThread(events);
    expect(thread).toBe('1:5');
    expect(tasksOf(threadSlices(events, thread)).map((t) => t.tdur)).toEqual([20_000]);
  });

  it('refuses a trace without the mark rather than guess', () => {
    expect(() => pageThread([slice('ThreadControllerImpl::RunTask', 0, 1, 1)])).toThrow(TRACE_MARK);
  });

  it('counts the microtask checkpoint after a task as part of it, and nested slices once', () => {
    const events = [
      slice('ThreadControllerImpl::RunTask', 0, 100, 10_000),
      slice('v8.callFunction', 10, 50, 8_000),
      slice('BlinkScheduler_PerformMicrotaskCheckpoint', 100, 400, 60_000),
      slice('RunMicrotasks', 101, 390, 59_000),
      slice('ThreadControllerImpl::RunTask', 1000, 50, 5_000),
      // A checkpoint is only ever the tail of the task before it, never a task of its own.
      slice('BlinkScheduler_PerformMicrotaskCheckpoint', 1050, 10, 1_000),
    ];
    expect(tasksOf(threadSlices(events, '1:1'))).toEqual([
      { ts: 0, dur: 500, tdur: 70_000 },
      { ts: 1000, dur: 60, tdur: 6_000 },
    ]);
  });
});
