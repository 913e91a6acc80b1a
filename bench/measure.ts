/** One printed benchmark row. Benchmarks measure and print; tests never assert timings. */
export interface BenchRow {
  /** Which benchmark family, e.g. "train", "align", "lap". */
  group: string;
  /** What was measured, e.g. "SIREN 3×64, 64×64, K=8". */
  name: string;
  /** Where it ran: "node/wasm", "chromium/webgpu", "node/ts", "python/torch"… */
  runtime: string;
  median: number;
  min: number;
  max: number;
  /** Unit of median/min/max, e.g. "ms", "s", "model-steps/s". */
  unit: string;
  /** Extra figures: sweeps, GFLOP/s, peak MB… */
  extra?: Record<string, number | string>;
  /**
   * What the timed repetitions cost the measuring process (all its threads): on a shared
   * machine the wall clock also counts the neighbours' time slices, the CPU time does not, and
   * system time and page faults show a row slowed by the memory system.
   */
  usage?: Usage;
  /** Why a row could not run, instead of silently vanishing. */
  skipped?: string;
}

/** CPU time, system time and page faults of `reps` timed repetitions (warm-up excluded). */
export interface Usage {
  /** User CPU seconds, all threads of the process. */
  cpuS: number;
  /** System CPU seconds. */
  sysS: number;
  minorFaults: number;
  majorFaults: number;
  /** Repetitions these figures cover. */
  reps: number;
}

/** Usage since `r0` (a `process.resourceUsage()` taken before the timed repetitions). */
export function usageSince(r0: NodeJS.ResourceUsage, reps: number): Usage {
  return usageBetween(r0, process.resourceUsage(), reps);
}

/** Usage between two `process.resourceUsage()` snapshots. */
export function usageBetween(r0: NodeJS.ResourceUsage, r1: NodeJS.ResourceUsage, reps: number): Usage {
  return {
    cpuS: Number(((r1.userCPUTime - r0.userCPUTime) / 1e6).toFixed(3)),
    sysS: Number(((r1.systemCPUTime - r0.systemCPUTime) / 1e6).toFixed(3)),
    minorFaults: r1.minorPageFault - r0.minorPageFault,
    majorFaults: r1.majorPageFault - r0.majorPageFault,
    reps,
  };
}

/** CPU seconds (user + system) per repetition. */
export const cpuPerRep = (u: Usage): number => (u.cpuS + u.sysS) / Math.max(1, u.reps);

export interface Timing {
  median: number;
  min: number;
  max: number;
  usage: Usage;
}

/**
 * Runs `fn` after `warmup` untimed calls, `reps` timed calls; returns times in ms and the
 * process's usage over the timed calls.
 */
export async function timeIt(fn: () => unknown | Promise<unknown>, reps = 5, warmup = 1): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  const r0 = process.resourceUsage();
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  const usage = usageSince(r0, reps);
  times.sort((a, b) => a - b);
  return {
    median: times[Math.floor(times.length / 2)]!,
    min: times[0]!,
    max: times[times.length - 1]!,
    usage,
  };
}
