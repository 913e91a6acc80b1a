/**
 * Models by identity on the app's side: the workspace entry a spec's model id names, and the
 * setters that write an entry's id (never its position) into the spec.
 */
import type { ExperimentSpec } from '../engine/experiment/schema';
import type { ModelEntry } from '../workers/protocol';
import { appStore, showBanner, updateSpec } from './store';

/** The workspace entry with this identity, if it is here. */
export function byRef(models: readonly ModelEntry[], ref: string | null | undefined): ModelEntry | undefined {
  return ref ? models.find((m) => m.ref === ref) : undefined;
}

/**
 * Writes the identity of workspace entry `entryId` into the spec through `put`. Says why in a
 * banner (and returns false) when the entry left or has no identity a link could carry.
 */
export function pickModel(
  entryId: string,
  what: string,
  put: (draft: ExperimentSpec, ref: string) => void,
): boolean {
  const entry = appStore.getState().models.find((m) => m.id === entryId);
  const err = !entry
    ? 'that model left the workspace'
    : !entry.ref
      ? `${entry.name} has no identity a link can carry`
      : updateSpec((d) => put(d, entry.ref!));
  if (err) showBanner('error', `${what} not changed: ${err}`);
  return !err;
}
