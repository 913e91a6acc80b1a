import { describeArch } from '../../../engine/model';
import { MERGE_METHODS, METHOD_INFO, PARAM_HINTS, type MergeMethod } from '../../../engine/merge';
import { DEFAULT_STE_STEPS, MAX_STE_STEPS } from '../../../engine/merge/matching-name';
import { Field } from '../../components/Field';
import { JobProgressRow } from '../../components/JobProgress';
import { ScoreOn } from '../../components/ScoreOn';
import { useApp } from '../../store';
import { MergeResults } from './MergeResults';
import {
  cancelMerge,
  mergeProblem,
  nameable,
  patchDraft,
  runMerge,
  runSweep,
  sweepParam,
  useMerge,
  type MergeDraft,
} from './merge-state';

type TextKey = keyof MergeDraft['text'];

/** What each matching method does, under the Matching select (Ainsworth et al. 2023, "Git Re-Basin"). */
const MATCHING_HINTS: Record<MergeDraft['matching'], string> = {
  weight: 'Git Re-Basin Alg. 1: permutations that best match the weights; needs no data',
  activation: 'Git Re-Basin Sec. 3.1: correlates hidden activations on the scoring data',
  ste: 'Git Re-Basin Alg. 3: trains through the midpoint loss on the scoring data; slower',
};

/** The numeric parameters each method shows, with mergekit's default as the placeholder hint. */
function paramFields(method: MergeMethod): TextKey[] {
  const info = METHOD_INFO[method];
  const out: TextKey[] = [];
  if (info.weights) out.push('weights');
  for (const k of ['density', 'lambda', 'gamma', 'epsilon', 't'] as const)
    if (k in info.defaults) out.push(k);
  if (info.random) out.push('seed');
  return out;
}

/** Names longer than this may not fit the Base select at its narrowest: the hint repeats them whole. */
const LONG_NAME = 32;

/** The Merge view: mergekit's methods, after alignment, with REPAIR, scored beside the inputs. */
export function MergePanel() {
  const models = useApp((s) => s.models);
  const s = useMerge((x) => x);
  const d = s.draft;
  const info = METHOD_INFO[d.method];
  const usable = models.filter(nameable);
  const problem = mergeProblem(d, models);
  const first = usable.find((m) => m.ref === d.models[0]);
  const baseName = usable.find((m) => m.ref === d.base)?.name;
  const sweep = sweepParam(d.method);
  const set = (k: TextKey) => (v: string) => {
    patchDraft({ text: { ...d.text, [k]: v } });
    return null;
  };
  return (
    <div className="align-layout" data-testid="merge-panel">
      <section className="panel form" aria-label="Merge settings">
        <h2>Merge</h2>
        <p className="hint">
          One model from several, by the methods of mergekit. Task-vector methods measure each model from a
          base (θ − base); networks trained apart need aligning first.
        </p>
        <fieldset>
          <legend>Method</legend>
          <label className="field">
            <span className="field-label">Method</span>
            <select
              value={d.method}
              data-testid="merge-method"
              onChange={(e) => patchDraft({ method: e.target.value as MergeMethod })}
            >
              {MERGE_METHODS.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
            <span className="field-hint">
              {info.hint} · {info.cite}
            </span>
          </label>
          {paramFields(d.method).map((k) => (
            <Field
              key={`${d.method}-${k}`}
              label={k === 'lambda' ? 'λ' : k === 't' ? 't' : k[0]!.toUpperCase() + k.slice(1)}
              value={d.text[k]}
              testId={`merge-${k}`}
              hint={`${PARAM_HINTS[k]}; default ${k === 'weights' ? '1 each' : String(info.defaults[k as keyof typeof info.defaults] ?? 0)}${
                k !== 'weights' && k !== 'seed' ? ' · a comma list varies it over depth' : ''
              }`}
              commit={set(k)}
            />
          ))}
          {(['normalize', 'rescale'] as const)
            .filter((k) => k in info.defaults)
            .map((k) => (
              <label className="field" key={k}>
                <span className="field-label">{k[0]!.toUpperCase() + k.slice(1)}</span>
                <select
                  value={d[k]}
                  data-testid={`merge-${k}`}
                  onChange={(e) => patchDraft({ [k]: e.target.value })}
                >
                  <option value="default">default ({String(info.defaults[k])})</option>
                  <option value="true">true</option>
                  <option value="false">false</option>
                </select>
                <span className="field-hint">{PARAM_HINTS[k]}</span>
              </label>
            ))}
        </fieldset>
        <fieldset>
          <legend>Models</legend>
          {info.base !== 'none' && (
            <label className="field field-stack">
              <span className="field-label">Base{info.base === 'optional' ? ' (optional)' : ''}</span>
              <select
                value={d.base ?? ''}
                title={baseName}
                data-testid="merge-base"
                onChange={(e) => patchDraft({ base: e.target.value || null })}
              >
                <option value="">{info.base === 'required' ? '— pick the base —' : '— none —'}</option>
                {usable.map((m) => (
                  <option key={m.id} value={m.ref}>
                    {m.name}
                  </option>
                ))}
              </select>
              <span className="field-hint">
                {baseName && baseName.length > LONG_NAME && <span className="full-name">{baseName}</span>}
                {d.method === 'slerp'
                  ? 'with a base, the arc runs from the base (t = 0) to the one model ticked'
                  : 'task vectors are θ − base'}
              </span>
            </label>
          )}
          <div className="align-model-list" data-testid="merge-models">
            {models.map((m) => {
              const why = !nameable(m)
                ? 'a link cannot name it yet'
                : first && describeArch(first.arch) !== describeArch(m.arch)
                  ? 'other architecture'
                  : m.ref === d.base
                    ? 'base'
                    : null;
              return (
                <label key={m.id} className={why ? 'disabled' : ''} title={describeArch(m.arch)}>
                  <input
                    type="checkbox"
                    disabled={why !== null}
                    checked={why === null && d.models.includes(m.ref!)}
                    data-identity={m.ref ?? ''}
                    onChange={(e) =>
                      patchDraft({
                        models: e.target.checked
                          ? [...d.models, m.ref!]
                          : d.models.filter((x) => x !== m.ref),
                      })
                    }
                  />
                  <span className="align-model-name">{m.name}</span>
                  {why && <span className="align-why">{why}</span>}
                </label>
              );
            })}
          </div>
          {first && <ScoreOn model={first} testId="merge-score-on" stacked />}
        </fieldset>
        <fieldset>
          <legend>Before and after</legend>
          <label className="check-row">
            <input
              type="checkbox"
              checked={d.align}
              data-testid="merge-align"
              onChange={(e) => patchDraft({ align: e.target.checked })}
            />
            <span>
              align every model (and the base) first: networks trained apart differ by a permutation
            </span>
          </label>
          <label className="field">
            <span className="field-label">Align to</span>
            <select
              value={d.reference ?? ''}
              data-testid="merge-reference"
              disabled={!d.align}
              onChange={(e) => patchDraft({ reference: e.target.value || null })}
            >
              <option value="">base / first</option>
              {usable.map((m) => (
                <option key={m.id} value={m.ref}>
                  {m.name}
                </option>
              ))}
            </select>
            <span className="field-hint">
              the model every other is permuted onto; by default the base, else the first
            </span>
          </label>
          <label className="field">
            <span className="field-label">Matching</span>
            <select
              value={d.matching}
              disabled={!d.align}
              data-testid="merge-matching"
              onChange={(e) => patchDraft({ matching: e.target.value as MergeDraft['matching'] })}
            >
              <option value="weight">weight</option>
              <option value="activation">activation</option>
              <option value="ste">STE</option>
            </select>
            <span className="field-hint">{MATCHING_HINTS[d.matching]}</span>
          </label>
          {d.align && d.matching === 'ste' && (
            <Field
              label="STE steps"
              value={d.steSteps}
              testId="merge-ste-steps"
              hint={`gradient steps per model (1 to ${MAX_STE_STEPS}, default ${DEFAULT_STE_STEPS}): each moves a proxy so the midpoint has lower loss, then re-solves π; time grows with the steps`}
              commit={(v) => {
                patchDraft({ steSteps: v });
                return null;
              }}
            />
          )}
          <label className="check-row">
            <input
              type="checkbox"
              checked={d.repair}
              data-testid="merge-repair"
              onChange={(e) => patchDraft({ repair: e.target.checked })}
            />
            <span>
              REPAIR: reset each hidden layer&apos;s statistics to the inputs&apos; mix, measured on the
              scoring data (Jordan et al. 2023)
            </span>
          </label>
        </fieldset>
        <div className="merge-actions">
          <button
            type="button"
            className="primary"
            data-testid="merge-run"
            disabled={problem !== null || s.job.busy}
            title={problem ?? undefined}
            onClick={() => void runMerge()}
          >
            Merge
          </button>
          <button
            type="button"
            data-testid="merge-sweep"
            disabled={problem !== null || s.job.busy || !sweep}
            title={
              sweep ? 'score the merge at 11 values from 0 to 1' : `${d.method} has neither λ nor weights`
            }
            onClick={() => void runSweep()}
          >
            {sweep ? `Sweep ${sweep.kind === 'lambda' ? 'λ' : 'weight'}` : 'Sweep (nothing to sweep)'}
          </button>
        </div>
        {problem && !s.job.busy && (
          <p className="hint error-text" data-testid="merge-problem" role="alert">
            {problem}
          </p>
        )}
        <JobProgressRow job={s.job} testId="merge-progress" onCancel={cancelMerge} />
      </section>
      <section className="panel" aria-label="Merge results">
        {s.result || s.sweep ? (
          <MergeResults result={s.result} sweep={s.sweep} />
        ) : (
          <p className="hint">
            Pick a method, a base where it needs one, and the models; press Merge. The merged model joins the
            workspace and the table scores it beside the base and the inputs. Sweep plots the merge&apos;s
            score against λ (or the first model&apos;s weight) in one click.
          </p>
        )}
      </section>
    </div>
  );
}
