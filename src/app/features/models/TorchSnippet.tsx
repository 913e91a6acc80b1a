import { useState } from 'react';
import { downloadStem, torchSnippet, type ExportFormat } from '../../../engine/checkpoints/snippet';
import type { ModelEntry } from '../../../workers/protocol';

const FORMATS: { id: ExportFormat; label: string }[] = [
  { id: 'pt', label: '.pt' },
  { id: 'safetensors', label: 'safetensors' },
  { id: 'npz', label: '.npz' },
];

/**
 * Python that loads a model's download into a matching torch.nn.Sequential (strict=True), for
 * the format picked; a Copy button puts it on the clipboard.
 */
export function TorchSnippet({ model, onClose }: { model: ModelEntry; onClose: () => void }) {
  const [format, setFormat] = useState<ExportFormat>('pt');
  const [copied, setCopied] = useState(false);
  const file = `${downloadStem(model.name)}.${format}`;
  const code = torchSnippet(model.arch, file, format, model.layout);
  const names = model.layout ? 'the names, layout and dtype of the file it came from' : 'nn.Sequential names';
  return (
    <div className="torch-snippet" data-testid="torch-snippet-panel">
      <div className="torch-snippet-head">
        <strong>Load {model.name} in PyTorch</strong>
        <span className="hint">
          The download keeps {names}; this builds the matching <code>nn.Sequential</code> and loads it with{' '}
          <code>strict=True</code>.
        </span>
      </div>
      <div className="torch-snippet-tools">
        <label>
          file{' '}
          <select value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)}>
            {FORMATS.map((f) => (
              <option key={f.id} value={f.id}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
        <button
          onClick={() =>
            void navigator.clipboard.writeText(code).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button onClick={onClose}>Close</button>
      </div>
      <textarea
        readOnly
        spellCheck={false}
        data-testid="torch-snippet"
        value={code}
        rows={Math.min(30, code.split('\n').length)}
        onFocus={(e) => e.currentTarget.select()}
      />
    </div>
  );
}
