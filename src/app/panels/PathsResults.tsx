import { useMemo } from 'react';
import type { PathKind } from '../../engine/experiment/schema';
import type { PathCurveReply } from '../../workers/protocol';
import { ImageCanvas } from '../components/ImageCanvas';
import { PlotCard, toCsv } from './CloudPlotCard';
import { KIND_LABELS, pathsStore, setAlpha, setRenderKind, usePaths, type PathsResult } from './paths-state';

const COLORS: Record<PathKind, string> = { lerp: '#d92d20', 'lerp-aligned': '#1570ef', slerp: '#f79009', bezier: '#12b76a', polychain: '#7a5af8' };

export const fmtBarrier = (v: number) => (v === 0 ? '0' : Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(4));

function LossChart({ result }: { result: PathsResult }) {
  const view = usePaths((s) => s.view);
  const alpha = usePaths((s) => s.alpha);
  const psnr = view === 'psnr';
  const data = useMemo(
    () =>
      result.curves.map((c) => ({
        type: 'scatter',
        mode: 'lines+markers',
        marker: { size: 4 },
        line: { color: COLORS[c.kind] },
        name: `${KIND_LABELS[c.kind]} — barrier ${fmtBarrier(c.barrier)}`,
        meta: c.kind,
        x: Array.from(c.alphas),
        y: Array.from(psnr ? c.metrics : c.losses),
      })),
    [result, psnr],
  );
  const layout = useMemo(
    () => ({
      title: { text: `${psnr ? 'PSNR' : 'Loss'} along paths: ${result.aName} → ${result.bName}` },
      xaxis: { title: { text: `α (0 = A, 1 = B)` }, range: [0, 1] },
      yaxis: psnr ? { title: { text: 'PSNR (dB)' } } : { title: { text: 'loss (MSE, log scale)' }, type: 'log', exponentformat: 'power' },
      shapes: [{ type: 'line', xref: 'x', yref: 'paper', x0: alpha, x1: alpha, y0: 0, y1: 1, line: { color: '#98a2b3', dash: 'dot', width: 1 } }],
      showlegend: true,
    }),
    [result, psnr, alpha],
  );
  const csv = () => toCsv(['kind', 'alpha', 'loss_mse', 'psnr_db', 'barrier'], result.curves.flatMap((c) => Array.from(c.alphas, (a, i) => [c.kind, a, c.losses[i]!, c.metrics[i]!, c.barrier])));
  return (
    <PlotCard data={data} layout={layout} testId="paths-chart" filename={`paths-${psnr ? 'psnr' : 'loss'}`} csv={csv} height={360}>
      <span className="landscape-metric" role="radiogroup" aria-label="loss or PSNR">
        <label><input type="radio" name="paths-view" checked={!psnr} data-testid="paths-view-loss" onChange={() => pathsStore.setState({ view: 'loss' })} /> loss (MSE)</label>
        <label><input type="radio" name="paths-view" checked={psnr} data-testid="paths-view-psnr" onChange={() => pathsStore.setState({ view: 'psnr' })} /> PSNR (dB)</label>
      </span>
    </PlotCard>
  );
}

function BarrierTable({ curves, seq }: { curves: PathCurveReply[]; seq: number }) {
  return (
    <table className="align-table" data-testid="paths-barriers" data-seq={seq}>
      <thead>
        <tr>
          <th>path</th>
          <th title="max over α of L(θα) − ((1−α)L(A) + αL(B)), Entezari et al. 2022">barrier (MSE)</th>
          <th>at α</th>
          <th>notes</th>
        </tr>
      </thead>
      <tbody>
        {curves.map((c) => (
          <tr key={c.kind} data-kind={c.kind} data-barrier={c.barrier}>
            <td><span className="paths-swatch" style={{ background: COLORS[c.kind] }} />{KIND_LABELS[c.kind]}</td>
            <td className="num">{fmtBarrier(c.barrier)}</td>
            <td className="num">{c.barrierAlpha.toFixed(2)}</td>
            <td className={c.note ? 'paths-note' : 'hint'}>{c.note ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Filmstrips({ result }: { result: PathsResult }) {
  const { width, height, channels } = result.target.image;
  const frame = width * height * channels;
  const scale = Math.max(1, Math.round(72 / width));
  return (
    <div className="paths-films" data-testid="paths-filmstrips">
      {result.curves.map((c) => (
        <div key={c.kind} className="paths-film" data-kind={c.kind}>
          <div className="paths-film-label"><span className="paths-swatch" style={{ background: COLORS[c.kind] }} />{KIND_LABELS[c.kind]}</div>
          <div className="thumbs">
            {c.filmAlphas.map((a, f) => (
              <ImageCanvas key={f} data={c.filmstrip} offset={f * frame} width={width} height={height} channels={channels} scale={scale} label={`α = ${a.toFixed(3).replace(/0+$/, '').replace(/\.$/, '')}`} />
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
  const { width, height, channels } = result.target.image;
  return (
    <div className="paths-live" data-testid="paths-live">
      <div className="paths-live-controls">
        <label className="field">
          <span className="field-label">Path</span>
          <select value={kind ?? ''} data-testid="paths-render-kind" onChange={(e) => setRenderKind(e.target.value as PathKind)}>
            {result.curves.map((c) => <option key={c.kind} value={c.kind}>{KIND_LABELS[c.kind]}</option>)}
          </select>
        </label>
        <label className="field">
          <span className="field-label">α = {alpha.toFixed(2)}</span>
          <input type="range" min={0} max={1} step={0.01} value={alpha} data-testid="paths-alpha" onChange={(e) => setAlpha(Number(e.target.value))} />
        </label>
        {render && (
          <p className="progress-text" data-testid="paths-live-numbers" data-loss={render.loss}>
            {KIND_LABELS[render.kind]} at α = {render.alpha.toFixed(2)}: loss {render.loss.toExponential(3)} (MSE), PSNR {render.metric.toFixed(2)} dB
          </p>
        )}
      </div>
      {render ? <ImageCanvas data={render.image} width={width} height={height} channels={channels} scale={Math.max(2, Math.round(160 / width))} label="live reconstruction" testId="paths-live-image" /> : <p className="hint">rendering…</p>}
    </div>
  );
}

/** The curves, barriers, filmstrips and live α view of the last paths run. */
export function PathsResults({ result }: { result: PathsResult }) {
  return (
    <div data-testid="paths-results">
      <LossChart result={result} />
      <BarrierTable curves={result.curves} seq={result.seq} />
      <h3 className="align-title">Reconstructions along each path</h3>
      <Filmstrips result={result} />
      <h3 className="align-title">Walk the path</h3>
      <AlphaSlider result={result} />
    </div>
  );
}
