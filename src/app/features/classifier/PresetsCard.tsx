import { Field } from '../../components/Field';
import { JobProgressRow } from '../../components/JobProgress';
import { Plot } from '../../components/Plot';
import type { PresetName } from '../../../workers/protocol';
import { updateSpec, useApp } from '../../store';
import { cancelPreset, runPreset, usePreset } from './classifier-state';
import { presetFigures, presetSummary } from './preset-figures';

const PRESETS: { id: PresetName; label: string; what: string }[] = [
  {
    id: 'rebasin',
    label: 'Git Re-Basin: MNIST MLP',
    what: 'two 784→512×3→10 MLPs; loss and accuracy along lerp, naive vs weight, activation and STE matching',
  },
  {
    id: 'widths',
    label: 'Barrier vs width',
    what: 'two MLPs per width; naive vs aligned barrier, log₂ width axis',
  },
  {
    id: 'repair',
    label: 'REPAIR at α = ½',
    what: 'a deep narrow MLP pair: accuracy of the naive, aligned and REPAIRed midpoint',
  },
  {
    id: 'soup',
    label: 'Model soups',
    what: 'K models fine-tuned from one base: best single vs uniform vs greedy soup',
  },
];

const num = (s: string): number => (s.trim() === '' ? NaN : Number(s));
const ints = (s: string): number[] =>
  s
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(num);

/** The four replications: one click each, with progress and Cancel, the paper's claim beside the run. */
export function PresetsCard() {
  const p = useApp((s) => s.spec.classifier.presets);
  const job = usePreset((s) => s.job);
  const running = usePreset((s) => s.running);
  const result = usePreset((s) => s.result);
  const seq = usePreset((s) => s.seq);
  return (
    <section className="panel" data-testid="cls-presets">
      <h2>Replicate the papers (MNIST)</h2>
      <p className="hint">
        Each preset trains its models now, on the same 9,000 / 1,000 MNIST split, and shows the numbers beside
        what the paper reported. Defaults take a few minutes on a laptop CPU; the fields below make them
        smaller or larger.
      </p>
      <div className="cls-row">
        <Field
          label="Epochs"
          value={String(p.epochs)}
          hint="0 = each preset's default"
          testId="preset-epochs"
          commit={(v) => updateSpec((d) => (d.classifier.presets.epochs = num(v)))}
        />
        <Field
          label="Hidden widths"
          value={p.hidden.join(', ')}
          hint="empty = each preset's default"
          testId="preset-hidden"
          commit={(v) => updateSpec((d) => (d.classifier.presets.hidden = ints(v)))}
        />
        <Field
          label="Widths to sweep"
          value={p.widths.join(', ')}
          hint="barrier vs width"
          testId="preset-widths"
          commit={(v) => updateSpec((d) => (d.classifier.presets.widths = ints(v)))}
        />
        <Field
          label="Seed"
          value={String(p.seed)}
          commit={(v) => updateSpec((d) => (d.classifier.presets.seed = num(v)))}
        />
      </div>
      <div className="preset-buttons">
        {PRESETS.map((x) => (
          <button
            key={x.id}
            type="button"
            data-testid={`preset-run-${x.id}`}
            disabled={job.busy}
            title={x.what}
            onClick={() => void runPreset(x.id)}
          >
            {x.label}
            <span className="preset-what">{x.what}</span>
          </button>
        ))}
      </div>
      <JobProgressRow
        job={job}
        testId="preset-progress"
        onCancel={cancelPreset}
        text={(q) => `${running ?? ''}: ${q.label} ${Math.round((100 * q.done) / Math.max(1, q.total))}%`}
      />
      {result && (
        <div
          className="preset-result"
          data-testid="preset-result"
          data-preset={result.preset}
          data-seq={seq}
          data-summary={JSON.stringify(
            result.points ?? result.soup ?? result.midpoints ?? result.curves?.map((c) => c.heldOut.barrier),
          )}
        >
          <div className="preset-figures">
            {presetFigures(result).map((f) => (
              <Plot
                key={f.testId}
                testId={f.testId}
                data={f.data}
                layout={f.layout}
                height={f.height ?? 300}
              />
            ))}
          </div>
          <div className="preset-compare">
            <h3>Your run</h3>
            <p className="hint">{result.setup}</p>
            <p data-testid="preset-summary">{presetSummary(result)}</p>
            <p className="hint">
              {result.seconds.toFixed(0)} s
              {result.models.length
                ? `; ${result.models.length} model${result.models.length === 1 ? '' : 's'} joined the workspace`
                : ''}
              .
            </p>
            {result.notes.map((n) => (
              <p key={n} className="hint">
                {n}
              </p>
            ))}
            <h3>What the paper reported</h3>
            <p>{result.paper.reported}</p>
            <p className="hint">
              {result.paper.citation}, {result.paper.where}.
            </p>
          </div>
        </div>
      )}
    </section>
  );
}
