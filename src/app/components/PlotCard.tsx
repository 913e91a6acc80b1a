import { useEffect, useRef, type ReactNode } from 'react';
import { Plot, plotlyOf } from './Plot';
import { saveBytes } from '../lib/download';
import { showBanner } from '../store';

export interface PlotCardProps {
  data: unknown[];
  layout: Record<string, unknown>;
  testId: string;
  /** Base of the downloaded file names. */
  filename: string;
  /** The plotted numbers as CSV, built only when asked for. */
  csv: () => string;
  height?: number;
  children?: ReactNode;
}

/**
 * A plot with its exports: PNG and SVG through Plotly.downloadImage, the numbers as CSV. Shared by
 * every tab's figures.
 */
export function PlotCard({ data, layout, testId, filename, csv, height, children }: PlotCardProps) {
  const wrap = useRef<HTMLDivElement>(null);
  // Plotly only follows window resizes; a grid column that narrows (a second map appears) must
  // tell it too.
  useEffect(() => {
    const el = wrap.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    let frame = 0;
    const obs = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        const plot = el.querySelector<HTMLElement>('.plot');
        if (plot?.classList.contains('js-plotly-plot'))
          void plotlyOf(plot)?.then((P) => P.Plots.resize(plot));
      });
    });
    obs.observe(el);
    return () => {
      cancelAnimationFrame(frame);
      obs.disconnect();
    };
  }, []);
  const image = (format: 'png' | 'svg') => {
    const el = wrap.current?.querySelector<HTMLElement>('.plot');
    const plotly = el && plotlyOf(el);
    if (!plotly) return;
    void plotly
      .then((P) => P.downloadImage(el, { format, filename }))
      .catch((e: unknown) =>
        showBanner(
          'error',
          `${format.toUpperCase()} export failed: ${e instanceof Error ? e.message : String(e)}`,
        ),
      );
  };
  return (
    <div className="plot-card" ref={wrap}>
      <Plot data={data} layout={layout} testId={testId} {...(height ? { height } : {})} />
      <div className="plot-exports">
        {children}
        <span className="hint">export</span>
        <button type="button" onClick={() => image('png')}>
          PNG
        </button>
        <button type="button" onClick={() => image('svg')}>
          SVG
        </button>
        <button type="button" onClick={() => saveBytes(csv(), `${filename}.csv`, 'text/csv')}>
          CSV
        </button>
      </div>
    </div>
  );
}
