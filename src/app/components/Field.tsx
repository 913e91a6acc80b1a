import { useEffect, useState, type ReactNode } from 'react';

export interface FieldProps {
  label: string;
  value: string;
  /** Returns an error message for a draft value, or null and applies it. */
  commit: (draft: string) => string | null;
  hint?: ReactNode;
  testId?: string;
  width?: string;
}

/**
 * A text input that keeps the person's draft while it is invalid and says why, instead of
 * silently snapping back; valid drafts are committed at once.
 */
export function Field({ label, value, commit, hint, testId, width }: FieldProps) {
  const [draft, setDraft] = useState(value);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setDraft(value);
    setError(null);
  }, [value]);
  return (
    <label className={`field${error ? ' invalid' : ''}`}>
      <span className="field-label">{label}</span>
      <input
        value={draft}
        data-testid={testId}
        style={width ? { width } : undefined}
        aria-invalid={error !== null}
        onChange={(e) => {
          setDraft(e.target.value);
          setError(commit(e.target.value));
        }}
      />
      {error ? (
        <span className="field-error" role="alert">
          {error}
        </span>
      ) : hint ? (
        <span className="field-hint">{hint}</span>
      ) : null}
    </label>
  );
}
