/**
 * The pixel split's shared block (src/engine/kernels/split-pool.ts): one SharedArrayBuffer that
 * the coordinator and every shard map alike, so a step exchanges nothing by message. The shards
 * take a step's items (chunk gradients, then slices of θ to reduce and update) from counters in
 * its control words and wait for the next phase with Atomics.wait / notify (a futex, no event
 * loop): SplitPhases below.
 *
 * Layout: control words i32 [8], loss sums f64 [chunks, K], then θ, m, v f32 [K·P] each and the
 * chunk gradients f32 [chunks, K·P] (member k's parameters at k·P, flattenModel's order).
 */

/** Indices of the control words. */
const NEXT = 0;
const DONE = 1;
const PHASE = 2;
/** 0 running; STOPPED when the coordinator ends the run; FAILED when a shard threw. */
const STATE = 3;
const STOPPED = 1;
const FAILED = 2;
const CONTROL_BYTES = 32;

/** Views of the split's shared block. */
export interface SplitMemory {
  buffer: SharedArrayBuffer;
  members: number;
  params: number;
  chunks: number;
  control: Int32Array;
  /** Each chunk's per-member sum of squared errors at the weights its last step started from. */
  lossSums: Float64Array;
  theta: Float32Array;
  m: Float32Array;
  v: Float32Array;
  /** Chunk c's gradient of member k at (c·K + k)·P; after a step's reduction chunk 0's holds the sum. */
  grads: Float32Array;
}

/** Bytes of the block for K members of P parameters in `chunks` chunks. */
export function splitMemoryBytes(members: number, params: number, chunks: number): number {
  return CONTROL_BYTES + 8 * chunks * members + 4 * members * params * (3 + chunks);
}

/** The views of a block made by createSplitMemory (here or in a shard, from the posted buffer). */
export function mapSplitMemory(
  buffer: SharedArrayBuffer,
  members: number,
  params: number,
  chunks: number,
): SplitMemory {
  if (buffer.byteLength !== splitMemoryBytes(members, params, chunks))
    throw new RangeError('pixel split: the shared block does not fit its members and chunks');
  const kp = members * params;
  let at = CONTROL_BYTES + 8 * chunks * members;
  const floats = (n: number): Float32Array => {
    const a = new Float32Array(buffer, at, n);
    at += 4 * n;
    return a;
  };
  return {
    buffer,
    members,
    params,
    chunks,
    control: new Int32Array(buffer, 0, CONTROL_BYTES / 4),
    lossSums: new Float64Array(buffer, CONTROL_BYTES, chunks * members),
    theta: floats(kp),
    m: floats(kp),
    v: floats(kp),
    grads: floats(chunks * kp),
  };
}

/** A new zeroed block. */
export function createSplitMemory(members: number, params: number, chunks: number): SplitMemory {
  return mapSplitMemory(
    new SharedArrayBuffer(splitMemoryBytes(members, params, chunks)),
    members,
    params,
    chunks,
  );
}

/** Busy checks before a shard sleeps for the next phase: a wake-up costs a system call on each side. */
const SPINS = 200;

/**
 * The work of a run as phases shared by every shard: phase 2s holds step s's chunk gradients
 * (`chunks` items), phase 2s + 1 its reduction and Adam update (`blocks` items, slices of θ).
 * Items are tickets of one counter that only grows (phase p's are [base(p), base(p) + items(p))),
 * taken by compare-and-swap while the counter is inside the phase a shard believes current: so
 * whichever shard is running takes the next item, a shard the system has paused holds up at most
 * the one item it took, and a late shard never takes an item of a phase that is over. The shard
 * that finishes a phase's last item opens the next.
 */
export class SplitPhases {
  constructor(
    private readonly mem: SplitMemory,
    private readonly blocks: number,
  ) {}

  private base(p: number): number {
    return Math.floor(p / 2) * (this.mem.chunks + this.blocks) + (p % 2 === 0 ? 0 : this.mem.chunks);
  }

  /** Items of phase p: chunks (even phases) or blocks (odd). */
  items(p: number): number {
    return p % 2 === 0 ? this.mem.chunks : this.blocks;
  }

  /** The phase now open (throws when the run was stopped or a shard failed). */
  phase(): number {
    const c = this.mem.control;
    const state = Atomics.load(c, STATE);
    if (state !== 0)
      throw new Error(state === FAILED ? 'pixel split: another shard failed' : 'pixel split stopped');
    return Atomics.load(c, PHASE);
  }

  /** The next item of phase p for this shard, or −1 when all are taken (or p is over). */
  take(p: number): number {
    const c = this.mem.control;
    const b = this.base(p);
    const end = b + this.items(p);
    for (;;) {
      const t = Atomics.load(c, NEXT);
      if (t < b || t >= end) return -1;
      if (Atomics.compareExchange(c, NEXT, t, t + 1) === t) return t - b;
    }
  }

  /** Marks an item of phase p done; the last one opens phase p + 1 and wakes the waiting shards. */
  finish(p: number): void {
    const c = this.mem.control;
    if (Atomics.add(c, DONE, 1) === this.items(p) - 1) {
      Atomics.store(c, DONE, 0);
      Atomics.store(c, PHASE, p + 1);
      Atomics.notify(c, PHASE);
    }
  }

  /** Waits until phase p is over (every item taken and done by some shard). */
  waitPast(p: number): void {
    const c = this.mem.control;
    for (let spin = 0; this.phase() === p; spin++) if (spin >= SPINS) Atomics.wait(c, PHASE, p, 250);
  }
}

/** Marks the run failed (a shard threw) and wakes every shard waiting for a phase. */
export function failSplit(mem: SplitMemory): void {
  Atomics.store(mem.control, STATE, FAILED);
  Atomics.notify(mem.control, PHASE);
}

/** Ends the run for good (the pool is disposed) and wakes every shard waiting for a phase. */
export function stopSplit(mem: SplitMemory): void {
  Atomics.compareExchange(mem.control, STATE, 0, STOPPED);
  Atomics.notify(mem.control, PHASE);
}
