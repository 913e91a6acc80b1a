/**
 * The experiment in the URL: Share writes `#x=…` (and copies it), opening a link replays it, and
 * back/forward move between experiments. A bad link shows why in a banner and changes nothing. A
 * link whose work is above the threshold shows what it will run and waits for a yes.
 */
import {
  LINK_COST_THRESHOLD_GFLOP,
  encodeExperiment,
  experimentTrainingHash,
  formatModelId,
  leafIds,
  modelsUsedByView,
  needsTraining,
  parseModelId,
  readHash,
  replayCost,
  sameSchedule,
  type ExperimentSpec,
  type FileModel,
  type TrainedOn,
} from '../engine/experiment';
import type { ModelEntry } from '../workers/protocol';
import { appStore, showBanner } from './store';
import { byRef } from './model-refs';
import { fileAnswers } from './features/models/models-state';
import { cancelPendingReplay, replayLink } from './replay';

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

/**
 * The engine schedule of the population members the view uses (docs: README, "Sharing"), so the
 * receiver trains on the same paths: the members named by the view (the workspace entry each id
 * resolves to), or the latest run's on the Train tab. A view that uses no member carries none; a
 * link replayed here but not trained yet passes its own on. `mixed`: the members came from runs on
 * different paths (the first one's is carried).
 */
export function trainedOnForLink(
  spec: ExperimentSpec,
  models: readonly ModelEntry[],
): { trainedOn: TrainedOn; mixed: boolean } {
  const none = { trainedOn: { population: null, schedule: [] }, mixed: false };
  const hash = experimentTrainingHash(spec);
  if (!needsTraining(spec, hash)) return none;
  const own = (ref: string | undefined) => ref?.startsWith(`member:${hash}/`) ?? false;
  const used =
    spec.views.tab === 'train'
      ? models.filter((m) => own(m.ref)).slice(-spec.population.size)
      : modelsUsedByView(spec)
          .flatMap((text) => leafIds(parseModelId(text)))
          .map((l) => formatModelId(l))
          .filter(own)
          .map((ref) => byRef(models, ref))
          .filter((m): m is ModelEntry => m !== undefined);
  const schedules = used.flatMap((m) => (m.trainedOn ? [m.trainedOn] : []));
  if (schedules.length === 0)
    return spec.trainedOn.population === hash ? { trainedOn: spec.trainedOn, mixed: false } : none;
  return {
    trainedOn: { population: hash, schedule: schedules[0]! },
    mixed: schedules.some((s) => !sameSchedule(s, schedules[0]!)),
  };
}

/**
 * The spec as a link carries it: `files` lists exactly the dropped checkpoints the shown view
 * uses, each with the answers its file cannot carry, and `trainedOn` the engine schedule of the
 * members it uses. Also returns the models that the link will not be able to rebuild (members of
 * a population trained with other settings than the form's).
 */
export function specForLink(spec: ExperimentSpec): { spec: ExperimentSpec; stale: string[]; mixed: boolean } {
  const files: FileModel[] = [];
  const stale: string[] = [];
  const hash = experimentTrainingHash(spec);
  const names = new Map(appStore.getState().models.map((m) => [m.ref, m.name]));
  for (const text of modelsUsedByView(spec)) {
    for (const leaf of leafIds(parseModelId(text))) {
      if (leaf.kind === 'file' && !files.some((f) => f.sha256 === leaf.sha256)) {
        const known = fileAnswers.get(leaf.sha256) ?? spec.files.find((f) => f.sha256 === leaf.sha256);
        if (known) files.push(known);
      }
      if (leaf.kind === 'member' && leaf.experiment !== hash) stale.push(names.get(text) ?? text);
    }
  }
  const { trainedOn, mixed } = trainedOnForLink(spec, appStore.getState().models);
  return { spec: { ...spec, files, trainedOn }, stale, mixed };
}

/** Encodes the current experiment, pushes it to history and copies it. Returns the URL. */
export async function shareNow(): Promise<string> {
  const { spec, stale, mixed } = specForLink(appStore.getState().spec);
  const hash = encodeExperiment(spec);
  const url = `${location.origin}${location.pathname}${hash}`;
  lastApplied = hash;
  if (location.hash !== hash) history.pushState(null, '', hash);
  appStore.setState({ shareUrl: url });
  if (stale.length > 0)
    showBanner(
      'info',
      `The link names ${stale.join(', ')}, trained with settings other than the Train form now shows; a receiver will be told it cannot be re-trained. Train again with these settings to share it.`,
    );
  if (mixed)
    showBanner(
      'info',
      "The link's members come from training runs on different engine paths; it names the paths of the first run, so a receiver may get other numbers for the rest. Remove the older members or train again to share one run.",
    );
  try {
    await navigator.clipboard.writeText(url);
  } catch {
    // Clipboard needs focus and permission; the URL is shown for copying by hand anyway.
  }
  return url;
}

/** Files other than checkpoints that the experiment uses and a link cannot carry. */
export function otherFilesToDrop(spec: ExperimentSpec): string[] {
  const out: string[] = [];
  if (spec.data.source.kind === 'file' && needsTraining(spec, experimentTrainingHash(spec)))
    out.push(`${spec.data.source.name} (image, SHA-256 ${spec.data.source.sha256.slice(0, 12)}…)`);
  if (spec.data.score?.kind === 'file')
    out.push(`${spec.data.score.name} (dataset, SHA-256 ${spec.data.score.sha256.slice(0, 12)}…)`);
  return out;
}

let lastApplied: string | null = null;

/**
 * Applies the URL's experiment, if any, and replays its view. Returns false when the URL holds
 * none (or a bad one), so the caller runs the default experiment. Work above the threshold waits
 * for the person's yes (pendingLink).
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
  lastApplied = hash;
  cancelPendingReplay();
  const spec = content.spec;
  for (const f of spec.files) if (f.activation !== undefined) fileAnswers.set(f.sha256, f);
  appStore.setState({ spec, pendingLink: null, banner: null });
  if (content.notes.length > 0)
    showBanner('info', `This link was made by an older Weightscope. ${content.notes.join('. ')}.`);
  const others = otherFilesToDrop(spec);
  if (others.length > 0)
    showBanner('info', `This experiment also uses files that cannot travel in a link: ${others.join('; ')}.`);
  const cost = replayCost(spec, needsTraining(spec, experimentTrainingHash(spec)));
  const go = () => void replayLink(appStore.getState().spec, replayView);
  if (cost.gflop > LINK_COST_THRESHOLD_GFLOP) {
    appStore.setState({ pendingLink: { lines: cost.lines, gflop: cost.gflop, run: go } });
    return true;
  }
  await replayLink(spec, replayView);
  return true;
}

/** Back/forward between experiments, and a link pasted into the address bar of an open page. */
export function watchHistory(): () => void {
  const onChange = () => {
    if (location.hash === lastApplied) return;
    void applyHash(location.hash);
  };
  window.addEventListener('popstate', onChange);
  window.addEventListener('hashchange', onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener('hashchange', onChange);
  };
}
