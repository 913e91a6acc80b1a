import { useMemo } from 'react';
import { Field } from '../../components/Field';
import { useApp } from '../../store';
import { JobProgressRow } from '../../components/JobProgress';
import { PlotCard } from '../../components/PlotCard';
import {
  cancelWidthSweep,
  rowSummary,
  runWidthSweep,
  setSweepConfig,
  useSweep,
  type Spread,
} from './sweep-state';
import { sweepCsv, sweepFigure } from './sweep-figures';
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
      <Field
        label="Pairs per width"
        value={String(c.pairs)}
        hint="independent pairs (seeds) per width, 1–8: mean and min–max"
        testId="sweep-pairs"
        commit={(v) => setSweepConfig({ pairs: int(v) })}
      />
      <button type="button" disabled={busy} onClick={() => void runWidthSweep()} data-testid="sweep-run">
        Run width sweep
      </button>
    </details>
  );
}

const fmtSpread = (x: Spread, f: (v: number) => string) =>
  x.n > 1 ? `${f(x.mean)} (${f(x.min)}–${f(x.max)})` : f(x.mean);

/** Barrier vs width, before and after alignment, with the endpoints' quality, as the sweep fills in. */
export function PathsSweepView() {
  const s = useSweep((x) => x);
  const configured = useApp((x) => x.spec.paths.sweep.widths);
  const widths = s.ranWith?.widths ?? configured;
  const fig = useMemo(() => sweepFigure(s.rows, s.ranWith, widths), [s.rows, s.ranWith, widths]);
  if (!s.job.busy && s.rows.length === 0) return null;
  const pairs = s.ranWith?.pairs ?? 1;
  return (
    <div className="paths-sweep" data-testid="paths-sweep">
      <h3 className="align-title">Width sweep</h3>
      <p className="hint">
        Per width,{' '}
        {pairs === 1 ? 'two independent SIRENs train' : `${pairs} independent pairs of SIRENs train`} on the
        experiment's image; the lerp barrier between {pairs === 1 ? 'them' : 'each pair'} is measured before
        and after alignment, beside the endpoints' PSNR (a low barrier between poorly fitted models means
        little). {pairs > 1 && 'Table cells: mean (min–max) over the pairs. '}The pairs are scratch models and
        do not join the workspace.
      </p>
      <JobProgressRow
        job={s.job}
        testId="sweep-progress"
        onCancel={cancelWidthSweep}
        className="progress-row"
        text={(p) => p.label}
      />
      <PlotCard
        data={fig.data}
        layout={fig.layout}
        testId="paths-sweep-chart"
        filename="paths-width-sweep"
        csv={() => sweepCsv(s.rows)}
        height={400}
      />
      <table className="align-table" data-testid="sweep-table">
        <thead>
          <tr>
            <th>width</th>
            <th>pairs</th>
            <th>barrier before (MSE)</th>
            <th>barrier after alignment (MSE)</th>
            <th>endpoints' PSNR (dB)</th>
          </tr>
        </thead>
        <tbody>
          {s.rows.map((r) => {
            const m = rowSummary(r);
            return (
              <tr
                key={r.width}
                data-width={r.width}
                data-pairs={r.pairs.length}
                data-before={m.before.mean}
                data-after={m.after.mean}
                data-psnr={m.psnr.mean}
              >
                <td className="num">{r.width}</td>
                <td className="num">{r.pairs.length}</td>
                <td className="num">{fmtSpread(m.before, fmtBarrier)}</td>
                <td className="num">{fmtSpread(m.after, fmtBarrier)}</td>
                <td className="num">{fmtSpread(m.psnr, (v) => v.toFixed(2))}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
