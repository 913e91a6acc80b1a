/**
 * Loads plotly's bundles without a long main-thread task. Evaluated as it ships, a bundle ran its
 * whole module graph in one synchronous call: 1.7 s of main-thread CPU for the cartesian one
 * (`npm run bench -- --only longtasks`), at the session's first chart. The build and the dev
 * server serve each bundle as a list of module thunks (scripts/vite-csp.ts, slicePlotly); here they
 * are called in slices of at most SLICE_MS, the event loop running between slices, and then the
 * bundle's entry, which finds every module evaluated.
 *
 * Two paces: "urgent" when a chart is waiting (a slice every task), "idle" when the app warms the
 * cartesian bundle after start-up (a slice per idle period while no run trains, so that it is
 * usually evaluated before the first chart and never competes with the page's own work). A chart
 * that asks while a warm-up is under way hurries it on instead of starting again.
 */
import { yieldToEvents } from '../../engine/cancel';
import { drawSlicer, installDrawSlices } from './plotly-draw-slices';

/** Which bundle: "2d" (cartesian, 1.4 MB) for every chart but the Cloud tab's 3-D map, "3d" (gl3d, 1.7 MB). */
export type PlotlyKind = '2d' | '3d';

/** The longest a slice runs before it yields (ms), well under the 50 ms of a long task. */
export const SLICE_MS = 25;

/**
 * Calls `modules[from]`, `modules[from + 1]`, … until `budgetMs` has passed (at least one is
 * called); returns the index of the first one not called.
 */
export function runSlice(
  modules: readonly (() => unknown)[],
  from: number,
  budgetMs: number,
  now: () => number = () => performance.now(),
): number {
  const t0 = now();
  let i = from;
  do modules[i++]!();
  while (i < modules.length && now() - t0 < budgetMs);
  return i;
}

/** The bundle as the plugin serves it, checked: one that was not sliced says so. */
export function slicedBundle(mod: unknown, kind: PlotlyKind): SlicedPlotly {
  const m = mod as Partial<SlicedPlotly> | null;
  if (!m || m.__weightscopeSliced !== true || !Array.isArray(m.modules) || typeof m.entry !== 'function')
    throw new Error(
      `plotly (${kind}) was not served as sliced modules (scripts/vite-csp.ts, plotlyBundles): ` +
        'it would be evaluated in one long task',
    );
  return m as SlicedPlotly;
}

/** A turn of the event loop: scheduler.yield where there is one, else the engine's one yield helper. */
export function nextTask(): Promise<void> {
  const s = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  return typeof s?.yield === 'function' ? s.yield() : yieldToEvents();
}

/**
 * Calls `fn` in the next idle period (at most 2 s away) with the time it may take (≤ SLICE_MS);
 * returns what cancels it.
 */
function idlePeriod(fn: (ms: number) => void): () => void {
  if (typeof requestIdleCallback !== 'function') {
    const t = setTimeout(() => fn(SLICE_MS), 50);
    return () => clearTimeout(t);
  }
  const handle = requestIdleCallback((d) => fn(Math.min(SLICE_MS, d.timeRemaining())), { timeout: 2000 });
  return () => cancelIdleCallback(handle);
}

/** The evaluation of one bundle, slice by slice, at its pace. */
class Evaluation {
  private urgent: boolean;
  /** Ends the idle wait under way, when a chart asks for the bundle. */
  private wake: (() => void) | null = null;
  readonly done: Promise<PlotlyApi>;

  constructor(
    load: () => Promise<unknown>,
    readonly kind: PlotlyKind,
    urgent: boolean,
    /** Whether an idle slice may run now (the app: not while a run trains). */
    private readonly may: () => boolean,
  ) {
    this.urgent = urgent;
    this.done = this.run(load);
  }

  /** From now on a slice every task. */
  hurry(): void {
    if (this.urgent) return;
    this.urgent = true;
    this.wake?.();
  }

  /**
   * Resolves with the time a slice may take: a task now, or the next idle period in which `may()`
   * allows it (until a chart hurries the evaluation on).
   */
  private async turn(): Promise<number> {
    for (;;) {
      if (this.urgent) return nextTask().then(() => SLICE_MS);
      const ms = await new Promise<number | null>((resolve) => {
        const cancel = idlePeriod((t) => {
          this.wake = null;
          resolve(t);
        });
        this.wake = () => {
          cancel();
          this.wake = null;
          resolve(null);
        };
      });
      if (ms !== null && this.may()) return ms;
    }
  }

  private async run(load: () => Promise<unknown>): Promise<PlotlyApi> {
    if (!this.urgent) await this.turn();
    const bundle = slicedBundle((await load()) as unknown, this.kind);
    const { modules } = bundle;
    let next = 0;
    while (next < modules.length) next = runSlice(modules, next, await this.turn());
    const api = bundle.entry();
    // Its draws in slices too (plotly-draw-slices.ts); each thunk now returns its cached exports.
    installDrawSlices(
      api,
      modules.map((m) => m()),
      drawSlicer(nextTask),
    );
    // A chart is waiting and the idle warm-up has not run: a short one now (URGENT_WARM_STEPS). A
    // failed warm-up draw must not keep the chart from trying for itself.
    if (this.urgent && this.kind === '2d') await warmDraws(api, () => true, 'urgent').catch(() => undefined);
    return api;
  }
}

/** Few ticks: each tick label is measured (a forced layout), and the code, not the count, is warmed. */
const WARM_AXIS = { nticks: 3, title: { text: 'x' } };
const WARM_SMALL = { width: 320, height: 240, xaxis: { nticks: 3 }, yaxis: { nticks: 3 } };
const WARM_LAYOUT = {
  width: 480,
  height: 320,
  title: { text: 'a<br><sub>b</sub>' },
  xaxis: WARM_AXIS,
  yaxis: WARM_AXIS,
  legend: { orientation: 'h', y: -0.3 },
  font: { family: 'system-ui, sans-serif', size: 12 },
};
const WARM_DATA = [
  { type: 'scatter', mode: 'lines+markers', x: [0, 0.5, 1], y: [1, 0, 1], name: 'a' },
  { type: 'scatter', mode: 'lines', x: [0, 1], y: [0, 1], name: 'b', line: { dash: 'dash' } },
];

/**
 * What a chart's first draw would otherwise pay: V8 compiles plotly's drawing code on its first
 * call, and plotly sets itself up (its global styles, its text-measuring element, the fonts'
 * first shaping): the first chart's plotly draw took ~225 ms of CPU where a later one takes
 * 15–30 (`npm run bench -- --only longtasks`). Warmed after the idle evaluation, one step per idle
 * period, each a part of what a draw does, from a bare layout without axes to a figure like most
 * of the app's charts (title, axis titles, lines and markers, legend): one whole draw was a
 * 100–200 ms task.
 */
const WARM_STEPS: ((P: PlotlyApi, el: HTMLElement) => unknown)[] = [
  (P, el) =>
    P.newPlot(
      el,
      [],
      { width: 320, height: 240, xaxis: { visible: false }, yaxis: { visible: false } },
      {
        staticPlot: true,
      },
    ),
  (P, el) => P.newPlot(el, [], WARM_SMALL, { staticPlot: true }),
  (P, el) => P.newPlot(el, [], WARM_SMALL, { displaylogo: false }),
  (P, el) => P.newPlot(el, WARM_DATA.slice(1), { ...WARM_SMALL, showlegend: false }, { displaylogo: false }),
  (P, el) =>
    P.newPlot(el, WARM_DATA.slice(0, 1), { ...WARM_SMALL, showlegend: true }, { displaylogo: false }),
  (P, el) => P.newPlot(el, WARM_DATA, { ...WARM_LAYOUT, title: undefined }, { displaylogo: false }),
  (P, el) => P.newPlot(el, WARM_DATA, WARM_LAYOUT, { displaylogo: false }),
];

/**
 * How many of WARM_STEPS run, one after the other, before a chart that could not wait for the idle
 * warm-up (plotly evaluated on demand) draws: the first draw of a session compiles plotly's
 * defaults and drawing code, 48–59 ms of CPU in one task of that draw's own (its defaults and
 * calculation, which the draw's slices cannot split: plotly-draw-slices.ts); spread over a few
 * smaller draws first, in tasks of their own, no task is that long.
 */
const URGENT_WARM_STEPS = 4;

/**
 * Resolves in an idle period of the whole 50 ms the browser grants when nothing else is due (no
 * frame, no timer, no message: not while a run streams its progress), however long that takes.
 */
function quietPeriod(): Promise<void> {
  if (typeof requestIdleCallback !== 'function') return new Promise((resolve) => setTimeout(resolve, 200));
  return new Promise((resolve) => {
    const wait = (): void =>
      void requestIdleCallback((d) => (d.timeRemaining() >= 45 && !d.didTimeout ? resolve() : wait()));
    wait();
  });
}

/**
 * Runs WARM_STEPS offscreen one per quiet period when `may()` allows (the app: no training run
 * under way, whose progress leaves such periods between its messages), unless a chart has been
 * drawn meanwhile.
 */
async function warmDraws(P: PlotlyApi, may: () => boolean, pace: 'idle' | 'urgent' = 'idle'): Promise<void> {
  for (const step of pace === 'idle' ? WARM_STEPS : WARM_STEPS.slice(0, URGENT_WARM_STEPS)) {
    if (pace === 'urgent') await nextTask();
    else {
      do await quietPeriod();
      while (!may());
      if (document.querySelector('.js-plotly-plot')) return;
    }
    const el = document.createElement('div');
    el.setAttribute('aria-hidden', 'true');
    el.style.cssText = 'position:fixed;left:-10000px;top:0;width:480px;height:320px;visibility:hidden';
    document.body.appendChild(el);
    try {
      await step(P, el);
    } finally {
      P.purge(el);
      el.remove();
    }
  }
}

const imports: Record<PlotlyKind, () => Promise<unknown>> = {
  '2d': () => import('plotly.js-cartesian-dist-min').then((m) => m.default),
  '3d': () => import('plotly.js-gl3d-dist-min').then((m) => m.default),
};

const evaluations: Partial<Record<PlotlyKind, Evaluation>> = {};

/**
 * A plotly bundle, loaded and evaluated in slices on first use, never in the entry chunk; `idle`
 * (the warm-up) evaluates it in idle periods and then warms its drawing in quiet periods, each
 * step only when `may()` allows; a chart's call hurries an idle evaluation on.
 */
export function loadPlotly(
  kind: PlotlyKind = '2d',
  pace: 'urgent' | 'idle' = 'urgent',
  may: () => boolean = () => true,
): Promise<PlotlyApi> {
  const found = evaluations[kind];
  if (found) {
    if (pace === 'urgent') found.hurry();
    return found.done;
  }
  const e = new Evaluation(imports[kind], kind, pace === 'urgent', may);
  evaluations[kind] = e;
  // A failed load (the network) is tried again by the next chart, not remembered.
  e.done.catch(() => {
    if (evaluations[kind] === e) delete evaluations[kind];
  });
  if (pace === 'idle') void e.done.then((P) => warmDraws(P, may));
  return e.done;
}
