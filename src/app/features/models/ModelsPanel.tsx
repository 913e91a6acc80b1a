import { Fragment, useState } from 'react';
import type { ExportFormat } from '../../../engine/checkpoints/snippet';
import { describeArch } from '../../../engine/model';
import type { ModelEntry } from '../../../workers/protocol';
import { downloadModel, importFiles, removeModel, renameModel } from './models-state';
import { showBanner, useApp } from '../../store';
import { TorchSnippet } from './TorchSnippet';
import { FilePickButton } from '../../components/FilePickButton';

/** PSNR of an INR or accuracy of a classifier, as the table shows it. */
function quality(m: ModelEntry): string {
  if (m.psnr !== undefined) return `${m.psnr.toFixed(2)} dB`;
  if (m.accuracy !== undefined) return `${(100 * m.accuracy).toFixed(1)}% accuracy`;
  return '—';
}

/** The name cell: click Rename to edit; Enter or leaving the field commits, Esc cancels. */
function NameCell({ m }: { m: ModelEntry }) {
  const [draft, setDraft] = useState<string | null>(null);
  if (draft === null)
    return (
      <td title={[m.note, m.ref ? `link id: ${m.ref}` : 'no link id'].filter(Boolean).join('\n')}>
        {m.name}{' '}
        <button className="link-button" aria-label={`Rename ${m.name}`} onClick={() => setDraft(m.name)}>
          rename
        </button>
      </td>
    );
  const commit = () => {
    const err = renameModel(m.id, draft);
    if (err) showBanner('error', `not renamed: ${err}`);
    setDraft(null);
  };
  return (
    <td>
      <input
        autoFocus
        aria-label="New name"
        data-testid="rename-input"
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
          if (e.key === 'Escape') setDraft(null);
        }}
      />
    </td>
  );
}

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
        // A window too narrow for every column scrolls the table inside the panel, not the page.
        <div className="table-scroll">
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
                <th>
                  <span className="visually-hidden">remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {models.map((m) => (
                <Fragment key={m.id}>
                  <tr data-model-id={m.id}>
                    <NameCell m={m} />
                    {/* "SIREN 2→32×3→1" stays whole; "(w0=30)" or "+ RFF 64" may go to a second line. */}
                    <td className="arch">{describeArch(m.arch).replace(' ', '\u00a0')}</td>
                    <td className="nowrap num">{m.params.toLocaleString()}</td>
                    <td>{m.source}</td>
                    <td className="num" data-testid="model-quality" title={m.note}>
                      {quality(m)}
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
                    <td>
                      <button aria-label={`Remove ${m.name}`} onClick={() => void removeModel(m.id)}>
                        Remove
                      </button>
                    </td>
                  </tr>
                  {snippetFor === m.id && (
                    <tr className="snippet-row">
                      <td colSpan={7}>
                        <TorchSnippet model={m} onClose={() => setSnippetFor(null)} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
