import { ImageCanvas } from '../../components/ImageCanvas';
import { PlotCard } from '../../components/PlotCard';
import { toCsv } from '../../lib/csv';
import { downloadModel } from '../models/models-state';
import type { MergeResultView, SweepView } from './merge-state';

const metricText = (v: number, classify: boolean): string =>
  classify ? `${(100 * v).toFixed(1)}%` : `${v.toFixed(2)} dB`;

function ScoreTable({ r }: { r: MergeResultView }) {
  return (
    <>
      <h3 className="align-title" data-testid="merge-name">
        {r.name}
      </h3>
      <p className="hint">
        Scored on {r.targetLabel}. Recipe id: <code>{r.id}</code>
      </p>
      <table className="align-table" data-testid="merge-table">
        <thead>
          <tr>
            <th>role</th>
            <th>model</th>
            <th>{r.classify ? 'cross-entropy (nats)' : 'MSE'}</th>
            <th>{r.classify ? 'accuracy' : 'PSNR'}</th>
          </tr>
        </thead>
        <tbody>
          {r.rows.map((row, i) => (
            <tr key={i} data-role={row.role}>
              <td>{row.role}</td>
              <td>{row.name}</td>
              <td className="num">{r.classify ? row.loss.toFixed(4) : row.loss.toExponential(3)}</td>
              <td className="num">{metricText(row.metric, r.classify)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="plot-exports">
        <button
          type="button"
          data-testid="merge-download"
          onClick={() => void downloadModel(r.entryId, 'safetensors')}
        >
          Download the merge (.safetensors, recipe in its metadata)
        </button>
      </div>
      {r.image && (
        <div className="merge-reconstruction">
          <ImageCanvas
            data={r.image.data}
            width={r.image.width}
            height={r.image.height}
            channels={r.image.channels}
            scale={Math.max(2, Math.floor(160 / r.image.width))}
            label="the merge's reconstruction"
            testId="merge-reconstruction"
          />
        </div>
      )}
    </>
  );
}

/**
 * The reference lines' colours: apart from the sweep's blue and green, and dark enough to see as
 * thin dashed lines on white (a pale grey one was lost among the grid lines).
 */
const REF_COLOURS = ['#b54708', '#6941c6', '#c11574', '#344054'];

/** The sweep's legend: room for the axis title above it, and its line height. */
const LEGEND_TOP = 64;
const LEGEND_LINE = 19;

function SweepPlot({ s }: { s: SweepView }) {
  const lossName = s.classify ? 'cross-entropy (nats)' : 'MSE';
  const metricName = s.classify ? 'accuracy (%)' : 'PSNR (dB)';
  const metric = s.metric.map((m) => (s.classify ? 100 * m : m));
  const data = [
    { x: s.values, y: s.loss, name: lossName, mode: 'lines+markers', line: { color: '#1570ef' } },
    {
      x: s.values,
      y: metric,
      name: metricName,
      mode: 'lines+markers',
      yaxis: 'y2',
      line: { color: '#12b76a', dash: 'dot' },
    },
    ...s.refs.map((r, i) => ({
      x: [s.values[0], s.values[s.values.length - 1]],
      y: [r.loss, r.loss],
      name: `${r.name} (${r.role}): its ${lossName}`,
      mode: 'lines',
      line: { color: REF_COLOURS[i % REF_COLOURS.length], dash: 'dash', width: 1.5 },
    })),
  ];
  const layout = {
    title: { text: `Merge score against ${s.param.kind === 'lambda' ? 'λ' : 'the weight'}` },
    xaxis: { title: { text: s.label } },
    yaxis: { title: { text: lossName } },
    yaxis2: { title: { text: metricName }, overlaying: 'y', side: 'right' },
    // One entry a line at the figure's foot, in a margin sized for them: plotly's own margin push
    // for a legend under the axis kept a resized chart's old margin and drew it over the ticks.
    legend: { orientation: 'v', x: 0, xanchor: 'left', y: 0, yref: 'container', yanchor: 'bottom' },
    margin: { t: 50, r: 60, l: 60, b: LEGEND_TOP + LEGEND_LINE * data.length },
  };
  return (
    <PlotCard
      data={data}
      layout={layout}
      testId="merge-sweep-plot"
      filename="merge-sweep"
      height={300 + LEGEND_LINE * data.length}
      csv={() =>
        toCsv(
          [s.param.kind, lossName, metricName],
          s.values.map((v, i) => [v, s.loss[i]!, metric[i]!]),
        )
      }
    />
  );
}

/** The merge's score table (with its reconstruction for INRs) and the sweep plot. */
export function MergeResults({ result, sweep }: { result: MergeResultView | null; sweep: SweepView | null }) {
  return (
    <div data-testid="merge-results">
      {result && <ScoreTable r={result} />}
      {sweep && <SweepPlot s={sweep} />}
    </div>
  );
}
