import { describeArch } from '../../../engine/model';
import type { ModelEntry } from '../../../workers/protocol';
import { JobProgressRow } from '../../components/JobProgress';
import { useApp } from '../../store';
import {
  cancelCloud,
  cloudBlocked,
  cloudStore,
  pathEnds,
  referenceId,
  runCloud,
  selectAll,
  selectedIds,
  setAligned,
  setDims,
  setReference,
  toggleModel,
  useCloud,
} from './cloud-state';
import { architectureNote, cloudArchs } from './cloud-figures';
import { CloudResultView } from './CloudResultView';

function ModelChecklist({ models, ids }: { models: ModelEntry[]; ids: string[] }) {
  const chosen = new Set(ids);
  return (
    <fieldset className="cloud-models">
      <legend>
        Models ({ids.length} of {models.length})
      </legend>
      <div className="cloud-models-actions">
        <button type="button" onClick={() => selectAll(true)}>
          all
        </button>
        <button type="button" onClick={() => selectAll(false)}>
          none
        </button>
      </div>
      <div className="cloud-model-list" data-testid="cloud-models">
        {models.map((m) => (
          <label key={m.id} title={`${describeArch(m.arch)}${m.group ? ` · ${m.group}` : ''}`}>
            <input
              type="checkbox"
              checked={chosen.has(m.id)}
              data-model-id={m.id}
              onChange={(e) => toggleModel(m.id, e.target.checked)}
            />
            {m.name}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function ModelSelect({
  label,
  value,
  ids,
  models,
  onChange,
  testId,
}: {
  label: string;
  value: string | null;
  ids: string[];
  models: ModelEntry[];
  onChange: (id: string) => void;
  testId: string;
}) {
  const chosen = new Set(ids);
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      <select value={value ?? ''} data-testid={testId} onChange={(e) => onChange(e.target.value)}>
        {value === null && <option value="">—</option>}
        {models
          .filter((m) => chosen.has(m.id))
          .map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
      </select>
    </label>
  );
}

/** The Cloud view: PCA maps of many models, raw and aligned to one reference. */
export function CloudPanel() {
  const models = useApp((s) => s.models);
  const spec = useApp((s) => s.spec);
  const s = useCloud((x) => x);
  const ids = selectedIds(s.selected, models);
  const ref = referenceId(spec, models, ids);
  const blocked = cloudBlocked(ids);
  const { aligned, dims } = spec.views.cloud;
  const shown = s.compare ? [s.raw, s.aligned] : [aligned ? s.aligned : s.raw];
  const any = shown.some((r) => r !== null);
  const [pathA, pathB] = pathEnds(s, ids);
  const archs = cloudArchs(shown);
  const archNote = architectureNote(shown);
  return (
    <div className="cloud-layout">
      <section className="panel form" aria-label="Cloud settings">
        <h2>Weight cloud</h2>
        <p className="hint">
          Each model is a point: its flattened weights, projected on the principal components of the
          selection. Aligning first removes the permutation symmetry between hidden units.
        </p>
        <ModelChecklist models={models} ids={ids} />
        <fieldset>
          <legend>Map</legend>
          <ModelSelect
            label="Reference"
            value={ref}
            ids={ids}
            models={models}
            onChange={setReference}
            testId="cloud-reference"
          />
          <div className="field">
            <span className="field-label">Weights</span>
            <span className="cloud-toggle" role="radiogroup" aria-label="raw or aligned">
              <label>
                <input
                  type="radio"
                  name="cloud-aligned"
                  checked={!aligned}
                  data-testid="cloud-raw"
                  onChange={() => setAligned(false)}
                />{' '}
                raw
              </label>
              <label>
                <input
                  type="radio"
                  name="cloud-aligned"
                  checked={aligned}
                  data-testid="cloud-aligned"
                  onChange={() => setAligned(true)}
                />{' '}
                aligned
              </label>
            </span>
          </div>
          <div className="field">
            <span className="field-label">View</span>
            <span className="cloud-toggle" role="radiogroup" aria-label="2-D or 3-D">
              <label>
                <input
                  type="radio"
                  name="cloud-dims"
                  checked={dims === 2}
                  data-testid="cloud-2d"
                  onChange={() => setDims(2)}
                />{' '}
                2-D
              </label>
              <label>
                <input
                  type="radio"
                  name="cloud-dims"
                  checked={dims === 3}
                  data-testid="cloud-3d"
                  onChange={() => setDims(3)}
                />{' '}
                3-D
              </label>
            </span>
          </div>
          <label className="field check-field">
            <span className="field-label">Compare</span>
            <span className="check-text">
              <input
                type="checkbox"
                checked={s.compare}
                data-testid="cloud-compare"
                onChange={(e) => cloudStore.setState({ compare: e.target.checked })}
              />{' '}
              raw and aligned side by side
            </span>
          </label>
        </fieldset>
        <fieldset>
          <legend>Straight path</legend>
          <label className="field check-field">
            <span className="field-label">Draw</span>
            <span className="check-text">
              <input
                type="checkbox"
                checked={s.drawPath}
                data-testid="cloud-draw-path"
                onChange={(e) => cloudStore.setState({ drawPath: e.target.checked })}
              />{' '}
              the straight path A → B
            </span>
          </label>
          {s.drawPath && (
            <>
              <ModelSelect
                label="A"
                value={pathA}
                ids={ids}
                models={models}
                onChange={(v) => cloudStore.setState({ pathA: v, pathB })}
                testId="cloud-path-a"
              />
              <ModelSelect
                label="B"
                value={pathB}
                ids={ids}
                models={models}
                onChange={(v) => cloudStore.setState({ pathB: v, pathA })}
                testId="cloud-path-b"
              />
              {pathA === pathB && <span className="field-hint">pick two different models</span>}
            </>
          )}
        </fieldset>
        <button
          type="button"
          className="primary"
          data-testid="cloud-run"
          disabled={blocked !== null || s.job.busy}
          title={blocked ?? undefined}
          onClick={() => void runCloud()}
        >
          {s.compare ? 'Map raw and aligned' : aligned ? 'Map aligned' : 'Map raw'}
        </button>
        {blocked && (
          <p className="hint" data-testid="cloud-blocked">
            Disabled: {blocked}.
          </p>
        )}
        <JobProgressRow
          job={s.job}
          testId="cloud-progress"
          onCancel={cancelCloud}
          waiting="waiting for the engine (a training job runs first)…"
        />
      </section>
      <section className="panel cloud-results" aria-label="Cloud">
        {!any ? (
          <p className="hint">
            Pick models and press Map. With “Compare” on, the raw cloud and the cloud aligned to the reference
            appear side by side.
          </p>
        ) : (
          <>
            {archNote && (
              <p className="cloud-note" data-testid="cloud-arch-note" role="note">
                {archNote}
              </p>
            )}
            <div className={`cloud-columns n${shown.length}`}>
              {shown.map((r, i) =>
                r ? (
                  <CloudResultView
                    key={r.aligned ? 'a' : 'r'}
                    result={r}
                    dims={dims}
                    shownWith={shown}
                    {...(shown.length > 1 ? { archs } : {})}
                  />
                ) : (
                  <p key={i} className="hint">
                    {s.job.busy ? 'computing…' : 'not mapped yet: press Map'}
                  </p>
                ),
              )}
            </div>
          </>
        )}
      </section>
    </div>
  );
}
