/**
 * Plotly figures and CSV of a paths result: loss (or PSNR / accuracy) along every path, held-out
 * and train together where both exist, and the per-step loss of trained curves. Pure and light.
 */
import type { PathKind } from '../../../engine/experiment/schema';
import { toCsv } from '../../lib/csv';
import { KIND_LABELS, type PathsResult } from './paths-state';

export const COLORS: Record<PathKind, string> = {
  lerp: '#d92d20',
  'lerp-aligned': '#1570ef',
  'lerp-repair': '#0e9384',
  slerp: '#f79009',
  bezier: '#12b76a',
  polychain: '#7a5af8',
};

export const fmtBarrier = (v: number) =>
  v === 0 ? '0' : Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(4);

/** Names and scales of what a result plots: MSE / PSNR for INRs, cross-entropy / accuracy for classifiers. */
export function units(result: Pick<PathsResult, 'score'>) {
  const cls = result.score.kind === 'classification';
  return {
    cls,
    loss: cls ? 'cross-entropy (nats)' : 'MSE',
    metric: cls ? 'accuracy (%)' : 'PSNR (dB)',
    /** Accuracy is plotted in percent. */
    metricScale: cls ? 100 : 1,
  };
}

/** What the chart's data are, in words, for its subtitle. */
export function dataNote(result: PathsResult): string {
  if (result.trainLabel)
    return `solid: held out, ${result.score.label} · dashed: train, ${result.trainLabel}`;
  if (result.score.kind === 'image')
    return `on ${result.score.label}: an INR fits one image, so there is no held-out data`;
  return `on ${result.score.label} only: a dropped dataset has no known train/held-out split`;
}

/** Loss (`psnr` false) or PSNR / accuracy along every path; the α slider as a dotted line. */
export function pathsFigure(result: PathsResult, psnr: boolean, alpha: number) {
  const u = units(result);
  const y = (losses: ArrayLike<number>, metrics: ArrayLike<number>) =>
    psnr ? Array.from(metrics, (v) => v * u.metricScale) : Array.from(losses);
  const barrierText = (barrier: number, metricBarrier: number) =>
    psnr && u.cls
      ? `accuracy drop ${(100 * metricBarrier).toFixed(1)} pts`
      : `barrier ${fmtBarrier(barrier)}`;
  const data: Record<string, unknown>[] = [];
  for (const c of result.curves) {
    data.push({
      type: 'scatter',
      mode: 'lines+markers',
      marker: { size: 4 },
      line: { color: COLORS[c.kind] },
      name: `${KIND_LABELS[c.kind]}${c.train ? ' (held out)' : ''} — ${barrierText(c.barrier, c.metricBarrier)}`,
      meta: c.kind,
      legendgroup: c.kind,
      x: Array.from(c.alphas),
      y: y(c.losses, c.metrics),
    });
    if (c.train)
      data.push({
        type: 'scatter',
        mode: 'lines',
        line: { color: COLORS[c.kind], dash: 'dash', width: 1.5 },
        name: `${KIND_LABELS[c.kind]} (train) — ${barrierText(c.train.barrier, c.train.metricBarrier)}`,
        meta: `${c.kind}:train`,
        legendgroup: c.kind,
        x: Array.from(c.alphas),
        y: y(c.train.losses, c.train.metrics),
      });
  }
  const what = psnr ? (u.cls ? 'Accuracy' : 'PSNR') : 'Loss';
  const layout = {
    title: {
      text: `${what} along paths: ${result.aName} → ${result.bName}<br><sub>${dataNote(result)}</sub>`,
      font: { size: 14 },
    },
    xaxis: { title: { text: 'α (0 = A, 1 = B)' }, range: [0, 1] },
    yaxis: psnr
      ? { title: { text: u.metric } }
      : u.cls
        ? { title: { text: `loss (${u.loss})` } }
        : { title: { text: 'loss (MSE, log scale)' }, type: 'log', exponentformat: 'power' },
    shapes: [
      {
        type: 'line',
        xref: 'x',
        yref: 'paper',
        x0: alpha,
        x1: alpha,
        y0: 0,
        y1: 1,
        line: { color: '#98a2b3', dash: 'dot', width: 1 },
      },
    ],
    showlegend: true,
    margin: { t: 64 },
  };
  return { data, layout };
}

/** Every point of every path as CSV, train columns included when the result has them. */
export function pathsCsv(result: PathsResult): string {
  const u = units(result);
  const train = result.curves.some((c) => c.train);
  const head = u.cls
    ? ['kind', 'alpha', 'loss_cross_entropy', 'accuracy', 'barrier', 'accuracy_drop']
    : ['kind', 'alpha', 'loss_mse', 'psnr_db', 'barrier'];
  const trainHead = u.cls
    ? ['train_loss_cross_entropy', 'train_accuracy', 'train_barrier', 'train_accuracy_drop']
    : ['train_loss_mse', 'train_psnr_db', 'train_barrier'];
  return toCsv(
    train ? [...head, ...trainHead] : head,
    result.curves.flatMap((c) =>
      Array.from(c.alphas, (a, i) => {
        const row: (number | string | undefined)[] = [c.kind, a, c.losses[i]!, c.metrics[i]!, c.barrier];
        if (u.cls) row.push(c.metricBarrier);
        if (train) {
          const t = c.train;
          row.push(t?.losses[i], t?.metrics[i], t?.barrier);
          if (u.cls) row.push(t?.metricBarrier);
        }
        return row;
      }),
    ),
  );
}

/** True when the finite positive values span more than a factor of 20. */
export function spansDecades(values: readonly number[]): boolean {
  const v = values.filter((x) => Number.isFinite(x) && x > 0);
  return v.length > 0 && Math.max(...v) > 20 * Math.min(...v);
}

/** The curves that were trained and report their per-step loss. */
export function trainedCurves(result: PathsResult) {
  return result.curves.filter((c) => (c.curveLoss?.length ?? 0) > 0);
}

/**
 * The curve-training loss per step of every Bezier/polychain path (Garipov et al. 2018: the loss
 * averaged over t ~ U(0, 1) along the curve), or null when no curve was trained.
 */
export function curveLossFigure(result: PathsResult) {
  const trained = trainedCurves(result);
  if (trained.length === 0) return null;
  const u = units(result);
  const data = trained.map((c) => ({
    type: 'scatter',
    mode: 'lines',
    line: { color: COLORS[c.kind], width: 1.5 },
    name: KIND_LABELS[c.kind],
    meta: c.kind,
    x: c.curveLoss!.map((_, i) => i + 1),
    y: c.curveLoss!,
  }));
  const on = result.trainLabel ?? result.score.label;
  return {
    data,
    layout: {
      title: {
        text: `Curve training loss<br><sub>mean over random points t of the curve, on ${on}</sub>`,
        font: { size: 14 },
      },
      xaxis: { title: { text: 'training step' } },
      // A log axis only where the loss spans decades: within one, log ticks crowd or go missing.
      yaxis: spansDecades(trained.flatMap((c) => c.curveLoss!))
        ? {
            title: { text: `loss (${u.cls ? u.loss : 'MSE'}, log scale)` },
            type: 'log',
            exponentformat: 'power',
          }
        : { title: { text: `loss (${u.loss})` } },
      showlegend: true,
      legend: { orientation: 'h', y: -0.25 },
      margin: { t: 64 },
    },
  };
}

/** Curve-training losses as CSV: one row per step and curve. */
export function curveLossCsv(result: PathsResult): string {
  return toCsv(
    ['kind', 'step', 'loss'],
    trainedCurves(result).flatMap((c) => c.curveLoss!.map((v, i) => [c.kind, i + 1, v])),
  );
}
