/** Plotly traces and CSV for the loss plane (light reshaping only; the worker evaluated it). */
import { toCsv } from '../../lib/csv';
import type { PlaneResult } from './landscape-state';

const ANCHOR_LABELS = ['w₀', 'w₁', 'w₂'];

/**
 * The value plotted at grid point i: log10 MSE (loss spans decades) or PSNR in dB for INRs;
 * cross-entropy (nats) or accuracy (%) for classifiers.
 */
function value(plane: PlaneResult, i: number, psnr: boolean): number {
  if (plane.classification) return psnr ? 100 * plane.metric[i]! : plane.loss[i]!;
  return psnr ? plane.metric[i]! : Math.log10(Math.max(plane.loss[i]!, 1e-12));
}

/** Colour-bar title, hover text and chart title of the plotted value. */
function labels(plane: PlaneResult, psnr: boolean): { bar: string; hover: string; title: string } {
  if (plane.classification) {
    return psnr
      ? { bar: 'accuracy (%)', hover: 'accuracy %{z:.1f}%', title: 'Accuracy' }
      : { bar: 'cross-entropy (nats)', hover: 'cross-entropy %{z:.4f}', title: 'Loss (cross-entropy)' };
  }
  return psnr
    ? { bar: 'PSNR (dB)', hover: 'PSNR %{z:.2f} dB', title: 'PSNR' }
    : {
        bar: 'log₁₀ MSE<br>(log scale: loss spans decades)',
        hover: 'log₁₀ MSE %{z:.3f}',
        title: 'Loss (log₁₀ MSE)',
      };
}

/**
 * The tab's one colour convention for loss: better is darker on every plot (the bottom of a basin is
 * dark Viridis purple, high loss bright yellow). For PSNR, where higher is better, the scale is
 * reversed so a good region still looks the same as a low-loss one.
 */
export function qualityColors(higherIsBetter: boolean): { colorscale: 'Viridis'; reversescale: boolean } {
  return { colorscale: 'Viridis', reversescale: higherIsBetter };
}

/** Contour of the plane (rows are v, columns u) with the three anchors marked and named. */
export function planeTraces(plane: PlaneResult, psnr: boolean): unknown[] {
  const z = Array.from({ length: plane.ny }, (_, iy) =>
    Array.from({ length: plane.nx }, (_, ix) => value(plane, iy * plane.nx + ix, psnr)),
  );
  const l = labels(plane, psnr);
  return [
    {
      type: 'contour',
      x: Array.from(plane.xs),
      y: Array.from(plane.ys),
      z,
      ...qualityColors(psnr),
      contours: { coloring: 'heatmap', showlines: true },
      line: { width: 0.5, color: 'rgba(255,255,255,0.5)' },
      colorbar: { title: { text: l.bar, side: 'right' } },
      hovertemplate: `u %{x:.3f}<br>v %{y:.3f}<br>${l.hover}<extra></extra>`,
    },
    {
      type: 'scatter',
      mode: 'markers+text',
      meta: 'anchors',
      x: plane.anchors.map((a) => a.x),
      y: plane.anchors.map((a) => a.y),
      text: plane.anchors.map((_, i) => `${ANCHOR_LABELS[i]} ${plane.names[i]}`),
      // w₀ sits at the plane's left edge and w₂ at its right (u runs from one to the other): their
      // labels run inwards, so the names are not cut at the frame.
      textposition: plane.anchors.map(
        (_, i) => ['bottom right', 'top center', 'bottom left'][i] ?? 'bottom center',
      ),
      textfont: { color: '#111827', size: 12 },
      cliponaxis: false,
      marker: { size: 12, color: '#fff', symbol: 'star', line: { color: '#111827', width: 1.5 } },
      hovertemplate: '%{text}<br>u %{x:.3f}, v %{y:.3f}<extra>anchor</extra>',
      showlegend: false,
    },
  ];
}

export function planeLayout(plane: PlaneResult, psnr: boolean): Record<string, unknown> {
  return {
    title: {
      text: `${labels(plane, psnr).title} on the plane through ${plane.names.length} models (${plane.nx}×${plane.ny}, on ${plane.scoreLabel})`,
      font: { size: 13 },
    },
    xaxis: {
      title: { text: 'u (weight-space distance along w₂ − w₀)' },
      zeroline: false,
      constrain: 'domain',
    },
    yaxis: {
      title: { text: 'v (weight-space distance, ⟂ u, towards w₁)' },
      zeroline: false,
      scaleanchor: 'x',
      constrain: 'domain',
    },
    showlegend: false,
    margin: { l: 70, r: 20, t: 48, b: 56 },
  };
}

/** Every grid point (u, v, loss, metric: MSE and PSNR, or cross-entropy and accuracy), then the anchors. */
export function planeCsv(plane: PlaneResult): string {
  const rows: (string | number)[][] = [];
  for (let iy = 0; iy < plane.ny; iy++) {
    for (let ix = 0; ix < plane.nx; ix++) {
      const i = iy * plane.nx + ix;
      rows.push(['grid', '', plane.xs[ix]!, plane.ys[iy]!, plane.loss[i]!, plane.metric[i]!]);
    }
  }
  plane.anchors.forEach((a, i) =>
    rows.push([`anchor ${ANCHOR_LABELS[i]}`, plane.names[i]!, a.x, a.y, '', '']),
  );
  return toCsv(
    [
      'kind',
      'model',
      'u',
      'v',
      ...(plane.classification ? ['cross_entropy', 'accuracy'] : ['mse', 'psnr_db']),
    ],
    rows,
  );
}
