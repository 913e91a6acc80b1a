import { useMemo } from 'react';
import type { PathKind } from '../../../engine/experiment/schema';
import type { ImageTarget } from '../../../workers/protocol';
import { ImageCanvas } from '../../components/ImageCanvas';
import { PlotCard } from '../../components/PlotCard';
import {
  COLORS,
  curveLossCsv,
  curveLossFigure,
  fmtBarrier,
  pathsCsv,
  pathsFigure,
  units,
} from './paths-figures';
import { curveConvergenceNote } from './curve-check';
import { KIND_LABELS, pathsStore, setAlpha, setRenderKind, usePaths, type PathsResult } from './paths-state';

function LossChart({ result }: { result: PathsResult }) {
  const view = usePaths((s) => s.view);
  const alpha = usePaths((s) => s.alpha);
  const psnr = view === 'psnr';
  const u = units(result);
  const fig = useMemo(() => pathsFigure(result, psnr, alpha), [result, psnr, alpha]);
  return (
    <PlotCard
      data={fig.data}
      layout={fig.layout}
      testId="paths-chart"
      filename={`paths-${psnr ? (u.cls ? 'accuracy' : 'psnr') : 'loss'}`}
      csv={() => pathsCsv(result)}
      height={380}
    >
      <span
        className="landscape-metric"
        role="radiogroup"
        aria-label={`loss or ${u.cls ? 'accuracy' : 'PSNR'}`}
      >
        <label>
          <input
            type="radio"
            name="paths-view"
            checked={!psnr}
            data-testid="paths-view-loss"
            onChange={() => pathsStore.setState({ view: 'loss' })}
          />{' '}
          loss ({u.loss})
        </label>
        <label>
          <input
            type="radio"
            name="paths-view"
            checked={psnr}
            data-testid="paths-view-psnr"
            onChange={() => pathsStore.setState({ view: 'psnr' })}
          />{' '}
          {u.metric}
        </label>
      </span>
    </PlotCard>
  );
}

/** The per-step loss of the trained curves, beside the path chart (absent when none was trained). */
function CurveLossChart({ result }: { result: PathsResult }) {
  const fig = useMemo(() => curveLossFigure(result), [result]);
  if (!fig) return null;
  return (
    <PlotCard
      data={fig.data}
      layout={fig.layout}
      testId="paths-curve-loss"
      filename="paths-curve-training-loss"
      csv={() => curveLossCsv(result)}
      height={380}
    />
  );
}

function BarrierTable({ result }: { result: PathsResult }) {
  const u = units(result);
  const train = result.curves.some((c) => c.train);
  return (
    <table className="align-table" data-testid="paths-barriers" data-seq={result.seq}>
      <thead>
        <tr>
          <th>path</th>
          <th title="max over α of L(θα) − ((1−α)L(A) + αL(B)), Entezari et al. 2022">
            barrier ({u.cls ? 'cross-entropy' : 'MSE'})
          </th>
          <th>at α</th>
          {train && <th title="the same path scored on the training data">train barrier</th>}
          {u.cls && <th title="max over α of ((1−α)acc(A) + α acc(B)) − acc(θα)">accuracy drop</th>}
          {u.cls && <th>accuracy at A · B</th>}
          <th>notes</th>
        </tr>
      </thead>
      <tbody>
        {result.curves.map((c) => (
          <tr
            key={c.kind}
            data-kind={c.kind}
            data-barrier={c.barrier}
            data-metric-barrier={c.metricBarrier}
            data-train-barrier={c.train?.barrier}
            data-metric-a={c.metrics[0]}
            data-metric-b={c.metrics[c.metrics.length - 1]}
          >
            <td>
              <span className="paths-swatch" style={{ background: COLORS[c.kind] }} />
              {KIND_LABELS[c.kind]}
            </td>
            <td className="num">{fmtBarrier(c.barrier)}</td>
            <td className="num">{c.barrierAlpha.toFixed(2)}</td>
            {train && <td className="num">{c.train ? fmtBarrier(c.train.barrier) : '—'}</td>}
            {u.cls && <td className="num">{(100 * c.metricBarrier).toFixed(1)} pts</td>}
            {u.cls && (
              <td className="num">
                {(100 * c.metrics[0]!).toFixed(1)}% · {(100 * c.metrics[c.metrics.length - 1]!).toFixed(1)}%
              </td>
            )}
            <CurveNotes kind={c.kind} alphas={c.alphas} losses={c.losses} note={c.note} />
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The worker's note on a path, plus a warning when a trained curve looks unconverged. */
function CurveNotes(p: { kind: PathKind; alphas: Float32Array; losses: Float32Array; note?: string }) {
  const notes = [p.note, curveConvergenceNote(p.kind, p.alphas, p.losses)].filter(Boolean);
  return (
    <td className={notes.length > 0 ? 'paths-note' : 'hint'} data-testid={`paths-note-${p.kind}`}>
      {notes.length > 0 ? notes.join('; ') : '—'}
    </td>
  );
}

function Filmstrips({ result, image }: { result: PathsResult; image: ImageTarget }) {
  const { width, height, channels } = image.image;
  const frame = width * height * channels;
  const scale = Math.max(1, Math.round(72 / width));
  return (
    <div className="paths-films" data-testid="paths-filmstrips">
      {result.curves.map((c) => (
        <div key={c.kind} className="paths-film" data-kind={c.kind}>
          <div className="paths-film-label">
            <span className="paths-swatch" style={{ background: COLORS[c.kind] }} />
            {KIND_LABELS[c.kind]}
          </div>
          <div className="thumbs">
            {c.filmAlphas.map((a, f) => (
              <ImageCanvas
                key={f}
                data={c.filmstrip}
                offset={f * frame}
                width={width}
                height={height}
                channels={channels}
                scale={scale}
                label={`α = ${a.toFixed(3).replace(/0+$/, '').replace(/\.$/, '')}`}
              />
            ))}
          </div>
        </div>
      ))}
    </div>
  );
}

function AlphaSlider({ result }: { result: PathsResult }) {
  const alpha = usePaths((s) => s.alpha);
  const kind = usePaths((s) => s.renderKind);
  const render = usePaths((s) => s.render);
  const u = units(result);
  return (
    <div className="paths-live" data-testid="paths-live">
      <div className="paths-live-controls">
        <label className="field">
          <span className="field-label">Path</span>
          <select
            value={kind ?? ''}
            data-testid="paths-render-kind"
            onChange={(e) => setRenderKind(e.target.value as PathKind)}
          >
            {result.curves.map((c) => (
              <option key={c.kind} value={c.kind}>
                {KIND_LABELS[c.kind]}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">α = {alpha.toFixed(2)}</span>
          <input
            type="range"
            min={0}
            max={1}
            step={0.01}
            value={alpha}
            data-testid="paths-alpha"
            onChange={(e) => setAlpha(Number(e.target.value))}
          />
        </label>
        {render && (
          <p
            className="progress-text"
            data-testid="paths-live-numbers"
            data-loss={render.loss}
            data-metric={render.metric}
          >
            {u.cls
              ? `${KIND_LABELS[render.kind]} at α = ${render.alpha.toFixed(2)}: loss ${render.loss.toFixed(4)} (cross-entropy, nats), accuracy ${(100 * render.metric).toFixed(1)}% on ${result.score.label}`
              : `${KIND_LABELS[render.kind]} at α = ${render.alpha.toFixed(2)}: loss ${render.loss.toExponential(3)} (MSE), PSNR ${render.metric.toFixed(2)} dB`}
          </p>
        )}
      </div>
      {result.image ? (
        render ? (
          <ImageCanvas
            data={render.image}
            width={result.image.image.width}
            height={result.image.image.height}
            channels={result.image.image.channels}
            scale={Math.max(2, Math.round(160 / result.image.image.width))}
            label="live reconstruction"
            testId="paths-live-image"
          />
        ) : (
          <p className="hint">rendering…</p>
        )
      ) : null}
    </div>
  );
}

/** The curves, barriers, filmstrips and live α view of the last paths run. */
export function PathsResults({ result }: { result: PathsResult }) {
  return (
    <div data-testid="paths-results">
      <div className="paths-charts">
        <LossChart result={result} />
        <CurveLossChart result={result} />
      </div>
      <BarrierTable result={result} />
      {result.image && (
        <>
          <h3 className="align-title">Reconstructions along each path</h3>
          <Filmstrips result={result} image={result.image} />
        </>
      )}
      <h3 className="align-title">Walk the path</h3>
      <AlphaSlider result={result} />
    </div>
  );
}
