/**
 * plotly's draws in slices of a task. A `Plotly.newPlot` (or the `Plotly.react` that first draws a
 * chart) is one synchronous call: its defaults and calculation, then a sequence of steps (the
 * framework, margins, autorange, layout styles, axes, traces, the final touches) that plotly runs
 * through `Lib.syncOrAsync`, which moves on at once unless a step returns a promise. The Paths
 * tab's first chart took 70–99 ms of main-thread CPU in one task that way (`npm run bench --
 * --only longtasks`, bench/trace-tasks.ts): ~40 % defaults and calculation, the rest the steps,
 * the axes' text measuring the largest.
 *
 * Here `Lib.syncOrAsync` is replaced by one that keeps its contract but, for the sequence of a draw
 * the app asked for, yields to the event loop before a step once the task has run DRAW_SLICE_MS,
 * and resumes in a task of its own: the steps of a draw spread over a few tasks. It is what plotly
 * already does when a step is asynchronous (MathJax, images), so its callers wait on the promise.
 *
 * Only that sequence, and only where it is the draw's outermost one: plotly nests sequences (the
 * axes are one per axis, a title's is fire-and-forget) and some callers drop a nested sequence's
 * promise, so a nested one that yielded would run out of order. Sequences plotly starts itself
 * (a hover, a drag, its own resize) are left as they were.
 */

/** One step of a plotly sequence; it may return a promise, which the sequence waits for. */
type Step = (arg: unknown) => unknown;
/** plotly's `Lib.syncOrAsync(sequence, arg, finalStep)`. */
export type Sequence = (steps: Step[], arg?: unknown, finalStep?: Step) => unknown;

/** The longest a slice of a draw runs before its next step waits for a task of its own (ms). */
export const DRAW_SLICE_MS = 10;

export interface DrawSlicer {
  /** A drop-in `Lib.syncOrAsync`. */
  readonly syncOrAsync: Sequence;
  /** Runs `call` (a plotly API call that draws), slicing the sequence it starts. */
  draw<T>(call: () => T): T;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  !!v && typeof (v as { then?: unknown }).then === 'function';

/**
 * A sequencer that slices app draws. `yieldTask` resolves in a later task; `now` is the clock the
 * budget is read on.
 */
export function drawSlicer(
  yieldTask: () => Promise<void>,
  now: () => number = () => performance.now(),
  budgetMs: number = DRAW_SLICE_MS,
): DrawSlicer {
  /** Steps of any sequence running now (0: a sequence started now is an outermost one). */
  let depth = 0;
  /** An app draw's synchronous part is running and has not started its sequence yet. */
  let drawing = false;
  /** When the running slice began: the draw call, or its latest resumption. */
  let since = 0;

  function run(steps: Step[], arg: unknown, finalStep: Step | undefined, sliced: boolean): unknown {
    while (steps.length > 0) {
      if (sliced && now() - since >= budgetMs)
        return yieldTask().then(() => {
          since = now();
          return run(steps, arg, finalStep, true);
        });
      const step = steps.shift()!;
      depth++;
      let out: unknown;
      try {
        out = step(arg);
      } finally {
        depth--;
      }
      if (isThenable(out)) return out.then(() => run(steps, arg, finalStep, sliced));
    }
    return finalStep ? finalStep(arg) : undefined;
  }

  return {
    syncOrAsync(steps, arg, finalStep) {
      const sliced = drawing && depth === 0;
      if (sliced) drawing = false;
      return run(steps, arg, finalStep, sliced);
    },
    draw(call) {
      since = now();
      drawing = true;
      try {
        return call();
      } finally {
        drawing = false;
      }
    },
  };
}

/** The parts of a plotly API object whose draws are sliced. */
interface DrawingApi {
  newPlot: (...args: never[]) => unknown;
  react: (...args: never[]) => unknown;
}

/**
 * Installs `slicer` in a plotly bundle: its `Lib` (found among the bundle's evaluated module
 * exports: the one object with `syncOrAsync`, `coerce` and `nestedProperty`) gets the sliced
 * sequencer, and the API's `newPlot` and `react` become app draws. Throws when `Lib` is not found
 * exactly once (a plotly that changed shape), rather than draw in one long task unnoticed.
 */
export function installDrawSlices(api: DrawingApi, exported: readonly unknown[], slicer: DrawSlicer): void {
  const libs = new Set(
    exported.filter((e): e is { syncOrAsync: Sequence } => {
      const o = e as Record<string, unknown> | null;
      return (
        !!o &&
        typeof o.syncOrAsync === 'function' &&
        typeof o.coerce === 'function' &&
        typeof o.nestedProperty === 'function'
      );
    }),
  );
  if (libs.size !== 1)
    throw new Error(
      `plotly's Lib found ${libs.size} times among its modules (not once): its draws cannot be sliced ` +
        '(src/app/components/plotly-draw-slices.ts)',
    );
  for (const lib of libs) lib.syncOrAsync = slicer.syncOrAsync;
  for (const name of ['newPlot', 'react'] as const) {
    const call = api[name];
    api[name] = function (this: unknown, ...args: never[]) {
      return slicer.draw(() => call.apply(this, args));
    };
  }
}
