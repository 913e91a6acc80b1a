import { useMemo } from 'react';
import { describeArch } from '../../../engine/model';
import { JobProgressRow } from '../../components/JobProgress';
import { Field } from '../../components/Field';
import { ScoreOn } from '../../components/ScoreOn';
import { useApp } from '../../store';
import { byRef } from '../../model-refs';
import { PlotCard } from '../../components/PlotCard';
import {
  anchorsProblem,
  cancelLandscape,
  landscapeStore,
  landscapeUnavailable,
  runLandscape,
  setAnchor,
  setPlaneSetting,
  useLandscape,
  type PlaneResult,
} from './landscape-state';
import { planeCsv, planeLayout, planeTraces } from './landscape-figures';
import { DirectionsCard } from './DirectionsCard';

const SLOTS = [
  { slot: 0, label: 'w₀ (origin)' },
  { slot: 1, label: 'w₁' },
  { slot: 2, label: 'w₂ (along u)' },
] as const;

function num(s: string): number {
  return s.trim() === '' ? NaN : Number(s);
}

function PlaneView({ plane, psnr }: { plane: PlaneResult; psnr: boolean }) {
  const fig = useMemo(
    () => ({ data: planeTraces(plane, psnr), layout: planeLayout(plane, psnr) }),
    [plane, psnr],
  );
  return (
    <PlotCard
      data={fig.data}
      layout={fig.layout}
      testId="landscape-plot"
      filename={`weightscope-plane-${psnr ? 'psnr' : 'loss'}`}
      csv={() => planeCsv(plane)}
      height={560}
    >
      <label className="landscape-metric">
        <input
          type="checkbox"
          checked={psnr}
          data-testid="landscape-psnr"
          onChange={(e) => landscapeStore.setState({ showPsnr: e.target.checked })}
        />{' '}
        colour by {plane.classification ? 'accuracy' : 'PSNR'}
      </label>
    </PlotCard>
  );
}

/** The Landscape view: loss over the plane through three models. */
export function LandscapePanel() {
  const models = useApp((s) => s.models);
  const { anchors, resolution, margin } = useApp((s) => s.spec.views.landscape);
  const s = useLandscape((x) => x);
  const unavailable = landscapeUnavailable(models);
  const problem = unavailable ?? anchorsProblem(models, anchors);
  return (
    <div className="cloud-layout">
      <section className="panel form" aria-label="Landscape settings">
        <h2>Loss landscape</h2>
        <p className="hint">
          The plane through three models: w₀ at the origin, u towards w₂, v towards w₁ (orthogonalised).
          Coordinates are distances in weight space; every grid point is a model, scored on the first anchor’s
          data (“Score on”).
        </p>
        <fieldset disabled={unavailable !== null}>
          <legend>Anchors</legend>
          {SLOTS.map(({ slot, label }) => (
            <label className="field" key={slot}>
              <span className="field-label">{label}</span>
              <select
                value={byRef(models, anchors[slot])?.id ?? ''}
                data-testid={`landscape-anchor-${slot}`}
                onChange={(e) => setAnchor(slot, e.target.value)}
              >
                {!byRef(models, anchors[slot]) && <option value="">—</option>}
                {models.map((m) => (
                  <option key={m.id} value={m.id} title={describeArch(m.arch)}>
                    {m.name}
                  </option>
                ))}
              </select>
            </label>
          ))}
          <ScoreOn model={byRef(models, anchors[0])} testId="landscape-score" />
        </fieldset>
        <fieldset disabled={unavailable !== null}>
          <legend>Grid</legend>
          <Field
            label="Resolution"
            value={String(resolution)}
            hint="5–41 points per side"
            testId="landscape-resolution"
            commit={(v) => setPlaneSetting('resolution', num(v))}
          />
          <Field
            label="Margin"
            value={String(margin)}
            hint="0–1, beyond the anchors"
            testId="landscape-margin"
            commit={(v) => setPlaneSetting('margin', num(v))}
          />
        </fieldset>
        <button
          type="button"
          className="primary"
          data-testid="landscape-run"
          disabled={problem !== null || s.job.busy}
          title={problem ?? undefined}
          onClick={() => void runLandscape()}
        >
          Compute the plane ({resolution}×{resolution} models)
        </button>
        {problem && (
          <p className="hint" data-testid="landscape-disabled-reason">
            Disabled: {problem}.
          </p>
        )}
        <JobProgressRow
          job={s.job}
          testId="landscape-progress"
          onCancel={cancelLandscape}
          waiting="waiting for the engine (a training job runs first)…"
        />
      </section>
      <div className="landscape-results">
        <section className="panel" aria-label="Landscape">
          {s.plane ? (
            <PlaneView plane={s.plane} psnr={s.showPsnr} />
          ) : (
            <p className="hint">
              {unavailable
                ? `The plane ${unavailable}: train a population or drop checkpoints first.`
                : 'Pick three models of one architecture and compute the plane.'}
            </p>
          )}
        </section>
        <DirectionsCard />
      </div>
    </div>
  );
}
