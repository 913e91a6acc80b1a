import { PATH_KINDS } from '../../../engine/experiment/schema';
import { archKey, describeArch } from '../../../engine/model';
import type { ModelEntry } from '../../../workers/protocol';
import { Field } from '../../components/Field';
import { JobProgressRow } from '../../components/JobProgress';
import { ScoreOn } from '../../components/ScoreOn';
import { scoreChoice } from '../../data/score';
import { updateSpec, useApp } from '../../store';
import { byRef } from '../../model-refs';
import {
  cancelPaths,
  KIND_LABELS,
  pathsBlocked,
  presetIndependent,
  presetMnist,
  presetShared,
  runPaths,
  setEndpoint,
  toggleKind,
  usePaths,
} from './paths-state';
import { PathsResults } from './PathsResults';
import { runWidthSweep, useSweep } from './sweep-state';
import { PathsSweepSettings, PathsSweepView } from './PathsSweepView';

const KIND_HINTS: Record<string, string> = {
  lerp: 'straight line between the raw weights',
  'lerp-aligned': 'straight line after aligning B to A',
  'lerp-repair':
    'aligned straight line, each point’s hidden statistics reset to the endpoints’ mix on the scoring data (REPAIR, Jordan et al. 2023)',
  slerp: 'spherical interpolation per tensor',
  bezier: 'quadratic Bezier with a trained middle point',
  polychain: 'two segments through a trained middle point',
};

function num(v: string): number {
  return v.trim() === '' ? NaN : Number(v);
}

function Endpoint({ which, models, at }: { which: 'a' | 'b'; models: ModelEntry[]; at: string | null }) {
  const m = byRef(models, at);
  return (
    <label className="field">
      <span className="field-label">{which.toUpperCase()}</span>
      <select
        value={m?.id ?? ''}
        data-testid={`paths-${which}`}
        onChange={(e) => setEndpoint(which, e.target.value)}
      >
        {!m && <option value="">{at ? 'waiting for the linked model' : '—'}</option>}
        {models.map((x) => (
          <option key={x.id} value={x.id}>
            {x.name}
          </option>
        ))}
      </select>
      {m && <span className="field-hint">{describeArch(m.arch)}</span>}
    </label>
  );
}

/** The Paths view: is there a low-loss path between two networks? */
export function PathsPanel() {
  const models = useApp((s) => s.models);
  const spec = useApp((s) => s.spec);
  const datasets = useApp((s) => s.datasets);
  const p = spec.paths;
  const s = usePaths((x) => x);
  const sweepBusy = useSweep((x) => x.job.busy);
  const A = byRef(models, p.a);
  const B = byRef(models, p.b);
  const blocked = pathsBlocked(models, p.a, p.b, p.kinds, scoreChoice(A, spec, datasets).problem);
  const mismatch = A && B && archKey(A.arch) !== archKey(B.arch);
  const curves = p.kinds.some((k) => k === 'bezier' || k === 'polychain');
  return (
    <div className="align-layout">
      <section className="panel form" aria-label="Paths settings">
        <h2>Paths</h2>
        <p className="hint">
          Walk from model A to model B and measure the loss on the way. A barrier near 0 means the two sit in
          one basin (linear mode connectivity).
        </p>
        <fieldset>
          <legend>Presets</legend>
          <div className="paths-presets">
            <button
              type="button"
              disabled={s.job.busy}
              data-testid="preset-independent"
              onClick={() => void presetIndependent()}
            >
              Same image, independent inits: naive vs aligned
            </button>
            <button
              type="button"
              disabled={s.job.busy}
              data-testid="preset-shared"
              onClick={() => void presetShared()}
            >
              Shared init (expected: connected)
            </button>
            <button
              type="button"
              disabled={s.job.busy}
              data-testid="preset-mnist"
              onClick={() => void presetMnist()}
            >
              MNIST classifiers: naive vs aligned
            </button>
            <button
              type="button"
              disabled={sweepBusy}
              data-testid="preset-width"
              onClick={() => void runWidthSweep()}
            >
              Width sweep: barrier vs hidden units
            </button>
          </div>
          <PathsSweepSettings />
        </fieldset>
        <fieldset>
          <legend>Endpoints</legend>
          <Endpoint which="a" models={models} at={p.a} />
          <Endpoint which="b" models={models} at={p.b} />
          {mismatch && (
            <p className="paths-note">
              A and B have different architectures: a path between them does not exist (the run will say which
              layer differs).
            </p>
          )}
          {A && B && A.id === B.id && (
            <p className="hint">A = B: every path is the model itself, barrier 0.</p>
          )}
          <ScoreOn model={A} testId="paths-score" />
        </fieldset>
        <fieldset>
          <legend>Path kinds</legend>
          <div className="paths-kinds" data-testid="paths-kinds">
            {PATH_KINDS.map((k) => (
              <label key={k} title={KIND_HINTS[k]}>
                <input
                  type="checkbox"
                  checked={p.kinds.includes(k)}
                  data-kind={k}
                  onChange={(e) => toggleKind(k, e.target.checked)}
                />{' '}
                {KIND_LABELS[k]}
                <span className="hint"> — {KIND_HINTS[k]}</span>
              </label>
            ))}
          </div>
          <Field
            label="Points"
            value={String(p.points)}
            hint="α grid, 3–101"
            testId="paths-points"
            commit={(v) => updateSpec((d) => (d.paths.points = num(v)))}
          />
          <Field
            label="Curve steps"
            value={String(p.curveSteps)}
            hint={curves ? 'training steps for the middle point' : 'used by Bezier and polychain'}
            testId="paths-curve-steps"
            commit={(v) => updateSpec((d) => (d.paths.curveSteps = num(v)))}
          />
          <Field
            label="Curve seed"
            value={String(p.curveSeed)}
            testId="paths-curve-seed"
            commit={(v) => updateSpec((d) => (d.paths.curveSeed = num(v)))}
          />
        </fieldset>
        <button
          type="button"
          className="primary"
          data-testid="paths-run"
          disabled={blocked !== null || s.job.busy}
          title={blocked ?? undefined}
          onClick={() => void runPaths()}
        >
          Run paths
        </button>
        {blocked && (
          <p className="hint" data-testid="paths-blocked">
            Disabled: {blocked}.
          </p>
        )}
        <JobProgressRow job={s.job} testId="paths-progress" onCancel={cancelPaths} />
      </section>
      <section className="panel" aria-label="Paths results">
        {s.result ? (
          <PathsResults result={s.result} />
        ) : (
          <p className="hint">
            Pick A and B, tick path kinds, and press Run — or try a preset. The chart shows the loss along
            each path with its barrier; the filmstrips show the image dissolve on a broken path and hold on a
            connected one.
          </p>
        )}
        <PathsSweepView />
      </section>
    </div>
  );
}
