import { describeArch } from '../../../engine/model';
import { MAX_RESTARTS } from '../../../engine/experiment/model-id';
import {
  DEFAULT_STE_STEPS,
  MAX_STE_STEPS,
  type MatchingMethodName,
} from '../../../engine/merge/matching-name';
import { Field } from '../../components/Field';
import { JobProgressRow } from '../../components/JobProgress';
import { updateSpec, useApp } from '../../store';
import {
  alignBlocked,
  alignStore,
  cancelAlign,
  chosenIds,
  ineligible,
  referenceEntry,
  runAlign,
  selectAll,
  setReference,
  signedFor,
  toggleModel,
  useAlign,
} from './align-state';
import { AlignResults } from './AlignResults';

/** The matching methods: name, label, and what each does (Git Re-Basin, Ainsworth et al. 2023). */
const METHODS: [MatchingMethodName, string, string][] = [
  ['weight', 'weight', 'Git Re-Basin Alg. 1: coordinate descent over permutations of the weights'],
  [
    'activation',
    'activation',
    'correlation of hidden activations on the reference’s data: its image grid (INRs), or its “Score on” data (classifiers: MNIST digits or a dropped dataset)',
  ],
  [
    'ste',
    'STE',
    'Git Re-Basin Alg. 3 (straight-through estimator): trains a proxy so that the midpoint of the reference and π(model) has low loss on the reference’s data, re-solving π by weight matching each step; keeps the best π (never worse than weight matching). Slower: a gradient step per π, “STE steps” of them per model and restart.',
  ],
];

/** The Restarts field's hint: which seeds the restarts run, in words that fit the count. */
function restartsHint(seed: number, restarts: number): string {
  const range = `1 to ${MAX_RESTARTS}`;
  if (!Number.isInteger(seed) || !Number.isInteger(restarts) || restarts < 1)
    return `how many seeds to try (${range})`;
  if (restarts === 1)
    return `seed ${seed} only; more try the next seeds and keep the best objective (${range})`;
  const seeds = restarts === 2 ? `seeds ${seed} and ${seed + 1}` : `seeds ${seed} to ${seed + restarts - 1}`;
  return `${seeds}; the best objective is kept (${range})`;
}

/** The Align view: remove the permutation (and sign) symmetry between models, provably. */
export function AlignPanel() {
  const models = useApp((s) => s.models);
  const spec = useApp((s) => s.spec);
  const s = useAlign((x) => x);
  const ref = referenceEntry(spec, models);
  const ids = chosenIds(s.selected, models, ref);
  const blocked = alignBlocked(models, ref, ids);
  const hidden = ref ? ref.arch.widths.length - 2 : 0;
  const { method, signed } = spec.alignment;
  return (
    <div className="align-layout">
      <section className="panel form" aria-label="Align settings">
        <h2>Align</h2>
        <p className="hint">
          Independently trained networks differ by a permutation of their hidden units (and, for sine or tanh,
          sign flips). Alignment finds that permutation; the aligned model computes exactly the same function.
        </p>
        <fieldset>
          <legend>Reference</legend>
          <label className="field">
            <span className="field-label">Reference</span>
            <select
              value={ref?.id ?? ''}
              data-testid="align-reference"
              onChange={(e) => setReference(e.target.value)}
            >
              {!ref && <option value="">— no models —</option>}
              {models.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                </option>
              ))}
            </select>
            {ref && <span className="field-hint">{describeArch(ref.arch)}</span>}
          </label>
        </fieldset>
        <fieldset>
          <legend>Models to align ({ids.length})</legend>
          <div className="cloud-models-actions">
            <button type="button" onClick={() => selectAll(true)}>
              all compatible
            </button>
            <button type="button" onClick={() => selectAll(false)}>
              none
            </button>
          </div>
          <div className="align-model-list" data-testid="align-models">
            {models.map((m) => {
              const why = ineligible(m, ref);
              return (
                <label
                  key={m.id}
                  className={why ? 'disabled' : ''}
                  title={
                    why === 'other architecture' && ref
                      ? `${describeArch(m.arch)}: cannot be aligned to the reference's ${describeArch(ref.arch)}`
                      : describeArch(m.arch)
                  }
                >
                  <input
                    type="checkbox"
                    disabled={why !== null}
                    checked={why === null && s.selected.includes(m.id)}
                    data-model-id={m.id}
                    onChange={(e) => toggleModel(m.id, e.target.checked)}
                  />
                  <span className="align-model-name">{m.name}</span>
                  {why && <span className="align-why">{why}</span>}
                </label>
              );
            })}
          </div>
        </fieldset>
        <fieldset>
          <legend>Method</legend>
          <div className="field">
            <span className="field-label">Matching</span>
            <span className="cloud-toggle align-methods" role="radiogroup" aria-label="method">
              {METHODS.map(([m, label, title]) => (
                <label key={m} title={title}>
                  <input
                    type="radio"
                    name="align-method"
                    checked={method === m}
                    data-testid={`align-${m}`}
                    onChange={() => updateSpec((d) => (d.alignment.method = m))}
                  />{' '}
                  {label}
                </label>
              ))}
            </span>
          </div>
          {method === 'ste' && (
            <>
              <p className="hint" data-testid="align-ste-hint">
                STE trains on the reference&apos;s data (its image for INRs, its “Score on” data for
                classifiers): each step moves a proxy of the model so that the midpoint with the reference has
                lower loss, then re-solves π by weight matching; the best π is kept.
              </p>
              <Field
                label="STE steps"
                value={String(spec.alignment.steSteps)}
                hint={`gradient steps per model and restart (1 to ${MAX_STE_STEPS}, default ${DEFAULT_STE_STEPS}); time grows with the steps`}
                testId="align-ste-steps"
                commit={(v) => updateSpec((d) => (d.alignment.steSteps = v.trim() === '' ? NaN : Number(v)))}
              />
            </>
          )}
          <label className="field">
            <span className="field-label">Signed</span>
            <select
              value={signed}
              data-testid="align-signed"
              onChange={(e) =>
                updateSpec((d) => (d.alignment.signed = e.target.value as 'auto' | 'on' | 'off'))
              }
            >
              <option value="auto">
                auto{ref ? ` (${signedFor('auto', ref.arch) ? 'on' : 'off'} for ${ref.arch.activation})` : ''}
              </option>
              <option value="on">on: also match sign flips</option>
              <option value="off">off: permutations only</option>
            </select>
          </label>
          <Field
            label="Seed"
            value={String(spec.alignment.seed)}
            hint="order of the permutation sweeps (first restart)"
            testId="align-seed"
            commit={(v) => updateSpec((d) => (d.alignment.seed = v.trim() === '' ? NaN : Number(v)))}
          />
          <Field
            label="Restarts"
            value={String(spec.alignment.restarts)}
            hint={restartsHint(spec.alignment.seed, spec.alignment.restarts)}
            testId="align-restarts-input"
            commit={(v) => updateSpec((d) => (d.alignment.restarts = v.trim() === '' ? NaN : Number(v)))}
          />
          <label className="field">
            <span className="field-label">Heatmap layer</span>
            <select
              value={Math.min(s.heatmapLayer, Math.max(0, hidden - 1))}
              data-testid="align-heatmap-layer"
              disabled={hidden === 0}
              onChange={(e) => alignStore.setState({ heatmapLayer: Number(e.target.value) })}
            >
              {Array.from({ length: hidden }, (_, l) => (
                <option key={l} value={l}>
                  layer {l + 1} ({ref!.arch.widths[l + 1]} units)
                </option>
              ))}
            </select>
          </label>
        </fieldset>
        <button
          type="button"
          className="primary"
          data-testid="align-run"
          disabled={blocked !== null || s.job.busy}
          title={blocked ?? undefined}
          onClick={() => void runAlign()}
        >
          Align {ids.length > 0 ? `${ids.length} model${ids.length === 1 ? '' : 's'}` : ''}
        </button>
        {blocked && !s.job.busy && (
          <p className="hint" data-testid="align-blocked">
            Disabled: {blocked}.
          </p>
        )}
        <JobProgressRow job={s.job} testId="align-progress" onCancel={cancelAlign} />
      </section>
      <section className="panel" aria-label="Alignment results">
        {s.result ? (
          <AlignResults view={s.result} />
        ) : (
          <p className="hint">
            Pick a reference, tick the models to align, and press Align. The table proves each aligned model
            computes the same function; the heatmaps show the chosen layer's unit similarity before and after
            (the diagonal appears).
          </p>
        )}
      </section>
    </div>
  );
}
