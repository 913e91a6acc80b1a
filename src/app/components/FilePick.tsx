import { importFiles } from '../features/models/models-state';

/** A button that picks files (several at once) and imports them as a drop on the page would. */
export function FilePick({ label, testId }: { label: string; testId: string }) {
  return (
    <label className="button-like">
      {label}
      <input
        type="file"
        multiple
        hidden
        data-testid={testId}
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          e.target.value = '';
          void importFiles(files);
        }}
      />
    </label>
  );
}
