import { useRef } from 'react';

interface Props {
  label: string;
  accept?: string;
  multiple?: boolean;
  disabled?: boolean;
  /** The test id of the hidden `<input type=file>` (tests set files on it directly). */
  testId: string;
  onFiles(files: File[]): void;
}

/**
 * A real button that opens the file chooser: a hidden `<input type=file>` is not reachable with
 * Tab, and a `<label>` around it is not a control, so keyboard users could not pick a file.
 */
export function FilePickButton({ label, accept, multiple, disabled, testId, onFiles }: Props) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button
        type="button"
        className="button-like"
        disabled={disabled}
        data-testid={`${testId}-button`}
        onClick={() => input.current?.click()}
      >
        {label}
      </button>
      <input
        ref={input}
        hidden
        type="file"
        tabIndex={-1}
        accept={accept}
        multiple={multiple}
        disabled={disabled}
        data-testid={testId}
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          e.target.value = '';
          if (files.length > 0) onFiles(files);
        }}
      />
    </>
  );
}
