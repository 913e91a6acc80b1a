import { useMemo, useState } from 'react';
import { useApp } from '../../store';
import { pauseTraining, resumeTraining, stopTraining } from './train-state';
import { ImageCanvas } from '../../components/ImageCanvas';
import { LiveChart } from './LiveChart';
import { Plot } from '../../components/Plot';
import { CATEGORY10, seriesColour } from '../../lib/palette';

/** The chart title's count: "the INR" or "8 INRs". */
const inrs = (k: number): string => (k === 1 ? 'the INR' : `${k} INRs`);

/** Live view of a training run: progress, controls, PSNR curves and reconstructions. */
export function TrainView() {
  const run = useApp((s) => s.run);
  // The plotly chart only when asked for: building it takes hundreds of ms of main thread.
  const [interactive, setInteractive] = useState(false);
  const K = run.psnr[0]?.length ?? 0;
  const names = useMemo(() => Array.from({ length: K }, (_, k) => `#${k + 1}`), [K]);
  const active =
    run.status === 'training' ||
    run.status === 'paused' ||
    run.status === 'calibrating' ||
    run.status === 'loading';
  const data = useMemo(
    () =>
      Array.from({ length: K }, (_, k) => ({
        x: run.evalSteps,
        y: run.psnr.map((row) => row[k]),
        type: 'scatter',
        mode: 'lines',
        name: `#${k + 1}`,
        line: { width: 1.5, color: seriesColour(k) },
      })),
    [run.evalSteps, run.psnr, K],
  );
  const layout = useMemo(
    () => ({
      title: { text: `Reconstruction quality of ${inrs(K)} during training` },
      xaxis: { title: { text: 'step' }, range: [0, Math.max(1, run.steps)] },
      yaxis: { title: { text: 'PSNR (dB)' } },
      showlegend: K <= 16,
    }),
    [K, run.steps],
  );
  const t = run.target;
  const scale = t ? Math.max(1, Math.round(96 / t.width)) : 1;
  const frac = run.steps > 0 ? run.step / run.steps : 0;
  const last = run.psnr[run.psnr.length - 1];
  const best = last ? Math.max(...last) : null;
  return (
    <section className="panel train-view" aria-label="Training">
      <div className="progress-row">
        <div
          className="progress"
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={run.steps}
          aria-valuenow={run.step}
        >
          <div className="progress-fill" style={{ width: `${(100 * frac).toFixed(1)}%` }} />
        </div>
        <span className="progress-text" data-testid="progress-text">
          {run.status === 'idle' ? 'not started' : `step ${run.step} / ${run.steps}`}
          {run.stepsPerSec > 0 && ` · ${run.stepsPerSec.toFixed(1)} steps/s`}
          {best !== null && ` · best ${best.toFixed(2)} dB`}
        </span>
        <span className={`status status-${run.status}`} data-testid="run-status">
          {/* A person pressed Stop: "cancelled" would suggest nothing was kept. */}
          {run.status === 'cancelled' ? 'stopped' : run.status}
        </span>
        {run.status === 'paused' ? (
          <button onClick={resumeTraining}>Resume</button>
        ) : (
          <button onClick={pauseTraining} disabled={run.status !== 'training'}>
            Pause
          </button>
        )}
        <button onClick={stopTraining} disabled={!run.busy}>
          Stop
        </button>
      </div>
      {run.message && (
        <p className={run.status === 'error' ? 'error-text' : 'hint'} data-testid="run-message">
          {run.message}
        </p>
      )}
      {active || !interactive ? (
        <LiveChart
          title={`Reconstruction quality of ${inrs(K)} ${active ? 'while training' : 'during training'}`}
          xLabel="step"
          yLabel="PSNR (dB)"
          xMax={Math.max(1, run.steps)}
          xs={run.evalSteps}
          ys={run.psnr}
          colors={CATEGORY10}
          names={names}
          testId="psnr-live"
        />
      ) : (
        <Plot data={data} layout={layout} testId="psnr-chart" />
      )}
      {!active && K > 0 && (
        <button
          className="link-button"
          data-testid="chart-toggle"
          onClick={() => setInteractive(!interactive)}
        >
          {interactive ? 'back to the quick chart' : 'interactive chart (hover for values)'}
        </button>
      )}
      {t && (
        <div className="thumbs" data-testid="thumbnails">
          <ImageCanvas
            data={t.data}
            width={t.width}
            height={t.height}
            channels={t.channels}
            scale={scale}
            label={`target: ${run.targetLabel}`}
          />
          {run.predictions &&
            Array.from({ length: Math.min(64, run.predictions.length / t.data.length) }, (_, k) => (
              <ImageCanvas
                key={k}
                data={run.predictions!}
                offset={k * t.data.length}
                width={t.width}
                height={t.height}
                channels={t.channels}
                scale={scale}
                label={last ? `#${k + 1} · ${last[k]!.toFixed(1)} dB` : `#${k + 1}`}
              />
            ))}
        </div>
      )}
    </section>
  );
}
