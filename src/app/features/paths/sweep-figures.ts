/**
 * The width sweep's figure and CSV: barrier vs width before and after alignment, as the mean over
 * each width's pairs with min–max error bars, and the endpoints' PSNR on a second axis, so a low
 * barrier between badly fitted endpoints does not pass for connectivity. Pure and light.
 */
import { toCsv } from '../../lib/csv';
import { rowSummary, type Spread, type SweepConfig, type SweepRow } from './sweep-state';

const BEFORE = '#d92d20';
const AFTER = '#1570ef';
const QUALITY = '#667085';

/** Asymmetric error bars from the mean to the min and max (absent for a single value). */
function bars(s: readonly Spread[], visible: boolean) {
  return visible
    ? {
        error_y: {
          type: 'data',
          symmetric: false,
          array: s.map((x) => x.max - x.mean),
          arrayminus: s.map((x) => x.mean - x.min),
          thickness: 1.5,
          width: 5,
        },
      }
    : {};
}

/** Barrier vs width (left axis, MSE) and endpoint PSNR (right axis, dB). */
export function sweepFigure(
  rows: readonly SweepRow[],
  ranWith: (SweepConfig & { image: string }) | null,
  widths: number[],
) {
  const x = rows.map((r) => r.width);
  const sums = rows.map(rowSummary);
  const pairs = Math.max(1, ...rows.map((r) => r.pairs.length));
  const many = pairs > 1;
  const how = many ? `mean of ${pairs} pairs, bars min–max` : '1 pair per width';
  const trace = (meta: string, name: string, color: string, s: Spread[], withBars: boolean) => ({
    type: 'scatter',
    mode: 'lines+markers',
    name,
    meta,
    line: { color },
    x,
    y: s.map((v) => v.mean),
    ...bars(s, withBars),
  });
  const psnr = {
    ...trace(
      'psnr',
      `endpoints' PSNR, right axis (${many ? `mean of ${2 * pairs} models, bars min–max` : 'mean of the 2 models'})`,
      QUALITY,
      sums.map((s) => s.psnr),
      true,
    ),
    yaxis: 'y2',
    line: { color: QUALITY, dash: 'dot' },
    marker: { symbol: 'square', size: 6 },
  };
  const data = [
    trace(
      'before',
      `barrier, lerp before alignment (${how})`,
      BEFORE,
      sums.map((s) => s.before),
      many,
    ),
    trace(
      'after',
      `barrier, lerp after alignment (${how})`,
      AFTER,
      sums.map((s) => s.after),
      many,
    ),
    psnr,
  ];
  const layout = {
    title: {
      text: `Barrier vs width${ranWith ? `<br><sub>${ranWith.layers} hidden layer${ranWith.layers === 1 ? '' : 's'}, ${ranWith.steps} steps, ${ranWith.image}, ${ranWith.pairs} pair${ranWith.pairs === 1 ? '' : 's'} per width</sub>` : ''}`,
      font: { size: 14 },
    },
    xaxis: {
      title: { text: 'hidden units per layer (log₂ scale)' },
      type: 'log',
      tickvals: widths,
      ticktext: widths.map(String),
    },
    yaxis: { title: { text: 'loss barrier (MSE)' }, rangemode: 'tozero' },
    yaxis2: {
      title: { text: "endpoints' PSNR (dB)", font: { color: QUALITY } },
      overlaying: 'y',
      side: 'right',
      showgrid: false,
      tickfont: { color: QUALITY },
    },
    showlegend: true,
    legend: { orientation: 'h', y: -0.28 },
    margin: { t: 64, r: 64 },
  };
  return { data, layout };
}

/** Every pair of every width as CSV, one row per pair. */
export function sweepCsv(rows: readonly SweepRow[]): string {
  return toCsv(
    [
      'width',
      'pair',
      'barrier_before',
      'barrier_after',
      'loss_a_mse',
      'loss_b_mse',
      'psnr_a_db',
      'psnr_b_db',
    ],
    rows.flatMap((r) =>
      r.pairs.map((p, k) => [r.width, k + 1, p.before, p.after, p.lossA, p.lossB, p.psnrA, p.psnrB]),
    ),
  );
}
