import { useState } from 'react';
import { Field } from '../../components/Field';
import { JobProgressRow } from '../../components/JobProgress';
import { updateSpec, useApp } from '../../store';
import { cancelFineTune, runFineTune, useTune } from './classifier-state';

const num = (s: string): number => (s.trim() === '' ? NaN : Number(s));
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** Fine-tune any workspace classifier on a class subset, or make one task model per subset. */
export function FineTuneCard() {
  const models = useApp((s) => s.models);
  const ft = useApp((s) => s.spec.classifier.fineTune);
  const data = useApp((s) => s.spec.classifier.data);
  const job = useTune((s) => s.job);
  const result = useTune((s) => s.result);
  const inputs = data.kind === 'mnist' ? 784 : null;
  const bases = models.filter(
    (m) =>
      m.arch.widths.length >= 3 &&
      (inputs === null || m.arch.widths[0] === inputs) &&
      m.arch.activation !== 'sine',
  );
  const [baseId, setBaseId] = useState('');
  const base = bases.find((m) => m.id === baseId) ?? bases[0];
  return (
    <section className="panel" data-testid="cls-finetune">
      <h2>Fine-tune and task models</h2>
      <p className="hint">
        Start from any classifier in the workspace and train it on some classes of the same data. The result
        remembers its base, so the pair gives a task vector τ = θ − θ<sub>base</sub>.
      </p>
      <div className="cls-row">
        <label className="field">
          <span className="field-label">Base model</span>
          <select value={base?.id ?? ''} data-testid="cls-base" onChange={(e) => setBaseId(e.target.value)}>
            {bases.length === 0 && <option value="">no classifier in the workspace</option>}
            {bases.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <Field
          label="Classes"
          value={ft.classes}
          hint="e.g. 0-4"
          testId="cls-ft-classes"
          commit={(v) => updateSpec((d) => (d.classifier.fineTune.classes = v))}
        />
        <Field
          label="Task subsets"
          value={ft.tasks}
          hint="one model each, e.g. 0-4; 5-9"
          testId="cls-ft-tasks"
          commit={(v) => updateSpec((d) => (d.classifier.fineTune.tasks = v))}
        />
        <Field
          label="Epochs"
          value={String(ft.epochs)}
          commit={(v) => updateSpec((d) => (d.classifier.fineTune.epochs = num(v)))}
        />
        <Field
          label="Learning rate"
          value={String(ft.lr)}
          commit={(v) => updateSpec((d) => (d.classifier.fineTune.lr = num(v)))}
        />
      </div>
      <div className="cls-buttons">
        <button
          type="button"
          data-testid="cls-ft-run"
          disabled={!base || job.busy}
          onClick={() => base && void runFineTune(base.id, false)}
        >
          Fine-tune
        </button>
        <button
          type="button"
          data-testid="cls-ft-tasks-run"
          disabled={!base || job.busy}
          onClick={() => base && void runFineTune(base.id, true)}
        >
          Make task models
        </button>
      </div>
      <JobProgressRow
        job={job}
        testId="cls-ft-progress"
        onCancel={cancelFineTune}
        text={(p) => `${p.label} ${p.done}/${p.total}`}
      />
      {result && (
        <table className="models" data-testid="cls-ft-result">
          <thead>
            <tr>
              <th>model</th>
              <th>classes</th>
              <th>held-out accuracy on them, before → after</th>
              <th>on all classes after</th>
            </tr>
          </thead>
          <tbody>
            {result.results.map((r, i) => (
              <tr key={i}>
                <td>{result.models[i]?.name}</td>
                <td>{r.classes}</td>
                <td>
                  {pct(r.before)} → {pct(r.after)}
                </td>
                <td>{pct(r.allAfter)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
