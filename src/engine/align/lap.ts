/**
 * Exact dense linear assignment: shortest augmenting paths with Jonker–Volgenant duals.
 *
 * Jonker & Volgenant (1987), "A shortest augmenting path algorithm for dense and sparse linear
 * assignment problems", Computing 38; the augmentation step follows the form in Crouse (2016),
 * "On implementing 2D rectangular assignment algorithms", IEEE TAES 52(4), Alg. 4 (the one SciPy's
 * `linear_sum_assignment` uses). Initialisation is JV's column reduction, which starts the duals
 * feasible and assigns many rows for free, so most rows need only a short Dijkstra search.
 *
 * Worst case O(n³); on uniform random matrices far less.
 */

/** The optimal assignment: row i goes to column `rowToCol[i]`; `total` = Σ matrix[i, rowToCol[i]]. */
export interface Assignment {
  rowToCol: Int32Array;
  total: number;
}

/** Thrown when a matrix holds NaN or ±Inf (the assignment would be meaningless). */
export class AssignmentInputError extends Error {
  override name = 'AssignmentInputError';
}

/**
 * Solves the n×n linear assignment problem exactly.
 * @param matrix row-major n×n scores (not modified)
 * @param n size
 * @param maximize true (default) to maximise Σ matrix[i, σ(i)], false to minimise it
 */
export function solveAssignment(matrix: Float64Array | Float32Array, n: number, maximize = true): Assignment {
  if (!Number.isInteger(n) || n < 0)
    throw new AssignmentInputError(`size must be a non-negative integer, got ${n}`);
  if (matrix.length < n * n)
    throw new AssignmentInputError(`matrix has ${matrix.length} values, an ${n}×${n} problem needs ${n * n}`);
  const nn = n * n;
  // Work on costs to minimise. Negating is exact in floating point, so ties stay ties.
  const cost = new Float64Array(nn);
  for (let k = 0; k < nn; k++) {
    const x = matrix[k]!;
    if (!Number.isFinite(x))
      throw new AssignmentInputError(`matrix entry ${Math.floor(k / n)},${k % n} is ${x}`);
    cost[k] = maximize ? -x : x;
  }
  const rowToCol = new Int32Array(n).fill(-1);
  const colToRow = new Int32Array(n).fill(-1);
  const u = new Float64Array(n);
  const v = new Float64Array(n);
  const free = columnReduction(cost, n, v, rowToCol, colToRow);
  const stillFree = augmentingRowReduction(cost, n, v, rowToCol, colToRow, free);
  // Row duals from the column duals: an assigned row sits at its row minimum of c − v, so
  // u = that minimum keeps every reduced cost ≥ 0 and the matched ones at 0.
  for (let i = 0; i < n; i++) {
    const off = i * n;
    const j = rowToCol[i]!;
    if (j >= 0) {
      u[i] = cost[off + j]! - v[j]!;
    } else {
      let m = Infinity;
      for (let c = 0; c < n; c++) m = Math.min(m, cost[off + c]! - v[c]!);
      u[i] = m;
    }
  }

  const dist = new Float64Array(n);
  const pathRow = new Int32Array(n);
  const remaining = new Int32Array(n);
  const rowSeen = new Uint8Array(n);
  const colSeen = new Uint8Array(n);
  for (const cur of stillFree) {
    augment(cost, n, cur, u, v, rowToCol, colToRow, dist, pathRow, remaining, rowSeen, colSeen);
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += matrix[i * n + rowToCol[i]!]!;
  return { rowToCol, total };
}

/**
 * JV column reduction and reduction transfer. v[j] = min_i cost[i, j] makes every reduced cost
 * c − v ≥ 0; the row achieving a column's minimum takes it if still free (reduced cost 0, its row
 * minimum). A row that won exactly one column then hands its slack to that column (v[j] drops to
 * the row's second-best reduced cost), which later makes the column less attractive to others.
 * Invariant kept throughout initialisation: v only decreases, and every assigned row sits at a
 * minimum of its reduced costs. Returns the free rows.
 */
function columnReduction(
  cost: Float64Array,
  n: number,
  v: Float64Array,
  rowToCol: Int32Array,
  colToRow: Int32Array,
): number[] {
  v.fill(Infinity);
  const argRow = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const off = i * n;
    for (let j = 0; j < n; j++) {
      const c = cost[off + j]!;
      if (c < v[j]!) {
        v[j] = c;
        argRow[j] = i;
      }
    }
  }
  const wins = new Int32Array(n);
  // Columns in reverse order, as JV do; any order is correct.
  for (let j = n - 1; j >= 0; j--) {
    const i = argRow[j]!;
    wins[i] = wins[i]! + 1;
    if (rowToCol[i] === -1) {
      rowToCol[i] = j;
      colToRow[j] = i;
    }
  }
  const free: number[] = [];
  for (let i = 0; i < n; i++) {
    if (rowToCol[i] === -1) {
      free.push(i);
    } else if (wins[i] === 1 && n > 1) {
      const j1 = rowToCol[i]!;
      const off = i * n;
      let m = Infinity;
      for (let j = 0; j < n; j++) if (j !== j1) m = Math.min(m, cost[off + j]! - v[j]!);
      v[j1] = v[j1]! - m;
    }
  }
  return free;
}

/**
 * JV augmenting row reduction (two passes): a free row takes its cheapest column, lowering that
 * column's dual to the row's second-best reduced cost so the row's choice stays a minimum; the
 * evicted row continues the chain. Cheap, and it leaves few rows for the Dijkstra phase. A step
 * budget guards against long chains of tiny dual decreases on near-ties.
 */
function augmentingRowReduction(
  cost: Float64Array,
  n: number,
  v: Float64Array,
  rowToCol: Int32Array,
  colToRow: Int32Array,
  free: number[],
): number[] {
  let list = free;
  for (let pass = 0; pass < 2 && list.length > 0 && n > 1; pass++) {
    const next: number[] = [];
    let budget = 4 * n + 16;
    const stack = list.slice().reverse();
    while (stack.length > 0) {
      const i = stack.pop()!;
      const off = i * n;
      let umin = cost[off]! - v[0]!;
      let j1 = 0;
      let usub = Infinity;
      let j2 = -1;
      for (let j = 1; j < n; j++) {
        const h = cost[off + j]! - v[j]!;
        if (h < usub) {
          if (h >= umin) {
            usub = h;
            j2 = j;
          } else {
            usub = umin;
            j2 = j1;
            umin = h;
            j1 = j;
          }
        }
      }
      let i0 = colToRow[j1]!;
      const strict = umin < usub;
      if (strict) v[j1] = v[j1]! - (usub - umin);
      else if (i0 >= 0) {
        // Tie: take the second column instead, which may be free.
        j1 = j2;
        i0 = colToRow[j2]!;
      }
      if (i0 >= 0) rowToCol[i0] = -1;
      rowToCol[i] = j1;
      colToRow[j1] = i;
      if (i0 >= 0) {
        if (strict && --budget > 0) stack.push(i0);
        else next.push(i0);
      }
    }
    list = next;
  }
  return list;
}

/**
 * One Dijkstra search from the free row `cur` over reduced costs cost[i,j] − u[i] − v[j] until
 * it reaches a free column, then the dual update and the flip of the alternating path
 * (Crouse 2016, Alg. 4). Ties between equal distances prefer a free column, which ends the
 * search early.
 */
function augment(
  cost: Float64Array,
  n: number,
  cur: number,
  u: Float64Array,
  v: Float64Array,
  rowToCol: Int32Array,
  colToRow: Int32Array,
  dist: Float64Array,
  pathRow: Int32Array,
  remaining: Int32Array,
  rowSeen: Uint8Array,
  colSeen: Uint8Array,
): void {
  dist.fill(Infinity);
  rowSeen.fill(0);
  colSeen.fill(0);
  let numRemaining = n;
  for (let j = 0; j < n; j++) remaining[j] = n - 1 - j;
  let minVal = 0;
  let i = cur;
  let sink = -1;
  while (sink === -1) {
    rowSeen[i] = 1;
    const off = i * n;
    const base = minVal - u[i]!;
    let lowest = Infinity;
    let index = -1;
    for (let it = 0; it < numRemaining; it++) {
      const j = remaining[it]!;
      const r = base + cost[off + j]! - v[j]!;
      let d = dist[j]!;
      if (r < d) {
        pathRow[j] = i;
        dist[j] = r;
        d = r;
      }
      if (d < lowest || (d === lowest && colToRow[j] === -1)) {
        lowest = d;
        index = it;
      }
    }
    if (index < 0) throw new AssignmentInputError('no feasible assignment (non-finite costs)');
    minVal = lowest;
    const j = remaining[index]!;
    colSeen[j] = 1;
    remaining[index] = remaining[--numRemaining]!;
    if (colToRow[j] === -1) sink = j;
    else i = colToRow[j]!;
  }
  // Dual update keeps reduced costs ≥ 0 and zero along the tree.
  u[cur] = u[cur]! + minVal;
  for (let r = 0; r < n; r++) {
    if (rowSeen[r] && r !== cur) u[r] = u[r]! + minVal - dist[rowToCol[r]!]!;
  }
  for (let c = 0; c < n; c++) {
    if (colSeen[c]) v[c] = v[c]! - (minVal - dist[c]!);
  }
  // Flip the alternating path back to `cur`.
  let j = sink;
  for (;;) {
    const r = pathRow[j]!;
    colToRow[j] = r;
    const prev = rowToCol[r]!;
    rowToCol[r] = j;
    if (r === cur) break;
    j = prev;
  }
}
