/**
 * The Paths panel's state and actions. The shared settings (endpoints as model indices, path
 * kinds, points, curve steps and seed) live in the experiment spec; the last curves, the α slider
 * and its live reconstruction are local to the page.
 */
import { createStore, useStore } from 'zustand';
import type { PathKind } from '../../../engine/experiment/schema';
import {
  targetTransferables,
  type ImageTarget,
  type ModelEntry,
  type PathCurveReply,
} from '../../../workers/protocol';
import { ask } from '../../engine-client';
import { cancelJob, idleJob, runJob, type JobState } from '../../jobs';
import { resolveScore, resolveTrainScore, scoreChoice, type ScoreOption } from '../../data/score';
import { appStore, dismissBanners, showBanner, updateSpec } from '../../store';
import { byRef, pickModel } from '../../model-refs';

export const KIND_LABELS: Record<PathKind, string> = {
  lerp: 'lerp',
  'lerp-aligned': 'lerp after alignment',
  'lerp-repair': 'lerp after alignment + REPAIR',
  slerp: 'slerp',
  bezier: 'Bezier curve',
  polychain: 'polychain',
};

/** Frames in each path's filmstrip. */
export const FILMSTRIP = 9;

export interface PathsResult {
  /** Counts finished runs, so a reader can tell a new result from the last one. */
  seq: number;
  aId: string;
  bId: string;
  aName: string;
  bName: string;
  /** What the curves were scored on (held out, when `trainLabel` is set). */
  score: ScoreOption;
  /** What each curve's `train` was scored on (and Bezier/polychain curves trained on), or null. */
  trainLabel: string | null;
  /** The target image for INRs (the filmstrip's size, reused by the α slider); null for classifiers. */
  image: ImageTarget | null;
  curves: PathCurveReply[];
}

export interface RenderView {
  kind: PathKind;
  alpha: number;
  image: Float32Array;
  loss: number;
  metric: number;
}

export interface PathsState {
  job: JobState;
  result: PathsResult | null;
  /** Which number the chart plots: the loss (MSE or cross-entropy) or the metric (PSNR or accuracy). */
  view: 'loss' | 'psnr';
  alpha: number;
  renderKind: PathKind | null;
  render: RenderView | null;
}

export const pathsStore = createStore<PathsState>(() => ({
  job: idleJob(),
  result: null,
  view: 'loss',
  alpha: 0.5,
  renderKind: null,
  render: null,
}));

export function usePaths<T>(selector: (s: PathsState) => T): T {
  return useStore(pathsStore, selector);
}

/** Why Run is disabled, or null. Architecture mismatches are left to the worker, whose error names the layer. */
export function pathsBlocked(
  models: ModelEntry[],
  a: string | null,
  b: string | null,
  kinds: PathKind[],
  scoreProblem: string | null = null,
): string | null {
  if (models.length === 0) return 'needs models in the workspace';
  if (!byRef(models, a) || !byRef(models, b)) return 'pick both endpoints';
  if (kinds.length === 0) return 'tick at least one path kind';
  return scoreProblem;
}

export function setEndpoint(which: 'a' | 'b', id: string): void {
  pickModel(id, 'endpoint', (d, ref) => (d.paths[which] = ref));
}

export function toggleKind(kind: PathKind, on: boolean): void {
  updateSpec((d) => {
    const set = new Set(d.paths.kinds);
    if (on) set.add(kind);
    else set.delete(kind);
    d.paths.kinds = (Object.keys(KIND_LABELS) as PathKind[]).filter((k) => set.has(k));
  });
}

let finished = 0;

/**
 * Evaluates every ticked path kind between the spec's endpoints on A's "Score on" data (A's
 * target image, MNIST, or a dropped dataset). Reads everything from the stores, so a shared link
 * can replay it.
 */
export async function runPaths(): Promise<void> {
  const { spec, models, datasets } = appStore.getState();
  const { a, b, kinds, points, curveSteps, curveSeed } = spec.paths;
  const choice = scoreChoice(byRef(models, a), spec, datasets);
  const blocked = pathsBlocked(models, a, b, kinds, choice.problem);
  if (blocked || !choice.chosen) {
    showBanner('error', `Paths: ${blocked ?? 'nothing to score on'}.`);
    return;
  }
  const score = choice.chosen;
  const A = byRef(models, a)!;
  const B = byRef(models, b)!;
  // This view's stale messages go; other views' messages stay until dismissed.
  dismissBanners((b) => b.text.startsWith('Paths'));
  await runJob(
    pathsStore,
    (msg) => `Paths failed: ${msg}. The workspace is unchanged.`,
    async (run) => {
      const target = await run.step(resolveScore(score));
      const trainTarget = await run.step(resolveTrainScore(score));
      const image = target.kind === 'image' ? target : null;
      const curves = await run.call(
        'paths',
        {
          aId: A.id,
          bId: B.id,
          kinds,
          points,
          curveSteps,
          curveSeed,
          alignMethod: spec.alignment.method,
          target,
          filmstrip: FILMSTRIP,
          ...(trainTarget ? { trainTarget } : {}),
        },
        { transfer: [...targetTransferables(target), ...targetTransferables(trainTarget)] },
      );
      const renderKind = curves.find((c) => c.kind === 'lerp')?.kind ?? curves[0]?.kind ?? null;
      pathsStore.setState({
        result: {
          seq: ++finished,
          aId: A.id,
          bId: B.id,
          aName: A.name,
          bName: B.name,
          score,
          trainLabel: trainTarget?.label ?? null,
          image,
          curves,
        },
        renderKind,
        render: null,
      });
      renderNow();
    },
  );
}

/** Cancels the running job: curve training stops, and the answer is dropped. */
export function cancelPaths(): void {
  cancelJob(pathsStore);
}

let renderTimer: ReturnType<typeof setTimeout> | null = null;
let renderSeq = 0;

/** Renders the reconstruction (INRs) or the loss and accuracy (classifiers) at the slider's α, now. */
function renderNow(): void {
  const { result, renderKind, alpha } = pathsStore.getState();
  if (!result || !renderKind) return;
  const seq = ++renderSeq;
  (result.image ? Promise.resolve(result.image) : resolveScore(result.score))
    .then((target) =>
      ask(
        'render',
        { aId: result.aId, bId: result.bId, kind: renderKind, alpha, target },
        { transfer: targetTransferables(target) },
      ),
    )
    .then((r) => {
      if (seq === renderSeq && pathsStore.getState().result === result)
        pathsStore.setState({ render: { kind: renderKind, alpha, ...r } });
    })
    .catch((e: unknown) =>
      showBanner(
        'error',
        `rendering at α = ${alpha.toFixed(2)} failed: ${e instanceof Error ? e.message : String(e)}`,
      ),
    );
}

/** Moves the α slider; the reconstruction follows after a 50 ms pause in the dragging. */
export function setAlpha(alpha: number): void {
  pathsStore.setState({ alpha });
  if (renderTimer) clearTimeout(renderTimer);
  renderTimer = setTimeout(renderNow, 50);
}

export function setRenderKind(kind: PathKind): void {
  pathsStore.setState({ renderKind: kind });
  renderNow();
}

function sampleRef(models: ModelEntry[], name: string): string | null {
  return models.find((m) => m.source === 'sample' && m.name === name)?.ref ?? null;
}

/** Sets both endpoints to the named sample models and the kinds, then runs. */
async function preset(aName: string, bName: string, kinds: PathKind[]): Promise<void> {
  const models = appStore.getState().models;
  const a = sampleRef(models, aName);
  const b = sampleRef(models, bName);
  if (!a || !b) {
    showBanner(
      'error',
      `This preset needs the sample models "${aName}" and "${bName}", which are not in the workspace (reload the page to get them back).`,
    );
    return;
  }
  const err = updateSpec((d) => {
    d.paths.a = a;
    d.paths.b = b;
    d.paths.kinds = kinds;
  });
  if (err) showBanner('error', `preset not applied: ${err}`);
  else await runPaths();
}

/** Preset 1: same image, independent inits; the naive path breaks, the aligned one holds. */
export function presetIndependent(): Promise<void> {
  return preset('rings independent #1', 'rings independent #2', ['lerp', 'lerp-aligned']);
}

/** Preset 2: same image, shared init; expected to be linearly connected already. */
export function presetShared(): Promise<void> {
  return preset('rings shared-init #1', 'rings shared-init #2', ['lerp']);
}

/** Preset 3: two MNIST MLPs from different seeds, scored on MNIST; alignment lowers the barrier. */
export function presetMnist(): Promise<void> {
  return preset('mnist mlp #1', 'mnist mlp #2', ['lerp', 'lerp-aligned']);
}
