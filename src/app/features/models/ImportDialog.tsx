import { useRef, useState } from 'react';
import { useDialogFocus } from '../../components/useDialogFocus';
import type { Activation } from '../../../engine/model';
import { currentTargetId } from '../../data/targets';
import { cancelImport, confirmImport } from './models-state';
import { useApp } from '../../store';

/**
 * What a dropped checkpoint holds (tensors, the inferred MLP) and what the file cannot say
 * (activation, w0, output offset), prefilled from its metadata; the person confirms.
 */
export function ImportDialog() {
  const info = useApp((s) => s.pendingImport);
  const [activation, setActivation] = useState<Activation | null>(null);
  const [w0, setW0] = useState<string | null>(null);
  const [offset, setOffset] = useState<string | null>(null);
  const [scoreOnTarget, setScoreOnTarget] = useState(true);
  const root = useRef<HTMLDivElement>(null);
  useDialogFocus(root, info !== null, () => {
    if (info) cancelImport(info);
    setActivation(null);
    setW0(null);
    setOffset(null);
  });
  if (!info) return null;
  const act = activation ?? info.suggested.activation ?? 'relu';
  const w0Text = w0 ?? String(info.suggested.w0 ?? 30);
  const offsetText = offset ?? String(info.suggested.outputOffset ?? 0);
  const w0Value = Number(w0Text);
  const offsetValue = Number(offsetText);
  const valid = Number.isFinite(w0Value) && w0Value > 0 && Number.isFinite(offsetValue);
  const widths = info.architecture.widths;
  const isInr = widths[0] === 2;
  const name = info.files[0]!.replace(/\.(safetensors|pt|pth|npz|npy|json|bin)$/i, '');
  const close = () => {
    cancelImport(info);
    setActivation(null);
    setW0(null);
    setOffset(null);
  };
  return (
    <div className="dialog-backdrop" role="dialog" aria-modal="true" aria-label="Add checkpoint" ref={root}>
      <div className="dialog panel" data-testid="import-dialog">
        <h2>Add {info.files.join(' + ')}</h2>
        <p className="hint">
          {info.format} · MLP {widths.join(' → ')} · {info.tensors.length} tensors
          {info.provenance && <> · made by Weightscope</>}
        </p>
        <div className="dialog-body">
          <table className="models tensors">
            <thead>
              <tr>
                <th>tensor</th>
                <th>dtype</th>
                <th>shape</th>
                <th>layer</th>
              </tr>
            </thead>
            <tbody>
              {info.tensors.map((t) => {
                const layer = info.architecture.layers.findIndex(
                  (l) => l.weight === t.name || l.bias === t.name,
                );
                const role =
                  layer < 0
                    ? 'encoding'
                    : `${layer} ${info.architecture.layers[layer]!.weight === t.name ? 'weight' : 'bias'}${info.architecture.transposed[layer] && info.architecture.layers[layer]!.weight === t.name ? ' ([in,out] → transposed)' : ''}`;
                return (
                  <tr key={t.name}>
                    <td>{t.name}</td>
                    <td>{t.dtype}</td>
                    <td>[{t.shape.join(', ')}]</td>
                    <td>{role}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <div>
            <label className="field">
              <span className="field-label">Activation</span>
              <select
                value={act}
                data-testid="import-activation"
                onChange={(e) => setActivation(e.target.value as Activation)}
              >
                <option value="relu">ReLU</option>
                <option value="sine">sine (SIREN)</option>
                <option value="tanh">tanh</option>
                <option value="gelu">GELU</option>
              </select>
              <span className="field-hint">
                {info.suggested.activation
                  ? 'from the file’s metadata'
                  : 'the file does not say: please confirm'}
              </span>
            </label>
            {act === 'sine' && (
              <label className="field">
                <span className="field-label">w0</span>
                <input value={w0Text} onChange={(e) => setW0(e.target.value)} />
              </label>
            )}
            <label className="field">
              <span className="field-label">Output offset</span>
              <input value={offsetText} onChange={(e) => setOffset(e.target.value)} />
              <span className="field-hint">added to the last layer (e.g. 0.5)</span>
            </label>
            {isInr && (
              <label className="field">
                <span className="field-label">Score on</span>
                <span>
                  <input
                    type="checkbox"
                    checked={scoreOnTarget}
                    onChange={(e) => setScoreOnTarget(e.target.checked)}
                  />{' '}
                  the current target image
                </span>
              </label>
            )}
            {!isInr && (
              <p className="hint">
                {widths[0] === 784 && widths[widths.length - 1] === 10
                  ? 'A 784 → 10 classifier: Paths, Align and Landscape score it on MNIST digits (or on a dataset .npz you drop).'
                  : `A classifier? Drop a dataset .npz with x (N × ${widths[0]}) and y (labels 0–${widths[widths.length - 1]! - 1}) to score it.`}
              </p>
            )}
            {!valid && <p className="error-text">w0 must be a positive number and the offset a number.</p>}
          </div>
        </div>
        <div className="dialog-actions">
          <button onClick={close}>Cancel</button>
          <button
            className="primary inline"
            data-testid="import-confirm"
            disabled={!valid}
            onClick={() => {
              void confirmImport(info, {
                name,
                activation: act,
                w0: w0Value,
                outputOffset: offsetValue,
                targetId: isInr && scoreOnTarget ? currentTargetId() : null,
              });
              setActivation(null);
              setW0(null);
              setOffset(null);
            }}
          >
            Add to workspace
          </button>
        </div>
      </div>
    </div>
  );
}
