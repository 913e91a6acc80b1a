import type { ModelEntry } from '../../workers/protocol';
import { MNIST_SCORE_DETAIL, MNIST_SCORE_ID, scoreChoice, setScoreChoice } from '../data/score';
import { showBanner, useApp } from '../store';

/**
 * "Score on": the data a job evaluates `model` on, chosen among what fits it (its target image,
 * MNIST for 784 → 10 classifiers, dropped datasets). Names the loss and metric that follow.
 */
export function ScoreOn({
  model,
  testId,
  stacked = false,
}: {
  model: ModelEntry | undefined;
  testId: string;
  /** Label above the select, which then takes the column's whole width (for narrow forms). */
  stacked?: boolean;
}) {
  const spec = useApp((s) => s.spec);
  const datasets = useApp((s) => s.datasets);
  if (!model) return null;
  const c = scoreChoice(model, spec, datasets);
  const classify = c.chosen?.kind === 'classification';
  return (
    <label className={stacked ? 'field field-stack' : 'field'}>
      <span className="field-label">Score on</span>
      <select
        value={c.chosen?.id ?? ''}
        title={c.chosen?.label}
        data-testid={testId}
        disabled={c.options.length < 2}
        onChange={(e) => {
          const err = setScoreChoice(e.target.value, datasets);
          if (err) showBanner('error', `Score on not changed: ${err}`);
        }}
      >
        {!c.chosen && <option value="">—</option>}
        {c.options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.label}
          </option>
        ))}
      </select>
      <span className={c.problem ? 'field-hint error-text' : 'field-hint'}>
        {c.problem ??
          (classify ? 'loss: cross-entropy (nats) · metric: accuracy' : 'loss: MSE · metric: PSNR (dB)')}
        {!c.problem && c.chosen?.id === MNIST_SCORE_ID && <> · {MNIST_SCORE_DETAIL}</>}
        {!c.problem && classify && <> · drop an x/y .npz to score on your own data</>}
      </span>
    </label>
  );
}
