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
  /** Why a row could not run, instead of silently vanishing. */
  skipped?: string;
}

/** Runs `fn` after `warmup` untimed calls, `reps` timed calls; returns times in ms. */
export async function timeIt(
  fn: () => unknown | Promise<unknown>,
  reps = 5,
  warmup = 1,
): Promise<{ median: number; min: number; max: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, min: times[0]!, max: times[times.length - 1]! };
}
