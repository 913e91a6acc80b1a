/**
 * The Zoo tab's left column: build a zoo (MNIST INRs, one image under seeds, or MNIST classifiers)
 * or open one, and the weight-space training settings.
 */
import { FilePickButton } from '../../components/FilePickButton';
import { Field } from '../../components/Field';
import { WS_AUGMENTS, WS_METHODS, type WsAugment, type WsMethod } from '../../../engine/weightspace/types';
import { formatTasks, parseTasks } from '../../../engine/zoo/classifier-source';
import {
  buildZoo,
  openZooFile,
  setClassifiers,
  setFit,
  toggleIn,
  togglePause,
  trainMethods,
  useZoo,
  zooStore,
} from './zoo-state';

/** What each method and augmentation is, on hover (the README's "Learn on weights" says more). */
const METHOD_TITLES: Record<WsMethod, string> = {
  mlp: 'an MLP on the flattened weights',
  'mlp-aligned': 'the same MLP after weight matching every member to one reference (Git Re-Basin)',
  'mlp-augmented':
    'the same MLP, every member of every batch given a random hidden permutation (SIRENs: and sign flips)',
  np: 'NFN NP layers (Zhou et al. 2023): invariant to hidden permutations by construction',
};
const AUGMENT_TITLES: Record<WsAugment, string> = {
  negation: 'SIREN sign flips of hidden units (the INR is unchanged)',
  bias: 'SIREN bias shifts by kπ/w₀ (the INR is unchanged)',
  noise: 'Gaussian noise, 5% of each layer’s RMS',
  dropout: '5% of the weights set to zero',
  mixup: 'a random mix of two members and of their labels',
  'mixup-aligned': 'mixup between members first aligned to one reference',
};

/** An integer field in [lo, hi]. */
function intField(
  label: string,
  value: number,
  lo: number,
  hi: number,
  apply: (v: number) => void,
  testId: string,
  hint?: string,
) {
  return (
    <Field
      label={label}
      value={String(value)}
      testId={testId}
      {...(hint ? { hint } : {})}
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
  hint?: string,
) {
  return (
    <Field
      label={label}
      value={value.join(',')}
      testId={testId}
      {...(hint ? { hint } : {})}
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

/** One radio button of a group, labelled. */
function radio(
  group: string,
  text: string,
  checked: boolean,
  choose: () => void,
  testId: string,
  title?: string,
) {
  return (
    <label title={title}>
      <input type="radio" name={group} checked={checked} data-testid={testId} onChange={choose} />
      {text}
    </label>
  );
}

/** The classifier zoo's own fields: how members are labelled and how each trains. */
function ClassifierFields() {
  const c = useZoo((s) => s.classifiers);
  return (
    <>
      <div className="zoo-checks" role="radiogroup" aria-label="label classifiers by">
        <span className="field-label">Label by</span>
        {radio(
          'zoo-label-by',
          'task',
          c.labelBy === 'task',
          () => setClassifiers({ labelBy: 'task' }),
          'zoo-label-task',
          'Label = the digit classes a member was trained on; every member has its own init',
        )}
        {radio(
          'zoo-label-by',
          'init seed',
          c.labelBy === 'seed',
          () => setClassifiers({ labelBy: 'seed' }),
          'zoo-label-seed',
          "Label = the init: a label's members share one init and differ only by their batch order",
        )}
      </div>
      {c.labelBy === 'task' ? (
        <Field
          label="Tasks (class sets)"
          value={formatTasks(c.tasks)}
          testId="zoo-tasks"
          commit={(d) => {
            try {
              const tasks = parseTasks(d);
              if (tasks.length < 2 || tasks.some((t) => t.length < 2))
                return 'two or more tasks of two or more digits, e.g. 0-1;2-3';
              setClassifiers({ tasks });
              return null;
            } catch (e) {
              return (e as Error).message;
            }
          }}
        />
      ) : (
        intField('Inits', c.seeds, 2, 50, (v) => setClassifiers({ seeds: v }), 'zoo-seeds')
      )}
      {intField('Per label', c.perLabel, 1, 1000, (v) => setClassifiers({ perLabel: v }), 'zoo-per-label')}
      {intField(
        'Grid',
        c.size,
        4,
        28,
        (v) => setClassifiers({ size: v }),
        'zoo-cls-size',
        'px per side the digits are scaled to (4–28)',
      )}
      {listField(
        'Hidden',
        c.hidden,
        8,
        1024,
        (v) => setClassifiers({ hidden: v }),
        'zoo-cls-hidden',
        'hidden-layer widths, e.g. 32,32',
      )}
      {intField(
        'Digits/class',
        c.digitsPerClass,
        1,
        800,
        (v) => setClassifiers({ digitsPerClass: v }),
        'zoo-digits',
      )}
      {intField('Epochs', c.epochs, 1, 100, (v) => setClassifiers({ epochs: v }), 'zoo-cls-epochs')}
      {intField('Seed', c.seed, 0, 2 ** 31 - 1, (v) => setClassifiers({ seed: v }), 'zoo-cls-seed')}
    </>
  );
}

/** The INR zoo's fields (MNIST digits or one image under seeds). */
function InrFields() {
  const fit = useZoo((s) => s.fit);
  return (
    <>
      {fit.source === 'mnist' ? (
        <>
          {intField(
            'Per class',
            fit.perClass,
            1,
            1000,
            (v) => setFit({ perClass: v }),
            'zoo-per-class',
            'INRs per digit, each a different image',
          )}
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
      {intField('Grid', fit.size, 4, 28, (v) => setFit({ size: v }), 'zoo-size', 'px per side (4–28)')}
      {listField(
        'Hidden',
        fit.hidden,
        1,
        256,
        (v) => setFit({ hidden: v }),
        'zoo-hidden',
        'hidden-layer widths, e.g. 32,32',
      )}
      {intField(
        'Max steps',
        fit.steps,
        1,
        100_000,
        (v) => setFit({ steps: v }),
        'zoo-steps',
        'Adam steps per INR',
      )}
      {intField(
        'Stop at (dB)',
        fit.psnr,
        1,
        120,
        (v) => setFit({ psnr: v }),
        'zoo-stop-db',
        'an INR stops once its PSNR reaches this',
      )}
      {intField('Seed', fit.seed, 0, 2 ** 31 - 1, (v) => setFit({ seed: v }), 'zoo-seed')}
    </>
  );
}

export function ZooForm() {
  const fit = useZoo((s) => s.fit);
  const cls = useZoo((s) => s.classifiers);
  const running = useZoo((s) => s.running);
  const busy = useZoo((s) => s.job.busy);
  const paused = useZoo((s) => s.paused);
  const hasZoo = useZoo((s) => s.summary !== null);
  const methods = useZoo((s) => s.methods);
  const augment = useZoo((s) => s.augment);
  const epochs = useZoo((s) => s.epochs);
  const seed = useZoo((s) => s.trainSeed);
  const total =
    fit.source === 'mnist'
      ? `${fit.perClass * fit.classes.length} INRs`
      : fit.source === 'image'
        ? `${fit.count} INRs`
        : `${cls.perLabel * (cls.labelBy === 'task' ? cls.tasks.length : cls.seeds)} classifiers`;
  return (
    <section className="panel form zoo-form" aria-label="Zoo settings">
      <h2>Model zoo</h2>
      <p className="hint">
        One SIREN per MNIST digit (DWSNets: 2→32→32→1, w₀ = 30, 28×28, Adam, early stop at a target PSNR), the
        Train tab's image under many seeds, or MNIST classifiers labelled by the digits they learned or by
        their init. The zoo is a dataset of weights: classify its labels from the weights alone.
      </p>
      <fieldset>
        <legend>Build ({total})</legend>
        <div className="zoo-checks" role="radiogroup" aria-label="source">
          {radio(
            'zoo-source',
            'MNIST digits',
            fit.source === 'mnist',
            () => setFit({ source: 'mnist' }),
            'zoo-source-mnist',
          )}
          {radio(
            'zoo-source',
            'one image, many seeds',
            fit.source === 'image',
            () => setFit({ source: 'image' }),
            'zoo-source-image',
            "The Train tab's target image, fitted from many seeds: members differ only by symmetry and init",
          )}
          {radio(
            'zoo-source',
            'MNIST classifiers',
            fit.source === 'classifiers',
            () => setFit({ source: 'classifiers' }),
            'zoo-source-classifiers',
            'MLP classifiers of MNIST digits, labelled by task (the digits each learned) or by init seed',
          )}
        </div>
        {fit.source === 'classifiers' ? <ClassifierFields /> : <InrFields />}
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
        <div className="zoo-open">
          <span className="field-label">or open a zoo file (.npz / .safetensors)</span>
          <FilePickButton
            label="Open zoo file…"
            accept=".npz,.safetensors"
            testId="zoo-file"
            onFiles={([f]) => void openZooFile(f!)}
          />
        </div>
      </fieldset>
      <fieldset disabled={!hasZoo}>
        <legend>Learn on weights</legend>
        <p className="hint zoo-methods-hint">
          Classify each member&apos;s label from its weights alone: a plain MLP (raw, aligned first, or fed
          random permutations) or the permutation-invariant np network. Hover a name for what it does.
        </p>
        <div className="zoo-checks" role="group" aria-label="methods">
          {WS_METHODS.map((m) => (
            <label key={m} title={METHOD_TITLES[m]}>
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
            <label key={a} title={AUGMENT_TITLES[a]}>
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
