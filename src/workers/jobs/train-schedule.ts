/**
 * A training job's engine schedule: which paths trained the population and from which step
 * (engine/experiment/engine-schedule.ts). Every run records what it ran (`EngineLog`), so a link
 * can carry it; a replay follows the sender's schedule (`ScheduleFollower`): it starts on the same
 * path and switches at the same step, with no calibration, and where this browser cannot run a
 * path it runs the closest one and says why. Kept apart from train.ts, which only asks these.
 */
import {
  describePath,
  samePath,
  type EnginePath,
  type EngineSchedule,
} from '../../engine/experiment/engine-schedule';
import { kernelCoverage, kernelModule, type KernelFlavour } from '../../engine/kernels/mlp-kernel';
import type { MatmulLayout } from '../../engine/tf/stack';
import { defaultLayout, ensureBackend, probeAdapter, useBackend } from '../backends';
import { wgslPathCoverage } from '../wgsl-path';
import type { BackendInfo, BackendName, TrainJob } from '../protocol';

/** The path a runner is on: the fused wasm kernel's build comes from the pool it started. */
export function enginePathOf(path: RunnerPath, kernel: BackendInfo['kernel']): EnginePath {
  if (kernel?.path === 'webgpu') return { path: 'fused-webgpu' };
  if (path.fused) return { path: 'fused', simd: kernel?.flavour === 'relaxed' ? 'relaxed' : 'simd' };
  return { path: path.name, layout: path.layout };
}

/** What trained the population so far: a stretch per path, in step order. */
export class EngineLog {
  readonly steps: EngineSchedule = [];

  /** `at` trains from `fromStep` on (a path that replaces one before its first step replaces it). */
  record(at: EnginePath, fromStep: number): void {
    const last = this.steps[this.steps.length - 1];
    if (last && samePath(last, at)) return;
    if (last && last.fromStep === fromStep) this.steps.pop();
    this.steps.push({ ...at, fromStep });
  }
}

/** Paths to try for a wanted one, closest first (same numerics family, then the CPU). */
function closestFirst(want: EnginePath): EnginePath[] {
  const cpuSide = (layout: 'split' | 'batched'): EnginePath[] => [
    { path: 'wasm', layout },
    { path: 'cpu', layout },
  ];
  switch (want.path) {
    case 'fused':
      return [
        want,
        ...(want.simd === 'relaxed' ? [{ path: 'fused', simd: 'simd' } as const] : []),
        ...cpuSide('split'),
      ];
    case 'fused-webgpu':
      return [want, { path: 'fused', simd: 'relaxed' }, { path: 'fused', simd: 'simd' }, ...cpuSide('split')];
    case 'webgpu':
      return [want, { path: 'webgl', layout: want.layout }, ...cpuSide(want.layout!)];
    case 'webgl':
      return [want, ...cpuSide(want.layout!)];
    case 'wasm':
      return [want, { path: 'cpu', layout: want.layout }];
    case 'cpu':
      return [want];
  }
}

/**
 * Why this worker cannot run `p` for the job, or null when it can. tfjs backends are tried for
 * real (tfjs is left on the last one tried); the WGSL kernel is only checked here, and train.ts
 * reports it if it then fails to start.
 */
async function cannotRun(p: EnginePath, job: TrainJob): Promise<string | null> {
  if (p.path === 'fused') {
    if (job.batchFraction < 1) return 'members on random pixel subsets are not in the fused kernel';
    const cover = kernelCoverage(job.arch);
    if (cover) return cover;
    return kernelModule(p.simd!)
      ? null
      : `this browser's WebAssembly has no ${p.simd === 'relaxed' ? 'relaxed SIMD' : 'SIMD'}`;
  }
  if (p.path === 'fused-webgpu') {
    const cover =
      job.batchFraction < 1
        ? 'members on random pixel subsets are not in the WGSL kernel'
        : wgslPathCoverage(job.arch);
    if (cover) return cover;
    const probe = await probeAdapter();
    return probe.available ? null : `no WebGPU adapter here (${probe.description})`;
  }
  try {
    await useBackend(p.path);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Follows a sender's schedule: the path of each stretch (or the closest this worker runs), and
 * the reasons wherever what ran here is not what the sender ran.
 */
export class ScheduleFollower {
  /** What differs from the sender's run, in words; empty while it is followed exactly. */
  readonly differences: string[] = [];
  private next = 1;
  /** The stretch being started: what the sender ran, and why the choice differs if it does. */
  private pending: { want: EnginePath; why: string | null } | null = null;

  constructor(
    readonly sender: EngineSchedule,
    private readonly job: TrainJob,
  ) {}

  /** The step at which the next stretch starts, or null when none is left. */
  get nextSwitch(): number | null {
    return this.sender[this.next]?.fromStep ?? null;
  }

  /**
   * The path to run for the sender's stretch that starts at `fromStep`: its own, or the closest
   * that runs here. Mid-run, only paths that take over a run (weights and Adam state) qualify.
   */
  async choose(fromStep: number): Promise<EnginePath> {
    const i = this.sender.findIndex((s) => s.fromStep === fromStep);
    const { fromStep: _, ...want } = this.sender[i]!;
    this.next = i + 1;
    let why: string | null = null;
    for (const p of closestFirst(want)) {
      const cannot =
        fromStep > 0 && p.path === 'fused-webgpu'
          ? 'the fused WebGPU kernel does not take over a run mid-way'
          : await cannotRun(p, this.job);
      if (!cannot) {
        this.pending = { want, why };
        return p;
      }
      why ??= cannot;
    }
    // tfjs cpu always starts: reaching here means even it failed.
    throw new Error(`no engine path runs here: ${why}`);
  }

  /**
   * What ran from `fromStep` for the stretch chosen last; a difference from the sender's is kept
   * with its reason (the choice's, else `fallbackWhy`: a kernel that failed to start, a failed switch).
   */
  ran(at: EnginePath, fromStep: number, fallbackWhy?: string): void {
    const want = this.pending?.want;
    if (!want || samePath(want, at)) return;
    // Which paths ran is in the two schedules; this says why they differ, and from where.
    const why = this.pending?.why ?? fallbackWhy ?? `${describePath(want)} did not start here`;
    this.differences.push(fromStep === 0 ? why : `from step ${fromStep}: ${why}`);
  }

  /** The badge's and the app's view of the replay so far. */
  info(here: EngineSchedule): NonNullable<BackendInfo['replay']> {
    return {
      sender: this.sender,
      here: [...here],
      differs: this.differences.length > 0 ? this.differences.join('; ') : null,
    };
  }
}

/** Where a runner trains: the fused wasm kernel (a build forced by a schedule), or tfjs. */
export type RunnerPath =
  { fused: true; flavour?: KernelFlavour } | { fused: false; name: BackendName; layout: MatmulLayout };

/** The runner path of a schedule's path (the WGSL kernel is started by train.ts from `kernel`). */
export function runnerPath(p: EnginePath): RunnerPath {
  if (p.path === 'fused') return { fused: true, flavour: p.simd };
  if (p.path === 'fused-webgpu') return { fused: true };
  return { fused: false, name: p.path, layout: p.layout! };
}

/**
 * The start of a replayed run: the first stretch's path (or the closest here), with no
 * calibration and no background measuring. tfjs is on the backend everything else runs on.
 */
export async function scheduledStart(follow: ScheduleFollower): Promise<{ info: BackendInfo; probe: null }> {
  const at = await follow.choose(0);
  const probe = await probeAdapter();
  const adapter = probe.available ? { fallback: probe.fallback, description: probe.description } : null;
  const name = at.path === 'fused' || at.path === 'fused-webgpu' ? await ensureBackend() : at.path;
  await useBackend(name);
  const info: BackendInfo = {
    name,
    layout: at.layout ?? defaultLayout(name),
    reason: "following the link's engine schedule, with no calibration",
    adapter,
    replay: follow.info([]),
  };
  if (at.path === 'fused') info.kernel = { flavour: at.simd!, workers: 0 };
  if (at.path === 'fused-webgpu') info.kernel = { flavour: 'WGSL', workers: 1, path: 'webgpu' };
  return { info, probe: null };
}
