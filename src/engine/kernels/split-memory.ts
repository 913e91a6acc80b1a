/**
 * The pixel split's shared block (src/engine/kernels/split-pool.ts): one SharedArrayBuffer that
 * the coordinator and every shard map alike, so a step exchanges nothing by message. Shards meet
 * at a barrier on its control words (Atomics.wait / notify: a futex, no event loop), twice a step:
 * once when every chunk's gradient is written, once when every slice of θ has taken its Adam step.
 *
 * Layout: control words i32 [8], loss sums f64 [chunks, K], then θ, m, v f32 [K·P] each and the
 * chunk gradients f32 [chunks, K·P] (member k's parameters at k·P, flattenModel's order).
 */

/** Indices of the control words. */
const ARRIVED = 0;
const GENERATION = 1;
/** 0 running; STOPPED when the coordinator ends the run; FAILED when a shard threw. */
const STATE = 2;
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

/** Busy checks before a shard sleeps at the barrier: a wake-up costs a system call on each side. */
const SPINS = 2000;

/**
 * Waits until all `parties` shards have arrived (a generation barrier: the last to arrive resets
 * the count and advances the generation). Throws when the run was stopped or a shard failed, so no
 * shard waits forever for one that is gone.
 */
export function arrive(mem: SplitMemory, parties: number): void {
  const c = mem.control;
  const gen = Atomics.load(c, GENERATION);
  if (Atomics.add(c, ARRIVED, 1) === parties - 1) {
    Atomics.store(c, ARRIVED, 0);
    Atomics.add(c, GENERATION, 1);
    Atomics.notify(c, GENERATION);
    return;
  }
  for (let spin = 0; ; spin++) {
    const state = Atomics.load(c, STATE);
    if (state !== 0)
      throw new Error(state === FAILED ? 'pixel split: another shard failed' : 'pixel split stopped');
    if (Atomics.load(c, GENERATION) !== gen) return;
    if (spin >= SPINS) Atomics.wait(c, GENERATION, gen, 250);
  }
}

/** Marks the run failed (a shard threw) and wakes every shard waiting at the barrier. */
export function failSplit(mem: SplitMemory): void {
  Atomics.store(mem.control, STATE, FAILED);
  Atomics.notify(mem.control, GENERATION);
}

/** Ends the run for good (the pool is disposed) and wakes every shard waiting at the barrier. */
export function stopSplit(mem: SplitMemory): void {
  Atomics.compareExchange(mem.control, STATE, 0, STOPPED);
  Atomics.notify(mem.control, GENERATION);
}
