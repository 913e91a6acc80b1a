import { useEffect, useState } from 'react';
import type { ExperimentSpec } from '../../../engine/experiment/schema';
import { updateSpec, useApp } from '../../store';
import { sampleList, type SampleInfo } from '../../data/images';
import { startTraining } from './train-state';
import { Field } from '../../components/Field';
import { ImageDrop } from './ImageDrop';

function num(s: string): number {
  return s.trim() === '' ? NaN : Number(s);
}

/** The experiment form: data, architecture, population, training, backend. */
export function TrainForm() {
  const spec = useApp((s) => s.spec);
  const status = useApp((s) => s.run.status);
  const [samples, setSamples] = useState<SampleInfo[]>([]);
  useEffect(() => {
    void sampleList().then(setSamples);
  }, []);
  const src = spec.data.source;
  const sourceKey = src.kind === 'sample' ? `sample:${src.id}` : src.kind;
  const sine = spec.arch.activation === 'sine';
  const busy =
    status === 'training' || status === 'paused' || status === 'calibrating' || status === 'loading';
  return (
    <form
      className="panel form"
      aria-label="Experiment"
      onSubmit={(e) => {
        e.preventDefault();
        void startTraining();
      }}
    >
      <h2>Experiment</h2>
      <fieldset>
        <legend>Target image</legend>
        <label className="field">
          <span className="field-label">Source</span>
          <select
            value={sourceKey}
            data-testid="source"
            onChange={(e) => {
              const v = e.target.value;
              updateSpec((d) => {
                if (v.startsWith('sample:')) d.data.source = { kind: 'sample', id: v.slice(7) };
                else if (v === 'mnist') d.data.source = { kind: 'mnist', index: 0 };
              });
            }}
          >
            {samples.map((s) => (
              <option key={s.id} value={`sample:${s.id}`}>
                {s.label}
              </option>
            ))}
            <option value="mnist">MNIST digit</option>
            {src.kind === 'file' && <option value="file">{src.name} (dropped)</option>}
          </select>
        </label>
        {src.kind === 'mnist' && (
          <Field
            label="Digit index"
            value={String(src.index)}
            hint="0–9999"
            testId="mnist-index"
            commit={(v) => updateSpec((d) => (d.data.source = { kind: 'mnist', index: num(v) }))}
          />
        )}
        <Field
          label="Size (px)"
          value={String(spec.data.size)}
          hint="16–128, square"
          testId="size"
          commit={(v) => updateSpec((d) => (d.data.size = num(v)))}
        />
        <ImageDrop />
      </fieldset>
      <fieldset>
        <legend>Architecture</legend>
        <label className="field">
          <span className="field-label">Activation</span>
          <select
            value={spec.arch.activation}
            data-testid="activation"
            onChange={(e) =>
              updateSpec((d) => (d.arch.activation = e.target.value as ExperimentSpec['arch']['activation']))
            }
          >
            <option value="sine">SIREN (sine)</option>
            <option value="relu">ReLU + Fourier features</option>
            <option value="tanh">tanh + Fourier features</option>
            <option value="gelu">GELU + Fourier features</option>
          </select>
        </label>
        <Field
          label="Hidden widths"
          value={spec.arch.hidden.join(', ')}
          hint="1–5 layers of 8–256, e.g. 64, 64, 64"
          testId="hidden"
          commit={(v) =>
            updateSpec(
              (d) =>
                (d.arch.hidden = v
                  .split(/[\s,×x]+/)
                  .filter(Boolean)
                  .map(num)),
            )
          }
        />
        {sine ? (
          <Field
            label="w0"
            value={String(spec.arch.w0)}
            hint="SIREN frequency, 30 in the paper"
            testId="w0"
            commit={(v) => updateSpec((d) => (d.arch.w0 = num(v)))}
          />
        ) : (
          <>
            <Field
              label="Fourier features"
              value={String(spec.arch.fourierFeatures)}
              hint="random (sin, cos) features of the coordinates; 0 = none: a plain MLP on raw (row, col), which cannot fit fine detail"
              testId="fourier"
              commit={(v) => updateSpec((d) => (d.arch.fourierFeatures = num(v)))}
            />
            <Field
              label="Fourier σ"
              value={String(spec.arch.fourierSigma)}
              commit={(v) => updateSpec((d) => (d.arch.fourierSigma = num(v)))}
            />
          </>
        )}
      </fieldset>
      <fieldset>
        <legend>Population</legend>
        <Field
          label="Models"
          value={String(spec.population.size)}
          hint="1–64, trained together"
          testId="pop-size"
          commit={(v) => updateSpec((d) => (d.population.size = num(v)))}
        />
        <Field
          label="Seed"
          value={String(spec.population.seed)}
          testId="seed"
          commit={(v) => updateSpec((d) => (d.population.seed = num(v)))}
        />
        <label className="field">
          <span className="field-label">Init</span>
          <select
            value={spec.population.initMode}
            data-testid="init-mode"
            onChange={(e) =>
              updateSpec((d) => (d.population.initMode = e.target.value as 'independent' | 'shared'))
            }
          >
            <option value="independent">independent</option>
            <option value="shared">shared</option>
          </select>
          <span className="field-hint">
            {spec.population.initMode === 'shared'
              ? 'one initialisation for every model'
              : 'each model from its own seed'}
          </span>
        </label>
      </fieldset>
      <fieldset>
        <legend>Training</legend>
        <Field
          label="Steps"
          value={String(spec.training.steps)}
          testId="steps"
          commit={(v) => updateSpec((d) => (d.training.steps = num(v)))}
        />
        <Field
          label="Learning rate"
          value={String(spec.training.lr)}
          hint="Adam, full batch"
          testId="lr"
          commit={(v) => updateSpec((d) => (d.training.lr = num(v)))}
        />
        <label className="field">
          <span className="field-label">Backend</span>
          <select
            value={spec.backend}
            data-testid="backend"
            onChange={(e) => updateSpec((d) => (d.backend = e.target.value as ExperimentSpec['backend']))}
          >
            <option value="auto">auto (calibrate)</option>
            <option value="webgpu">webgpu</option>
            <option value="webgl">webgl</option>
            <option value="wasm">wasm</option>
            <option value="cpu">cpu</option>
          </select>
          <span className="field-hint">auto: time each, keep the fastest</span>
        </label>
      </fieldset>
      <button type="submit" className="primary" data-testid="train">
        {busy ? 'Restart training' : 'Train'}
      </button>
    </form>
  );
}
