import { useMemo } from 'react';
import { Field } from '../../components/Field';
import { useApp } from '../../store';
import { JobProgressRow } from '../../components/JobProgress';
import { PlotCard } from '../../components/PlotCard';
import { toCsv } from '../../lib/csv';
import { cancelWidthSweep, runWidthSweep, setSweepConfig, useSweep } from './sweep-state';
import { fmtBarrier } from './paths-figures';

function int(v: string): number {
  return v.trim() === '' ? NaN : Number(v);
}

/** Settings of the width sweep (small defaults: a couple of minutes on wasm). */
export function PathsSweepSettings() {
  const c = useApp((s) => s.spec.paths.sweep);
  const busy = useSweep((s) => s.job.busy);
  return (
    <details className="paths-sweep-settings">
      <summary>width sweep settings</summary>
      <Field
        label="Widths"
        value={c.widths.join(', ')}
        hint="hidden units per layer, comma separated"
        testId="sweep-widths"
        commit={(v) =>
          setSweepConfig({
            widths: v
              .split(/[\s,]+/)
              .filter(Boolean)
              .map(int),
          })
        }
      />
      <Field
        label="Hidden layers"
        value={String(c.layers)}
        hint="1–5"
        testId="sweep-layers"
        commit={(v) => setSweepConfig({ layers: int(v) })}
      />
      <Field
        label="Image (px)"
        value={String(c.size)}
        hint="the experiment's image, resized; 8–64"
        testId="sweep-size"
        commit={(v) => setSweepConfig({ size: int(v) })}
      />
      <Field
        label="Steps"
        value={String(c.steps)}
        hint="training steps per pair"
        testId="sweep-steps"
        commit={(v) => setSweepConfig({ steps: int(v) })}
      />
      <button type="button" disabled={busy} onClick={() => void runWidthSweep()} data-testid="sweep-run">
        Run width sweep
      </button>
    </details>
  );
}

/** Barrier vs width, before and after alignment, as the sweep fills in. */
export function PathsSweepView() {
  const s = useSweep((x) => x);
  const data = useMemo(
    () => [
      {
        type: 'scatter',
        mode: 'lines+markers',
        name: 'lerp (before alignment)',
        line: { color: '#d92d20' },
        x: s.rows.map((r) => r.width),
        y: s.rows.map((r) => r.before),
      },
      {
        type: 'scatter',
        mode: 'lines+markers',
        name: 'lerp after alignment',
        line: { color: '#1570ef' },
        x: s.rows.map((r) => r.width),
        y: s.rows.map((r) => r.after),
      },
    ],
    [s.rows],
  );
  const configured = useApp((x) => x.spec.paths.sweep.widths);
  const widths = s.ranWith?.widths ?? configured;
  const layout = useMemo(
    () => ({
      title: {
        text: `Barrier vs width${s.ranWith ? ` (${s.ranWith.layers} hidden layers, ${s.ranWith.steps} steps, ${s.ranWith.image})` : ''}`,
      },
      xaxis: {
        title: { text: 'hidden units per layer (log₂ scale)' },
        type: 'log',
        tickvals: widths,
        ticktext: widths.map(String),
      },
      yaxis: { title: { text: 'loss barrier (MSE)' }, rangemode: 'tozero' },
      showlegend: true,
    }),
    [s.ranWith, widths],
  );
  if (!s.job.busy && s.rows.length === 0) return null;
  const csv = () =>
    toCsv(
      ['width', 'barrier_before', 'barrier_after'],
      s.rows.map((r) => [r.width, r.before, r.after]),
    );
  return (
    <div className="paths-sweep" data-testid="paths-sweep">
      <h3 className="align-title">Width sweep</h3>
      <p className="hint">
        Per width, two independent SIRENs train on the experiment's image; the lerp barrier between them is
        measured before and after alignment. The pairs are scratch models and do not join the workspace.
      </p>
      <JobProgressRow
        job={s.job}
        testId="sweep-progress"
        onCancel={cancelWidthSweep}
        className="progress-row"
        text={(p) => p.label}
      />
      <PlotCard
        data={data}
        layout={layout}
        testId="paths-sweep-chart"
        filename="paths-width-sweep"
        csv={csv}
        height={340}
      />
      <table className="align-table" data-testid="sweep-table">
        <thead>
          <tr>
            <th>width</th>
            <th>barrier before</th>
            <th>barrier after alignment</th>
          </tr>
        </thead>
        <tbody>
          {s.rows.map((r) => (
            <tr key={r.width} data-width={r.width} data-before={r.before} data-after={r.after}>
              <td className="num">{r.width}</td>
              <td className="num">{fmtBarrier(r.before)}</td>
              <td className="num">{fmtBarrier(r.after)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
