/**
 * Backend calibrations kept across page loads (localStorage), keyed by the workload's shape: the
 * architecture, population size, pixels and batch fraction. The worker reuses one only when it was
 * made on the same WebGPU adapter (or the same absence of one), so a new GPU or browser calibrates
 * afresh. Storage may be unavailable (private mode, quota): then every run calibrates.
 */
import type { BackendInfo, TrainJob } from '../../workers/protocol';

const STORE_KEY = 'weightscope.calibration.v1';
/** Shapes remembered; the oldest are forgotten first. */
const MAX_ENTRIES = 32;

type Stored = Record<string, { info: BackendInfo; at: number }>;

/** The cache key of a training job's workload shape (everything that changes ms per step). */
export function workloadKey(job: Pick<TrainJob, 'arch' | 'seeds' | 'target' | 'batchFraction'>): string {
  const { width, height, channels } = job.target;
  return JSON.stringify([job.arch, job.seeds.length, width * height, channels, job.batchFraction]);
}

function load(): Stored {
  try {
    const text = globalThis.localStorage?.getItem(STORE_KEY);
    const parsed: unknown = text ? JSON.parse(text) : {};
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Stored) : {};
  } catch {
    return {};
  }
}

/** The stored calibration for this shape, if any (only calibrated choices are stored). */
export function storedCalibration(key: string): BackendInfo | undefined {
  const hit = load()[key]?.info;
  return hit && typeof hit.name === 'string' && Array.isArray(hit.calibration) ? hit : undefined;
}

/** Remembers a calibration the worker measured (hand-picked and hardware-GPU choices need none). */
export function storeCalibration(key: string, info: BackendInfo): void {
  // A provisional choice (the job is still measuring the other paths) is not a calibration.
  if (!info.calibration || info.calibrating) return;
  const all = load();
  all[key] = { info, at: Date.now() };
  const keep = Object.entries(all)
    .sort((a, b) => b[1].at - a[1].at)
    .slice(0, MAX_ENTRIES);
  try {
    globalThis.localStorage?.setItem(STORE_KEY, JSON.stringify(Object.fromEntries(keep)));
  } catch {
    // Full or forbidden: the next run calibrates again, which is only slower.
  }
}

/** Forgets every stored calibration (the badge's "measure again"). */
export function clearCalibrations(): void {
  try {
    globalThis.localStorage?.removeItem(STORE_KEY);
  } catch {
    // nothing stored
  }
}

/**
 * `localStorage['weightscope.startOn'] = 'tfjs'`: with no stored calibration, training starts on
 * tfjs and the background calibration then moves it (usually to the fused kernel) mid-run. For
 * the browser test of that switch, and for anyone who wants to watch one.
 */
export function startOnOverride(): 'tfjs' | undefined {
  try {
    return globalThis.localStorage?.getItem('weightscope.startOn') === 'tfjs' ? 'tfjs' : undefined;
  } catch {
    return undefined;
  }
}
