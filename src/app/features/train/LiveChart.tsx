import { useEffect, useRef, useState } from 'react';

export interface LiveChartProps {
  title: string;
  xLabel: string;
  yLabel: string;
  xMax: number;
  xs: number[];
  /** ys[i][k]: value of series k at xs[i]. */
  ys: number[][];
  colors: readonly string[];
  /** Series names for the legend (at most LEGEND_MAX are listed; more are summarised). */
  names?: string[];
  height?: number;
  testId?: string;
}

function niceStep(range: number, ticks: number): number {
  const raw = range / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

/** Most series the legend lists one by one. */
const LEGEND_MAX = 16;

/** Draws the legend in one or two rows under the title; returns its height. */
function drawLegend(
  ctx: CanvasRenderingContext2D,
  names: string[],
  colors: readonly string[],
  left: number,
  top: number,
  width: number,
): number {
  if (names.length === 0) return 0;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'left';
  const shown = names.length <= LEGEND_MAX ? names : [];
  if (shown.length === 0) {
    ctx.fillStyle = '#52606d';
    ctx.fillText(`${names.length} members, one colour each (cycling every ${colors.length})`, left, top + 10);
    return 18;
  }
  let x = left;
  let y = top + 10;
  shown.forEach((name, k) => {
    const w = 22 + ctx.measureText(name).width + 12;
    if (x + w > left + width) {
      x = left;
      y += 16;
    }
    ctx.strokeStyle = colors[k % colors.length]!;
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    ctx.moveTo(x, y - 4);
    ctx.lineTo(x + 16, y - 4);
    ctx.stroke();
    ctx.fillStyle = '#1f2933';
    ctx.fillText(name, x + 20, y);
    x += w;
  });
  return y - top + 8;
}

/**
 * The chart shown while a run is live. A plotly redraw costs 30–70 ms of main-thread time on a
 * 2-core machine, every update; this canvas chart costs about a millisecond, so training never
 * makes the page janky. When the run stops, the interactive plotly chart takes its place.
 */
export function LiveChart({
  title,
  xLabel,
  yLabel,
  xMax,
  xs,
  ys,
  colors,
  names = [],
  height = 320,
  testId,
}: LiveChartProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  // The canvas's CSS width, followed as it changes. A chart drawn while its tab is hidden is 0 px
  // wide (blank); the tab's reveal (or a window resize) changes the width and so redraws it, even
  // when no progress message arrives meanwhile (a replayed link trains in a tab not on screen).
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    setWidth(canvas.clientWidth);
    if (typeof ResizeObserver === 'undefined') return;
    const obs = new ResizeObserver(() => setWidth(canvas.clientWidth));
    obs.observe(canvas);
    return () => obs.disconnect();
  }, []);
  useEffect(() => {
    if (width === 0) return;
    const frame = requestAnimationFrame(() => {
      const canvas = ref.current;
      if (!canvas) return;
      const dpr = window.devicePixelRatio || 1;
      const w = width;
      const h = height;
      canvas.width = w * dpr;
      canvas.height = h * dpr;
      const ctx = canvas.getContext('2d')!;
      ctx.scale(dpr, dpr);
      ctx.clearRect(0, 0, w, h);
      const m = { l: 56, r: 16, t: 40, b: 44 };
      m.t += drawLegend(ctx, names, colors, m.l, 34, w - m.l - m.r);
      const pw = w - m.l - m.r;
      const ph = h - m.t - m.b;
      let yMax = 20;
      let yMin = 0;
      for (const row of ys) for (const v of row) if (Number.isFinite(v)) yMax = Math.max(yMax, v);
      yMax = Math.ceil(yMax / 10) * 10;
      yMin = 0;
      const X = (x: number) => m.l + (pw * x) / Math.max(1, xMax);
      const Y = (y: number) => m.t + ph * (1 - (y - yMin) / (yMax - yMin));
      ctx.font = '12px system-ui, sans-serif';
      ctx.fillStyle = '#1f2933';
      ctx.textAlign = 'center';
      ctx.font = '16px system-ui, sans-serif';
      ctx.fillText(title, m.l + pw / 2, 24);
      ctx.font = '12px system-ui, sans-serif';
      ctx.strokeStyle = '#e4e7ec';
      ctx.lineWidth = 1;
      const xs_ = niceStep(Math.max(1, xMax), 5);
      for (let x = 0; x <= xMax + 1e-9; x += xs_) {
        ctx.beginPath();
        ctx.moveTo(X(x), m.t);
        ctx.lineTo(X(x), m.t + ph);
        ctx.stroke();
        ctx.fillText(String(Math.round(x)), X(x), m.t + ph + 16);
      }
      ctx.textAlign = 'right';
      const ys_ = niceStep(yMax - yMin, 5);
      for (let y = yMin; y <= yMax + 1e-9; y += ys_) {
        ctx.beginPath();
        ctx.moveTo(m.l, Y(y));
        ctx.lineTo(m.l + pw, Y(y));
        ctx.stroke();
        ctx.fillText(String(Math.round(y * 10) / 10), m.l - 6, Y(y) + 4);
      }
      ctx.textAlign = 'center';
      ctx.fillText(xLabel, m.l + pw / 2, h - 8);
      ctx.save();
      ctx.translate(14, m.t + ph / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(yLabel, 0, 0);
      ctx.restore();
      const K = ys[0]?.length ?? 0;
      ctx.lineWidth = 1.5;
      for (let k = 0; k < K; k++) {
        ctx.strokeStyle = colors[k % colors.length]!;
        ctx.beginPath();
        xs.forEach((x, i) => {
          const v = ys[i]![k]!;
          if (i === 0) ctx.moveTo(X(x), Y(v));
          else ctx.lineTo(X(x), Y(v));
        });
        ctx.stroke();
      }
    });
    return () => cancelAnimationFrame(frame);
  }, [title, xLabel, yLabel, xMax, xs, ys, colors, names, height, width]);
  return <canvas ref={ref} className="live-chart" data-testid={testId} style={{ width: '100%', height }} />;
}
