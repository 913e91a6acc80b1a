/**
 * The one error class of the experiment boundary (URL hash, stored specs). Every way a shared link
 * can be wrong ends here, with a stable `reason` code the UI and tests can switch on and a message
 * a person can act on; nothing past the boundary re-checks (docs/ARCHITECTURE.md, "Shareable experiments").
 */

/** Why an experiment was rejected. Stable codes: tests and the hostile-link fixtures name them. */
export type ExperimentErrorReason =
  /** The hash holds no `#x=` experiment at all. */
  | 'not-experiment'
  /** The encoded text is over the length cap. */
  | 'too-long'
  /** Characters outside base64url, an impossible length, or an empty payload. */
  | 'bad-base64'
  /** The bytes are not a raw DEFLATE stream (corrupt or truncated). */
  | 'bad-deflate'
  /** Inflating would exceed the size cap (a deflate bomb, or just too much). */
  | 'too-large'
  /** Nesting, array lengths or key counts beyond anything a real spec needs. */
  | 'too-complex'
  /** Not UTF-8 text, or not JSON. */
  | 'bad-json'
  /** Missing, malformed or unsupported `version` (including a newer one). */
  | 'bad-version'
  /** A field has the wrong type or is out of range. */
  | 'invalid'
  /** A `__proto__`, `constructor` or `prototype` key: a prototype-pollution attempt. */
  | 'pollution';

/** Raised for every rejected experiment, never a raw TypeError or SyntaxError. */
export class ExperimentError extends Error {
  override readonly name = 'ExperimentError';
  /** Machine-readable cause. */
  readonly reason: ExperimentErrorReason;
  /** Every problem found (the message shows the first and counts the rest). */
  readonly details: readonly string[];

  constructor(reason: ExperimentErrorReason, message: string, details: readonly string[] = [message]) {
    super(message);
    this.reason = reason;
    this.details = details;
  }
}

/** Type guard, usable on `catch (e: unknown)`. */
export function isExperimentError(e: unknown): e is ExperimentError {
  return e instanceof ExperimentError;
}
