/** The Zoo tab's left column: build an MNIST-INR zoo or open one, and the weight-space training settings. */
import { Field } from '../../components/Field';
import { WS_AUGMENTS, WS_METHODS } from '../../../engine/weightspace/types';
import {
  buildZoo,
  openZooFile,
  setFit,
  toggleIn,
  togglePause,
  trainMethods,
  useZoo,
  zooStore,
} from './zoo-state';

/** An integer field in [lo, hi]. */
function intField(
  label: string,
  value: number,
  lo: number,
  hi: number,
  apply: (v: number) => void,
  testId: string,
) {
  return (
    <Field
      label={label}
      value={String(value)}
      testId={testId}
      commit={(d) => {
        const v = Number(d);
        if (!Number.isInteger(v) || v < lo || v > hi) return `a whole number from ${lo} to ${hi}`;
        apply(v);
        return null;
      }}
    />
  );
}

function listField(
  label: string,
  value: number[],
  lo: number,
  hi: number,
  apply: (v: number[]) => void,
  testId: string,
) {
  return (
    <Field
      label={label}
      value={value.join(',')}
      testId={testId}
      commit={(d) => {
        const v = d.split(',').map((x) => Number(x.trim()));
        if (!v.length || v.some((x) => !Number.isInteger(x) || x < lo || x > hi))
          return `comma-separated whole numbers from ${lo} to ${hi}`;
        apply(v);
        return null;
      }}
    />
  );
}

export function ZooForm() {
  const fit = useZoo((s) => s.fit);
  const running = useZoo((s) => s.running);
  const busy = useZoo((s) => s.job.busy);
  const paused = useZoo((s) => s.paused);
  const hasZoo = useZoo((s) => s.summary !== null);
  const methods = useZoo((s) => s.methods);
  const augment = useZoo((s) => s.augment);
  const epochs = useZoo((s) => s.epochs);
  const seed = useZoo((s) => s.trainSeed);
  const total = fit.perClass * fit.classes.length;
  return (
    <section className="panel form zoo-form" aria-label="Zoo settings">
      <h2>Model zoo</h2>
      <p className="hint">
        One SIREN per MNIST digit (DWSNets: 2→32→32→1, w₀ = 30, 28×28, Adam, early stop at a target PSNR), or
        the Train tab's image under many seeds. The zoo is a dataset of weights: classify its digits from the
        weights alone.
      </p>
      <fieldset>
        <legend>Build ({fit.source === 'mnist' ? total : fit.count} INRs)</legend>
        <div className="zoo-checks" role="radiogroup" aria-label="source">
          <label>
            <input
              type="radio"
              name="zoo-source"
              checked={fit.source === 'mnist'}
              data-testid="zoo-source-mnist"
              onChange={() => setFit({ source: 'mnist' })}
            />
            MNIST digits
          </label>
          <label title="The Train tab's target image, fitted from many seeds: members differ only by symmetry and init">
            <input
              type="radio"
              name="zoo-source"
              checked={fit.source === 'image'}
              data-testid="zoo-source-image"
              onChange={() => setFit({ source: 'image' })}
            />
            one image, many seeds
          </label>
        </div>
        {fit.source === 'mnist' ? (
          <>
            {intField('Per class', fit.perClass, 1, 1000, (v) => setFit({ perClass: v }), 'zoo-per-class')}
            {listField(
              'Digits',
              fit.classes,
              0,
              9,
              (v) => setFit({ classes: [...new Set(v)].sort() }),
              'zoo-classes',
            )}
          </>
        ) : (
          intField('Seeds', fit.count, 2, 10_000, (v) => setFit({ count: v }), 'zoo-count')
        )}
        {intField('Grid', fit.size, 4, 28, (v) => setFit({ size: v }), 'zoo-size')}
        {listField('Hidden', fit.hidden, 1, 256, (v) => setFit({ hidden: v }), 'zoo-hidden')}
        {intField('Max steps', fit.steps, 1, 100_000, (v) => setFit({ steps: v }), 'zoo-steps')}
        {intField('Stop at dB', fit.psnr, 1, 120, (v) => setFit({ psnr: v }), 'zoo-stop-db')}
        {intField('Seed', fit.seed, 0, 2 ** 31 - 1, (v) => setFit({ seed: v }), 'zoo-seed')}
        <div className="zoo-buttons">
          <button
            type="button"
            className="primary"
            disabled={busy}
            onClick={() => void buildZoo()}
            data-testid="zoo-build"
          >
            Build zoo
          </button>
          {running === 'fit' && (
            <>
              <button type="button" onClick={togglePause} data-testid="zoo-pause">
                {paused ? 'Resume' : 'Pause'}
              </button>
            </>
          )}
        </div>
        <label className="file-pick">
          <span className="field-label">or open a zoo file (.npz / .safetensors)</span>
          <input
            type="file"
            accept=".npz,.safetensors"
            data-testid="zoo-file"
            onChange={(e) => {
              const f = e.target.files?.[0];
              e.target.value = '';
              if (f) void openZooFile(f);
            }}
          />
        </label>
      </fieldset>
      <fieldset disabled={!hasZoo}>
        <legend>Learn on weights</legend>
        <div className="zoo-checks" role="group" aria-label="methods">
          {WS_METHODS.map((m) => (
            <label key={m}>
              <input
                type="checkbox"
                checked={methods.includes(m)}
                data-testid={`zoo-method-${m}`}
                onChange={(e) =>
                  zooStore.setState((s) => ({ methods: toggleIn(s.methods, m, e.target.checked) }))
                }
              />
              {m}
            </label>
          ))}
        </div>
        <div className="zoo-checks" role="group" aria-label="augmentations">
          <span className="field-label">Augment</span>
          {WS_AUGMENTS.map((a) => (
            <label key={a}>
              <input
                type="checkbox"
                checked={augment.includes(a)}
                data-testid={`zoo-aug-${a}`}
                onChange={(e) =>
                  zooStore.setState((s) => ({ augment: toggleIn(s.augment, a, e.target.checked) }))
                }
              />
              {a}
            </label>
          ))}
        </div>
        {intField('Epochs', epochs, 1, 1000, (v) => zooStore.setState({ epochs: v }), 'zoo-epochs')}
        {intField('Seed', seed, 0, 2 ** 31 - 1, (v) => zooStore.setState({ trainSeed: v }), 'zoo-train-seed')}
        <button
          type="button"
          className="primary"
          disabled={busy || methods.length === 0}
          onClick={() => void trainMethods()}
          data-testid="zoo-train"
        >
          Train {methods.join(', ') || '(pick a method)'}
        </button>
      </fieldset>
    </section>
  );
}
