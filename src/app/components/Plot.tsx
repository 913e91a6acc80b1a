import { useEffect, useRef } from 'react';
import { loadPlotly, nextTask, type PlotlyKind } from './plotly-loader';

export { loadPlotly, type PlotlyKind };

/** The bundle a chart's traces need: gl3d for any 3-D trace, cartesian otherwise. */
export function plotlyKind(data: readonly unknown[]): PlotlyKind {
  return data.some((t) => /3d$/.test(String((t as { type?: unknown }).type ?? ''))) ? '3d' : '2d';
}

/** Which bundle drew each chart element: resize, export and purge go to that one. */
const drawnBy = new WeakMap<HTMLElement, PlotlyKind>();

/**
 * Each chart element's latest draw. A draw spans several tasks (plotly-draw-slices.ts), so the
 * next draw of the same chart, and anything else done to it, waits for the one before to finish
 * instead of meeting a half-drawn chart.
 */
const drawing = new WeakMap<HTMLElement, Promise<unknown>>();

/** Runs `then` once `el`'s draws so far have finished (failed ones included). */
function afterDraws<T>(el: HTMLElement, then: () => T | Promise<T>): Promise<T> {
  const next = (drawing.get(el) ?? Promise.resolve()).catch(() => undefined).then(then);
  drawing.set(el, next);
  return next;
}

/** The plotly that drew `el`, once its draws so far are done; null when nothing has drawn it yet. */
export function plotlyOf(el: HTMLElement): Promise<PlotlyApi> | null {
  const kind = drawnBy.get(el);
  return kind ? afterDraws(el, () => loadPlotly(kind)) : null;
}

export interface PlotProps {
  data: unknown[];
  layout: Record<string, unknown>;
  testId?: string;
  height?: number;
}

const baseLayout = {
  margin: { l: 60, r: 16, t: 44, b: 48 },
  paper_bgcolor: 'rgba(0,0,0,0)',
  plot_bgcolor: '#fff',
  font: { family: 'system-ui, sans-serif', size: 12, color: '#1f2933' },
  legend: { orientation: 'h', y: -0.32 },
};

/**
 * A plotly chart that re-renders with Plotly.react when its data or layout change. While it is
 * hidden (a tab panel not shown) it does not draw at all: the draw waits until it is shown; a
 * chart drawn before is resized when it shows again or when its box changes width.
 */
export function Plot({ data, layout, testId, height = 320 }: PlotProps) {
  const ref = useRef<HTMLDivElement>(null);
  /** The draw put off while hidden. */
  const pending = useRef<(() => void) | null>(null);
  useEffect(() => {
    let live = true;
    const kind = plotlyKind(data);
    const draw = (): void =>
      void loadPlotly(kind).then(async (P) => {
        const el = ref.current;
        if (!live || !el) return;
        // A chart that switches between 2-D and 3-D changes bundles: the old one lets go first.
        const was = drawnBy.get(el);
        if (was && was !== kind) await afterDraws(el, async () => (await loadPlotly(was)).purge(el));
        // A task of its own: not in the one that rendered the data (a worker's result, a click).
        await nextTask();
        if (!live) return;
        drawnBy.set(el, kind);
        // After the chart's draw under way, unless newer data has come meanwhile.
        await afterDraws(el, () =>
          live
            ? P.react(
                el,
                data,
                { ...baseLayout, height, ...layout },
                { responsive: true, displaylogo: false },
              )
            : undefined,
        );
      });
    if (ref.current && ref.current.offsetWidth === 0) pending.current = draw;
    else {
      pending.current = null;
      draw();
    }
    return () => {
      live = false;
    };
  }, [data, layout, height]);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let width = el.offsetWidth;
    let frame = 0;
    const shown = new ResizeObserver(() => {
      const was = width;
      width = el.offsetWidth;
      if (width === 0 || width === was) return;
      const draw = pending.current;
      pending.current = null;
      if (draw) draw();
      else if (el.classList.contains('js-plotly-plot')) {
        // Shown again, or its box changed (a neighbour chart came or went): fit the new width,
        // once per frame however many resizes arrive.
        cancelAnimationFrame(frame);
        frame = requestAnimationFrame(() => void plotlyOf(el)?.then((P) => P.Plots.resize(el)));
      }
    });
    shown.observe(el);
    return () => {
      cancelAnimationFrame(frame);
      shown.disconnect();
      void plotlyOf(el)?.then((P) => P.purge(el));
    };
  }, []);
  return <div ref={ref} className="plot" data-testid={testId} style={{ minHeight: height }} />;
}
