import { useMemo } from 'react';
import { Plot } from '../../components/Plot';
import type { EpochRecord } from '../../../engine/tf/classifier-run';
import { useTrain } from './classifier-state';

/**
 * One line per member: `pick(record)[k]` against the epoch; the hover names the member's own
 * learning rate at that epoch (members may train at their own rates).
 */
function traces(
  history: EpochRecord[],
  pick: (r: EpochRecord) => number[],
  value: string,
  scale = 1,
): unknown[] {
  const k = history[0] ? pick(history[0]).length : 0;
  return Array.from({ length: k }, (_, m) => ({
    type: 'scatter',
    mode: 'lines+markers',
    name: `#${m + 1}`,
    x: history.map((r) => r.epoch),
    y: history.map((r) => scale * pick(r)[m]!),
    customdata: history.map((r) => r.memberLrs?.[m] ?? r.lr),
    hovertemplate: `#${m + 1}, epoch %{x}: ${value}<br>learning rate %{customdata:.3g}<extra></extra>`,
  }));
}

/**
 * Which path trains: the fused kernel ("fused wasm relaxed × 1 worker") or tfjs, whose reason
 * ("tfjs wasm (fused kernel: …)") shows in full on hover and in the title.
 */
function KernelBadge({ path }: { path: string }) {
  const fused = /^fused wasm (\w+) × (.*)$/.exec(path);
  const tfjs = /^(tfjs \w+)(?: \((.*)\))?$/.exec(path);
  return (
    <span className="badge cls-kernel" data-testid="cls-kernel" title={path}>
      {fused ? (
        <>
          <strong>fused kernel</strong>
          <span className="badge-layout">
            {fused[1]} SIMD × {fused[2]}
          </span>
        </>
      ) : (
        <>
          <strong>{tfjs?.[1] ?? path}</strong>
          {tfjs?.[2] && <span className="badge-reason">{tfjs[2]}</span>}
        </>
      )}
    </span>
  );
}

/** The live curves of the population: train loss and held-out accuracy per member per epoch. */
export function TrainCurves() {
  const job = useTrain((s) => s.job);
  const done = useTrain((s) => s.history);
  const message = useTrain((s) => s.message);
  const paused = useTrain((s) => s.paused);
  const doneKernel = useTrain((s) => s.kernel);
  const kernel = (job.busy ? job.progress?.kernel : doneKernel) ?? '';
  const live = job.busy ? job.progress?.history : undefined;
  const history = useMemo(() => live ?? done, [live, done]);
  const loss = useMemo(() => traces(history, (r) => r.trainLoss, '%{y:.4f} nats'), [history]);
  const acc = useMemo(() => traces(history, (r) => r.heldOutAccuracy, '%{y:.2f}%', 100), [history]);
  const p = job.progress;
  const axis = { title: { text: 'epoch' }, dtick: 1, rangemode: 'nonnegative' };
  // A legend band of its own under the axis title (3 members a row in a narrow window); beyond
  // 12 members the legend is dropped, the hover names the member.
  const members = loss.length;
  const legendRows = members <= 12 ? Math.ceil(members / 3) : 0;
  const frame = {
    showlegend: legendRows > 0,
    legend: { orientation: 'h', yref: 'container', y: 0, yanchor: 'bottom', x: 0 },
    margin: { l: 60, r: 16, t: 64, b: 56 + 20 * legendRows },
  };
  return (
    <section className="panel" data-testid="cls-curves" data-epochs={history.length}>
      <h2>
        Training curves
        {kernel && <KernelBadge path={kernel} />}
      </h2>
      {job.busy && (
        <div className="progress-row" data-testid="cls-progress">
          <div className="progress">
            <div
              className="progress-fill"
              style={{ width: `${p && p.total ? (100 * p.done) / p.total : 0}%` }}
            />
          </div>
          <span className="progress-text">
            {paused ? 'paused · ' : ''}
            {p && p.total ? `step ${p.done}/${p.total}` : 'waiting for the engine…'}
          </span>
        </div>
      )}
      {history.length === 0 && !job.busy && (
        <p className="hint">Train a population: each model gets a curve here.</p>
      )}
      {history.length > 0 && (
        <div className="plot-pair">
          <Plot
            testId="cls-loss-chart"
            height={270 + 20 * legendRows}
            data={loss}
            layout={{
              ...frame,
              title: { text: 'Train loss<br><sub>mean minibatch cross-entropy</sub>' },
              xaxis: axis,
              yaxis: { title: { text: 'cross-entropy (nats)' } },
            }}
          />
          <Plot
            testId="cls-acc-chart"
            height={270 + 20 * legendRows}
            data={acc}
            layout={{
              ...frame,
              title: { text: 'Held-out accuracy<br><sub>after each epoch</sub>' },
              xaxis: axis,
              yaxis: { title: { text: 'accuracy (%)' } },
            }}
          />
        </div>
      )}
      {message && <p className="hint">{message}</p>}
    </section>
  );
}
