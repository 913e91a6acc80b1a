/**
 * The experiment in the URL: Share writes `#x=…` (and copies it), opening a link replays it, and
 * back/forward move between experiments. A bad link shows why in a banner and changes nothing.
 */
import { encodeExperiment, readHash } from '../engine/experiment';
import type { ExperimentSpec } from '../engine/experiment/schema';
import { appStore, showBanner, updateSpec } from './store';
import { startTraining } from './features/train/train-state';

/** Actions run after a replayed experiment's training, per view (registered by the panels). */
const replays = new Map<ExperimentSpec['views']['tab'], () => Promise<unknown> | unknown>();

export function registerReplay(
  tab: ExperimentSpec['views']['tab'],
  run: () => Promise<unknown> | unknown,
): void {
  replays.set(tab, run);
}

/** Runs the view's analysis for the current spec (what a shared link asks to see). */
export async function replayView(): Promise<void> {
  const run = replays.get(appStore.getState().spec.views.tab);
  if (run) await run();
}

/** Encodes the current experiment, pushes it to history and copies it. Returns the URL. */
export async function shareNow(): Promise<string> {
  const hash = encodeExperiment(appStore.getState().spec);
  const url = `${location.origin}${location.pathname}${hash}`;
  if (location.hash !== hash) history.pushState(null, '', hash);
  appStore.setState({ shareUrl: url });
  try {
    await navigator.clipboard.writeText(url);
  } catch {
    // Clipboard needs focus and permission; the URL is shown for copying by hand anyway.
  }
  return url;
}

/** Files the experiment uses that cannot travel in a link: the receiver must drop them. */
export function filesToDrop(spec: ExperimentSpec): string[] {
  const out: string[] = [];
  if (spec.data.source.kind === 'file')
    out.push(`${spec.data.source.name} (image, SHA-256 ${spec.data.source.sha256.slice(0, 12)}…)`);
  if (spec.data.score?.kind === 'file')
    out.push(`${spec.data.score.name} (dataset, SHA-256 ${spec.data.score.sha256.slice(0, 12)}…)`);
  for (const m of spec.models)
    if (m.kind === 'file') out.push(`${m.name} (checkpoint, SHA-256 ${m.sha256.slice(0, 12)}…)`);
  return out;
}

/**
 * Applies the URL's experiment, if any, and runs it. Returns false when the URL holds none (or a
 * bad one), so the caller runs the default experiment.
 */
export async function applyHash(hash: string): Promise<boolean> {
  const content = readHash(hash);
  if (content.kind === 'none') return false;
  if (content.kind === 'error') {
    showBanner(
      'error',
      `This link could not be opened: ${content.error.message}. The current experiment is unchanged.`,
    );
    return false;
  }
  const err = updateSpec((d) => Object.assign(d, content.spec));
  if (err) {
    showBanner('error', `This link could not be opened: ${err}. The current experiment is unchanged.`);
    return false;
  }
  const missing = filesToDrop(content.spec);
  if (missing.length > 0)
    showBanner(
      'info',
      `This experiment uses files that cannot travel in a link. Drop them on the page: ${missing.join('; ')}.`,
    );
  await startTraining();
  await replayView();
  return true;
}

/** Back/forward between experiments a person shared or opened. */
export function watchHistory(): () => void {
  const onPop = () => {
    void applyHash(location.hash).then((applied) => {
      if (!applied && readHash(location.hash).kind === 'none') {
        // Back to the page without a link: leave the current experiment as it is.
      }
    });
  };
  window.addEventListener('popstate', onPop);
  return () => window.removeEventListener('popstate', onPop);
}
