import { describeArch } from '../../engine/model';
import { downloadModel, importFiles } from '../models';
import { showBanner, useApp } from '../store';

/** The workspace: every model the worker holds, with provenance, quality and downloads. */
export function ModelsPanel() {
  const models = useApp((s) => s.models);
  const download = (id: string, format: 'safetensors' | 'npz') =>
    void downloadModel(id, format).catch((e: unknown) => showBanner('error', `download failed: ${e instanceof Error ? e.message : String(e)}`));
  return (
    <section className="panel" aria-label="Models">
      <div className="panel-head">
        <h2>Models ({models.length})</h2>
        <label className="button-like">
          Add checkpoint…
          <input
            type="file"
            multiple
            hidden
            data-testid="checkpoint-input"
            onChange={(e) => {
              const files = Array.from(e.target.files ?? []);
              e.target.value = '';
              void importFiles(files);
            }}
          />
        </label>
      </div>
      <p className="hint">
        Drop PyTorch (.pt/.pth), safetensors (with a sharded index), NumPy (.npy/.npz), TensorFlow.js (model.json with its shards) or JSON weights anywhere on the page.
      </p>
      {models.length === 0 ? (
        <p className="hint">No models yet: train a population or drop a checkpoint.</p>
      ) : (
        <table className="models" data-testid="models-table">
          <thead>
            <tr>
              <th>name</th>
              <th>architecture</th>
              <th>parameters</th>
              <th>source</th>
              <th>PSNR (dB)</th>
              <th>download</th>
            </tr>
          </thead>
          <tbody>
            {models.map((m) => (
              <tr key={m.id} data-model-id={m.id}>
                <td title={m.note}>{m.name}</td>
                <td>{describeArch(m.arch)}</td>
                <td>{m.params.toLocaleString()}</td>
                <td>{m.source}</td>
                <td>{m.psnr !== undefined ? m.psnr.toFixed(2) : '—'}</td>
                <td className="actions">
                  <button onClick={() => download(m.id, 'safetensors')}>safetensors</button>
                  <button onClick={() => download(m.id, 'npz')}>.npz</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
