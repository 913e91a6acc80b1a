/**
 * The Landscape panel's state and actions: the loss plane through three anchor models. Anchors,
 * resolution and margin live in the experiment spec (anchors as indices into the workspace's
 * models); the last plane and the loss/PSNR toggle are local to the page.
 */
import { createStore, useStore } from 'zustand';
import { archKey } from '../../../engine/model';
import { targetTransferables, type ModelEntry, type PlaneReply } from '../../../workers/protocol';
import { cancelJob, idleJob, runJob, type JobState } from '../../jobs';
import { resolveScore, scoreChoice } from '../../data/score';
import { appStore, showBanner, updateSpec } from '../../store';
import { byRef, pickModel } from '../../model-refs';

export interface PlaneResult extends PlaneReply {
  names: [string, string, string];
  targetId: string;
  /** Scored on a classification batch: loss is cross-entropy, metric accuracy. */
  classification: boolean;
  scoreLabel: string;
}

export interface LandscapeState {
  plane: PlaneResult | null;
  /** Colour by the metric (PSNR or accuracy) instead of the loss. */
  showPsnr: boolean;
  job: JobState;
}

export const landscapeStore = createStore<LandscapeState>(() => ({
  plane: null,
  showPsnr: false,
  job: idleJob(),
}));

export function useLandscape<T>(selector: (s: LandscapeState) => T): T {
  return useStore(landscapeStore, selector);
}

/** Why no plane can be drawn at all (no architecture has 3 models), or null. */
export function landscapeUnavailable(models: ModelEntry[]): string | null {
  const counts = new Map<string, number>();
  for (const m of models) counts.set(archKey(m.arch), (counts.get(archKey(m.arch)) ?? 0) + 1);
  return [...counts.values()].some((n) => n >= 3) ? null : 'needs 3 models of one architecture';
}

/** Why the chosen anchors cannot span a plane, or null. */
export function anchorsProblem(models: ModelEntry[], anchors: readonly (string | null)[]): string | null {
  const chosen = anchors.map((r) => byRef(models, r));
  if (chosen.some((m) => !m)) return 'an anchor is not in the workspace';
  if (new Set(anchors).size < 3) return 'pick three different models';
  const arch = new Set(chosen.map((m) => archKey(m!.arch)));
  if (arch.size > 1) return 'the anchors must share one architecture';
  return null;
}

/** Sets anchor slot 0, 1 or 2 to a workspace entry (by its identity in the spec). */
export function setAnchor(slot: 0 | 1 | 2, entryId: string): void {
  pickModel(entryId, 'anchor', (d, ref) => (d.views.landscape.anchors[slot] = ref));
}

/** Commits resolution or margin; returns the reason a draft is rejected. */
export function setPlaneSetting(key: 'resolution' | 'margin', value: number): string | null {
  return updateSpec((d) => (d.views.landscape[key] = value));
}

/**
 * Evaluates the loss plane through the spec's three anchors on the first anchor's "Score on"
 * data. Reads only the stores, so a shared link can replay it.
 */
export async function runLandscape(): Promise<void> {
  const { spec, models, datasets } = appStore.getState();
  const { anchors, resolution, margin } = spec.views.landscape;
  const choice = scoreChoice(byRef(models, anchors[0]), spec, datasets);
  const problem = landscapeUnavailable(models) ?? anchorsProblem(models, anchors) ?? choice.problem;
  if (problem) {
    showBanner(
      'error',
      `The loss plane ${problem.startsWith('needs') ? problem : `cannot be drawn: ${problem}`}.`,
    );
    return;
  }
  const chosen = anchors.map((r) => byRef(models, r)!);
  const score = choice.chosen!;
  await runJob(
    landscapeStore,
    (msg) => `The loss plane could not be computed: ${msg}. Nothing changed.`,
    async (run) => {
      const target = await run.step(resolveScore(score));
      const plane = await run.call(
        'plane',
        { anchorIds: [chosen[0]!.id, chosen[1]!.id, chosen[2]!.id], target, resolution, margin },
        { transfer: targetTransferables(target) },
      );
      landscapeStore.setState({
        plane: {
          ...plane,
          names: [chosen[0]!.name, chosen[1]!.name, chosen[2]!.name],
          targetId: target.id,
          classification: target.kind === 'classification',
          scoreLabel: score.label,
        },
      });
    },
  );
}

/** Cancels the running plane; the worker stops at its next batch. */
export function cancelLandscape(): void {
  cancelJob(landscapeStore);
}
