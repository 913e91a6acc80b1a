import type { ExperimentSpec } from '../../../engine/experiment/schema';
import { Field } from '../../components/Field';
import { updateSpec, useApp } from '../../store';
import { pauseClassifiers, stopClassifiers, trainClassifiers, useTrain } from './classifier-state';

type C = ExperimentSpec['classifier'];
const num = (s: string): number => (s.trim() === '' ? NaN : Number(s));
const set = (f: (c: C) => void) => updateSpec((d) => f(d.classifier));

/** The classifier training form: data, architecture, optimiser, population; Train / Pause / Stop. */
export function ClassifierForm() {
  const c = useApp((s) => s.spec.classifier);
  const datasets = useApp((s) => s.datasets);
  const busy = useTrain((s) => s.job.busy);
  const paused = useTrain((s) => s.paused);
  const dataKey = c.data.kind === 'mnist' ? 'mnist' : `file:${c.data.sha256}`;
  return (
    <form
      className="panel form"
      aria-label="Classifiers"
      onSubmit={(e) => {
        e.preventDefault();
        void trainClassifiers();
      }}
    >
      <h2>Train classifiers</h2>
      <fieldset>
        <legend>Data</legend>
        <label className="field">
          <span className="field-label">Dataset</span>
          <select
            value={dataKey}
            data-testid="cls-data"
            onChange={(e) => {
              const v = e.target.value;
              const d = datasets.find((x) => `file:${x.sha256}` === v);
              set(
                (cc) => (cc.data = d ? { kind: 'file', name: d.name, sha256: d.sha256 } : { kind: 'mnist' }),
              );
            }}
          >
            <option value="mnist">MNIST digits</option>
            {datasets.map((d) => (
              <option key={d.sha256} value={`file:${d.sha256}`}>
                {d.name} ({d.n} rows)
              </option>
            ))}
          </select>
        </label>
        {c.data.kind === 'mnist' && (
          <p className="hint">
            9,000 digits train; the first 100 of each class (1,000) are held out and scored.
          </p>
        )}
        {c.data.kind === 'file' && (
          <Field
            label="Held out"
            value={String(c.heldOut)}
            hint="fraction of each class, 0.05–0.5"
            commit={(v) => set((cc) => (cc.heldOut = num(v)))}
          />
        )}
      </fieldset>
      <fieldset>
        <legend>Architecture</legend>
        <Field
          label="Hidden widths"
          value={c.hidden.join(', ')}
          hint="1–6 layers of 8–1024"
          testId="cls-hidden"
          commit={(v) =>
            set(
              (cc) =>
                (cc.hidden = v
                  .split(/[\s,×x]+/)
                  .filter(Boolean)
                  .map(num)),
            )
          }
        />
        <label className="field">
          <span className="field-label">Activation</span>
          <select
            value={c.activation}
            data-testid="cls-activation"
            onChange={(e) => set((cc) => (cc.activation = e.target.value as C['activation']))}
          >
            <option value="relu">ReLU</option>
            <option value="gelu">GELU</option>
            <option value="tanh">tanh</option>
          </select>
        </label>
      </fieldset>
      <fieldset>
        <legend>Optimiser</legend>
        <label className="field">
          <span className="field-label">Optimiser</span>
          <select
            value={c.optimizer}
            data-testid="cls-optimizer"
            onChange={(e) => set((cc) => (cc.optimizer = e.target.value as C['optimizer']))}
          >
            <option value="adam">Adam</option>
            <option value="sgd">SGD + momentum</option>
          </select>
        </label>
        <Field
          label="Learning rate"
          value={String(c.lr)}
          testId="cls-lr"
          commit={(v) => set((cc) => (cc.lr = num(v)))}
        />
        {c.optimizer === 'sgd' && (
          <Field
            label="Momentum"
            value={String(c.momentum)}
            hint="0–0.999"
            commit={(v) => set((cc) => (cc.momentum = num(v)))}
          />
        )}
        <Field
          label="Weight decay"
          value={String(c.weightDecay)}
          hint="L2, 0–1"
          commit={(v) => set((cc) => (cc.weightDecay = num(v)))}
        />
        <label className="field">
          <span className="field-label">Schedule</span>
          <select
            value={c.schedule}
            onChange={(e) => set((cc) => (cc.schedule = e.target.value as C['schedule']))}
          >
            <option value="constant">constant</option>
            <option value="cosine">cosine to 0</option>
          </select>
        </label>
        <Field
          label="Epochs"
          value={String(c.epochs)}
          testId="cls-epochs"
          commit={(v) => set((cc) => (cc.epochs = num(v)))}
        />
        <Field
          label="Batch"
          value={String(c.batch)}
          testId="cls-batch"
          commit={(v) => set((cc) => (cc.batch = num(v)))}
        />
      </fieldset>
      <fieldset>
        <legend>Population</legend>
        <Field
          label="Models"
          value={String(c.population)}
          hint="1–32, trained together"
          testId="cls-population"
          commit={(v) => set((cc) => (cc.population = num(v)))}
        />
        <Field
          label="Seed"
          value={String(c.seed)}
          testId="cls-seed"
          commit={(v) => set((cc) => (cc.seed = num(v)))}
        />
        <label className="field">
          <span className="field-label">Init</span>
          <select
            value={c.initMode}
            onChange={(e) => set((cc) => (cc.initMode = e.target.value as C['initMode']))}
          >
            <option value="independent">independent</option>
            <option value="shared">shared</option>
          </select>
          <span className="field-hint">
            {c.initMode === 'shared'
              ? 'one initialisation for every model, each its own batch order'
              : 'each model from its own seed'}
          </span>
        </label>
      </fieldset>
      <div className="cls-buttons">
        <button type="submit" className="primary" data-testid="cls-train" disabled={busy}>
          Train
        </button>
        <button type="button" disabled={!busy} onClick={() => pauseClassifiers(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" disabled={!busy} data-testid="cls-stop" onClick={stopClassifiers}>
          Stop
        </button>
      </div>
    </form>
  );
}
