/**
 * A run on an engine that may fail mid-run (the WGSL kernel: a lost GPU device, a refused
 * submission), with a way out: checkpoints of the population's state (a PopulationSnapshot:
 * weights, optimiser state, step count), read back at most every `checkpointMs`, and, when any
 * call fails, a fallback engine made from the last checkpoint, on which the steps taken since are
 * replayed (the same full-batch steps, or the same seeded batches) before the run carries on. Steps
 * queued on a device already gone are among those replayed, so the run ends as one that switched
 * engines at the checkpoint's step. Used by INR population runs (src/workers/wgsl-path.ts) and
 * classifier runs (src/engine/tf/classifier-path.ts).
 */
import type { PopulationSnapshot } from './population-snapshot';

/** What the fallback engine must do: step, and be disposed. */
export interface Steppable {
  step(): Promise<void>;
  dispose(): void;
}

export interface FailoverOptions<R extends Steppable> {
  /** One step on the first engine; throws when it fails. */
  step(): void;
  /** The first engine's state, read back (rejects when it fails). */
  snapshot(): Promise<PopulationSnapshot>;
  /** Frees the first engine (its device included). */
  dispose(): void;
  /** The engine to continue on, from `from`; `why` says what happened, for the badge. */
  fallback(from: PopulationSnapshot, why: string): Promise<R>;
  /** The state at step 0 (what a failure before the first checkpoint continues from). */
  initial: PopulationSnapshot;
  /** Least time between checkpoints (0: every step). */
  checkpointMs: number;
  /** How the message names the optimiser state ("Adam state", "optimiser state"). */
  state: string;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class Failover<R extends Steppable> {
  /** Steps the run has taken (on either engine). */
  done = 0;
  private checkpoint: PopulationSnapshot;
  private checkpointAt = performance.now();
  private active: R | null = null;

  constructor(private readonly o: FailoverOptions<R>) {
    this.checkpoint = o.initial;
  }

  /** The fallback engine, once the run has moved to it. */
  get current(): R | null {
    return this.active;
  }

  /** A checkpoint now (unless this step's is taken): the state another engine continues from. */
  async save(): Promise<PopulationSnapshot> {
    if (this.checkpoint.steps !== this.done) {
      this.checkpoint = await this.o.snapshot();
      this.checkpointAt = performance.now();
    }
    return this.checkpoint;
  }

  private async failOver(e: unknown): Promise<R> {
    this.o.dispose();
    const from = this.checkpoint;
    const replayed = this.done - from.steps;
    const again = replayed > 0 ? `, ${replayed} step${replayed > 1 ? 's' : ''} replayed` : '';
    const why = `fused WebGPU kernel failed at step ${this.done} (${message(e)}); continued from step ${from.steps} with its weights and ${this.o.state}${again}`;
    const next = await this.o.fallback(from, why);
    try {
      for (let s = from.steps; s < this.done; s++) await next.step();
    } catch (err) {
      next.dispose();
      throw err;
    }
    this.active = next;
    return next;
  }

  /** One step of the run, on whichever engine it is on; a checkpoint when one is due. */
  async step(): Promise<void> {
    let r = this.active;
    if (!r)
      try {
        this.o.step();
      } catch (e) {
        r = await this.failOver(e);
      }
    if (r) {
      await r.step();
      this.done += 1;
      return;
    }
    this.done += 1;
    if (performance.now() - this.checkpointAt < this.o.checkpointMs) return;
    try {
      await this.save();
    } catch (e) {
      // This step is among those the fallback replays.
      await this.failOver(e);
    }
  }

  /** `work` on the first engine, or `onActive` on the fallback (moving there if `work` fails). */
  async guard<T>(work: () => Promise<T>, onActive: (r: R) => Promise<T>): Promise<T> {
    if (this.active) return onActive(this.active);
    try {
      return await work();
    } catch (e) {
      return onActive(await this.failOver(e));
    }
  }

  /** Frees whichever engine the run is on. */
  dispose(): void {
    if (this.active) this.active.dispose();
    else this.o.dispose();
  }
}
