import { Fragment, useState } from 'react';
import type { ExportFormat } from '../../../engine/checkpoints/snippet';
import { describeArch } from '../../../engine/model';
import { downloadModel, importFiles } from './models-state';
import { showBanner, useApp } from '../../store';
import { TorchSnippet } from './TorchSnippet';
import { FilePickButton } from '../../components/FilePickButton';

/** The workspace: every model the worker holds, with provenance, quality and downloads. */
export function ModelsPanel() {
  const models = useApp((s) => s.models);
  const datasets = useApp((s) => s.datasets);
  const [snippetFor, setSnippetFor] = useState<string | null>(null);
  const download = (id: string, format: ExportFormat) =>
    void downloadModel(id, format).catch((e: unknown) =>
      showBanner('error', `download failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  return (
    <section className="panel" aria-label="Models">
      <div className="panel-head">
        <h2>Models ({models.length})</h2>
        <FilePickButton
          label="Add checkpoint…"
          multiple
          testId="checkpoint-input"
          onFiles={(files) => void importFiles(files)}
        />
      </div>
      <p className="hint">
        Drop PyTorch (.pt/.pth), safetensors (with a sharded index), NumPy (.npy/.npz), TensorFlow.js
        (model.json with its shards) or JSON weights anywhere on the page. Classifiers with 784 inputs and 10
        outputs are scored on MNIST digits; for any other classifier, drop a dataset .npz with arrays x (N ×
        inputs, float) and y (N integer labels).
      </p>
      {datasets.length > 0 && (
        <p className="hint" data-testid="datasets">
          Datasets:{' '}
          {datasets
            .map((d) => `${d.name} (${d.n.toLocaleString('en-US')} × ${d.inputs}, ${d.classes} classes)`)
            .join('; ')}
        </p>
      )}
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
              <th title="PSNR (dB) of an INR on its image; accuracy of a classifier on the data its note names">
                quality
              </th>
              <th>download</th>
            </tr>
          </thead>
          <tbody>
            {models.map((m) => (
              <Fragment key={m.id}>
                <tr data-model-id={m.id}>
                  <td title={m.note}>{m.name}</td>
                  <td>{describeArch(m.arch)}</td>
                  <td>{m.params.toLocaleString()}</td>
                  <td>{m.source}</td>
                  <td>
                    {m.psnr !== undefined
                      ? `${m.psnr.toFixed(2)} dB`
                      : m.accuracy !== undefined
                        ? `${(100 * m.accuracy).toFixed(1)}% accuracy`
                        : '—'}
                  </td>
                  <td className="actions">
                    <button
                      onClick={() => download(m.id, 'pt')}
                      title="PyTorch state_dict (torch.load(f, weights_only=True))"
                    >
                      .pt
                    </button>
                    <button onClick={() => download(m.id, 'safetensors')}>safetensors</button>
                    <button onClick={() => download(m.id, 'npz')}>.npz</button>
                    <button
                      aria-expanded={snippetFor === m.id}
                      title="Python that loads this download into a matching torch.nn.Sequential"
                      onClick={() => setSnippetFor(snippetFor === m.id ? null : m.id)}
                    >
                      Python
                    </button>
                  </td>
                </tr>
                {snippetFor === m.id && (
                  <tr className="snippet-row">
                    <td colSpan={6}>
                      <TorchSnippet model={m} onClose={() => setSnippetFor(null)} />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
