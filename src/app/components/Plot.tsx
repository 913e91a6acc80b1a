import { useEffect, useRef } from 'react';

type PlotlyModule = typeof import('plotly.js-dist-min').default;
let plotly: Promise<PlotlyModule> | null = null;

/** plotly is ~3.5 MB: loaded on first use, never in the entry chunk. */
export function loadPlotly(): Promise<PlotlyModule> {
  plotly ??= import('plotly.js-dist-min').then((m) => m.default);
  return plotly;
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
    const draw = (): void =>
      void loadPlotly().then((P) => {
        if (live && ref.current) {
          void P.react(
            ref.current,
            data,
            { ...baseLayout, height, ...layout },
            { responsive: true, displaylogo: false },
          );
        }
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
        frame = requestAnimationFrame(() => void loadPlotly().then((P) => P.Plots.resize(el)));
      }
    });
    shown.observe(el);
    return () => {
      cancelAnimationFrame(frame);
      shown.disconnect();
      void loadPlotly().then((P) => P.purge(el));
    };
  }, []);
  return <div ref={ref} className="plot" data-testid={testId} style={{ minHeight: height }} />;
}
