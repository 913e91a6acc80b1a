import { useEffect, useMemo, useState } from 'react';
import { useApp } from '../../store';
import { byRef } from '../../model-refs';
import { PlotCard } from '../../components/PlotCard';
import { toCsv } from '../../lib/csv';
import { qualityColors } from './landscape-figures';
import {
  cancelDirections,
  setDirections,
  runDirections,
  setDirectionsModel,
  useDirections,
  type DirectionsState,
} from './directions-state';

/**
 * A small number input in the controls row: a valid draft is applied at once (through the spec's
 * validation), an invalid one stays visible with the reason beside it.
 */
function InlineSetting(p: {
  label: string;
  value: number;
  title: string;
  testId: string;
  step?: number;
  commit: (v: number) => string | null;
}) {
  const [draft, setDraft] = useState(String(p.value));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setDraft(String(p.value));
    setError(null);
  }, [p.value]);
  return (
    <label title={p.title}>
      {p.label}{' '}
      <input
        type="number"
        value={draft}
        step={p.step ?? 1}
        style={{ width: 64 }}
        aria-invalid={error !== null}
        data-testid={p.testId}
        onChange={(e) => {
          setDraft(e.target.value);
          setError(p.commit(e.target.value.trim() === '' ? NaN : Number(e.target.value)));
        }}
      />
      {error && (
        <span className="field-error" role="alert">
          {' '}
          {error}
        </span>
      )}
    </label>
  );
}

/** How many powers of ten the positive values span. */
function decades(v: Float32Array): number {
  let lo = Infinity;
  let hi = 0;
  for (const x of v)
    if (x > 0 && Number.isFinite(x)) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
  return hi > 0 ? Math.log10(hi / lo) : 0;
}

function figure(r: NonNullable<DirectionsState['result']>) {
  // Two lines: one line of model name and method ran out of the frame in a narrow window.
  const title = `Loss around ${r.modelName}<br><sub>along ${r.dims === 2 ? 'two random filter-normalised directions' : 'a random filter-normalised direction'}</sub>`;
  const cls = r.classification;
  if (r.dims === 1) {
    return {
      data: [
        {
          x: Array.from(r.xs),
          y: Array.from(r.loss),
          type: 'scatter',
          mode: 'lines+markers',
          name: cls ? 'cross-entropy' : 'MSE',
        },
      ],
      layout: {
        title: { text: title },
        // Room for the title's two lines above the plot.
        margin: { l: 60, r: 16, t: 72, b: 48 },
        xaxis: { title: { text: 'α (units of the filter-normalised direction d)' } },
        yaxis: cls
          ? { title: { text: 'loss (cross-entropy, nats)' } }
          : {
              title: { text: 'loss (MSE, log scale)' },
              type: 'log',
              exponentformat: 'power',
              // Over two decades or more, one label a decade: plotly's 2 and 5 between them crowd the axis.
              ...(decades(r.loss) >= 2 ? { dtick: 1 } : {}),
            },
      },
    };
  }
  const nx = r.xs.length;
  const z = Array.from(r.ys, (_, iy) =>
    Array.from(r.loss.subarray(iy * nx, (iy + 1) * nx), (v) => (cls ? v : Math.log10(Math.max(v, 1e-12)))),
  );
  return {
    data: [
      {
        x: Array.from(r.xs),
        y: Array.from(r.ys),
        z,
        type: 'contour',
        ...qualityColors(false),
        colorbar: { title: { text: cls ? 'cross-entropy (nats)' : 'log₁₀ MSE' } },
      },
      {
        x: [0],
        y: [0],
        type: 'scatter',
        mode: 'markers+text',
        text: ['model'],
        textposition: 'top center',
        marker: { symbol: 'star', size: 14, color: '#fff', line: { color: '#000', width: 1 } },
        showlegend: false,
      },
    ],
    layout: {
      title: { text: title },
      // Room for the title's two lines above the plot.
      margin: { l: 60, r: 16, t: 72, b: 48 },
      xaxis: { title: { text: 'α along d₁ (filter-normalised)' } },
      yaxis: { title: { text: 'β along d₂ (filter-normalised)' } },
    },
  };
}

function csvOf(r: NonNullable<DirectionsState['result']>): string {
  const cols = r.classification ? ['cross_entropy', 'accuracy'] : ['mse', 'psnr_db'];
  if (r.dims === 1)
    return toCsv(
      ['alpha', ...cols],
      Array.from(r.xs, (x, i) => [x, r.loss[i]!, r.metric[i]!]),
    );
  const nx = r.xs.length;
  return toCsv(
    ['alpha', 'beta', ...cols],
    Array.from(r.loss, (v, i) => [r.xs[i % nx]!, r.ys[Math.floor(i / nx)]!, v, r.metric[i]!]),
  );
}

/**
 * The loss around one model along random Gaussian directions whose rows are rescaled to the
 * model's row norms (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets", Sec. 4).
 */
export function DirectionsCard() {
  const models = useApp((s) => s.models);
  const s = useDirections((x) => x);
  const settings = useApp((x) => x.spec.views.directions);
  const fig = useMemo(() => (s.result ? figure(s.result) : null), [s.result]);
  return (
    <section className="panel directions" aria-label="Random directions" data-testid="directions">
      <h2>Around one model: random filter-normalised directions</h2>
      <div className="directions-controls">
        <label>
          Model{' '}
          <select
            value={byRef(models, settings.model)?.id ?? ''}
            data-testid="directions-model"
            onChange={(e) => setDirectionsModel(e.target.value)}
          >
            {!byRef(models, settings.model) && <option value="">(pick a model)</option>}
            {models.map((m) => (
              <option key={m.id} value={m.id} disabled={!m.ref}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input
            type="radio"
            checked={settings.dims === 1}
            data-testid="directions-1d"
            onChange={() => setDirections({ dims: 1 })}
          />{' '}
          1-D
        </label>
        <label>
          <input
            type="radio"
            checked={settings.dims === 2}
            data-testid="directions-2d"
            onChange={() => setDirections({ dims: 2 })}
          />{' '}
          2-D
        </label>
        <label title="seed of the random directions: the same seed draws the same directions">
          seed{' '}
          <input
            type="number"
            min={0}
            value={settings.seed}
            style={{ width: 70 }}
            onChange={(e) => setDirections({ seed: Math.max(0, Math.floor(Number(e.target.value) || 0)) })}
          />
        </label>
        <InlineSetting
          label={settings.dims === 1 ? 'points' : 'points per axis'}
          value={settings.points}
          title="points along each direction, 3–41"
          testId="directions-points"
          commit={(v) => setDirections({ points: v })}
        />
        <InlineSetting
          label="range ±"
          value={settings.range}
          title="half-width of the line or grid, in units of the filter-normalised direction d; 0.01–10"
          testId="directions-range"
          step={0.1}
          commit={(v) => setDirections({ range: v })}
        />
        <button
          type="button"
          className="primary inline"
          data-testid="directions-run"
          disabled={s.job.busy || models.length === 0}
          title={models.length === 0 ? 'needs a model' : undefined}
          onClick={() => void runDirections()}
        >
          {settings.dims === 1
            ? `Evaluate ${settings.points} points`
            : `Evaluate ${settings.points}×${settings.points} grid`}
        </button>
        {s.job.busy && (
          <>
            <span className="progress-text">
              {s.job.progress ? `${s.job.progress.done}/${s.job.progress.total}` : 'waiting for the engine…'}
            </span>
            <button type="button" onClick={cancelDirections}>
              Cancel
            </button>
          </>
        )}
      </div>
      {s.result && fig ? (
        <PlotCard
          data={fig.data}
          layout={fig.layout}
          testId="directions-plot"
          filename={`weightscope-directions-${s.result.dims}d`}
          csv={() => csvOf(s.result!)}
          height={420}
        />
      ) : (
        <p className="hint">
          Each direction is Gaussian with every row rescaled to the norm of the model’s row (biases zero), so
          the axes are comparable across models.
        </p>
      )}
    </section>
  );
}
