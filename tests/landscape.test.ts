import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../src/cli/tf-node';
import { coordinateGrid } from '../src/engine/inr';
import { initModel, type MlpArch } from '../src/engine/model';
import { createRng } from '../src/engine/rng';
import {
  directionCurve,
  directionPlane,
  filterNormalizedDirection,
  offsetModel,
} from '../src/engine/landscape/directions';
import { readFileSync } from 'node:fs';
import { addGramNT, addGramUpper, useSimdGram } from '../src/engine/gram';
import { GRAM_WASM_BASE64 } from '../src/engine/wasm/gram-wasm';
import { symmetricEigen } from '../src/engine/landscape/eigen';
import { pca, project } from '../src/engine/landscape/pca';
import {
  PlaneError,
  lossPlane,
  planeBasis,
  planeModel,
  projectOntoPlane,
} from '../src/engine/landscape/plane';
import { evaluateModelsCpu } from '../src/engine/paths/evaluate-cpu';
import type { RegressionData } from '../src/engine/data/eval-data';
import { lerpModels } from '../src/engine/paths/interpolate';
import { modelVector } from '../src/engine/paths/vector';

const siren: MlpArch = { widths: [2, 8, 8, 1], activation: 'sine', w0: 30 };

function image(size: number): RegressionData {
  const x = coordinateGrid(size, size);
  const y = new Float32Array(size * size);
  for (let i = 0; i < size * size; i++)
    y[i] = 0.5 + 0.4 * Math.sin(3 * x[2 * i]!) * Math.cos(2 * x[2 * i + 1]!);
  return { kind: 'regression', x, y, n: size * size, inputs: 2, channels: 1 };
}

/** N points in D dimensions with distinct spreads per axis, shifted off the origin. */
function cloud(n: number, d: number, seed: number): Float64Array[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () =>
    Float64Array.from({ length: d }, (_, j) => 3 + (d - j) * rng.normal()),
  );
}

/** A random orthogonal D×D matrix: Gram–Schmidt on Gaussian columns (rows returned). */
function randomOrthogonal(d: number, seed: number): Float64Array[] {
  const rng = createRng(seed);
  const q: Float64Array[] = [];
  while (q.length < d) {
    const v = Float64Array.from({ length: d }, () => rng.normal());
    for (let pass = 0; pass < 2; pass++) {
      for (const u of q) {
        let s = 0;
        for (let i = 0; i < d; i++) s += v[i]! * u[i]!;
        for (let i = 0; i < d; i++) v[i] = v[i]! - s * u[i]!;
      }
    }
    const n = Math.hypot(...v);
    q.push(v.map((x) => x / n));
  }
  return q;
}

/**
 * Independent reference: top-k eigenpairs of the D×D scatter matrix XᵀX of the centred data by
 * power iteration with deflation (a different route from pca's N×N Gram + Jacobi).
 */
function powerReference(points: Float64Array[], k: number): { variances: number[]; vectors: Float64Array[] } {
  const n = points.length;
  const d = points[0]!.length;
  const mean = new Float64Array(d);
  for (const p of points) for (let j = 0; j < d; j++) mean[j] = mean[j]! + p[j]! / n;
  const c = new Float64Array(d * d);
  for (const p of points)
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) c[i * d + j] = c[i * d + j]! + (p[i]! - mean[i]!) * (p[j]! - mean[j]!);
  const variances: number[] = [];
  const vectors: Float64Array[] = [];
  for (let m = 0; m < k; m++) {
    let v = Float64Array.from({ length: d }, (_, i) => 1 + i * 0.01);
    let lambda = 0;
    for (let it = 0; it < 5000; it++) {
      const w = new Float64Array(d);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) w[i] = w[i]! + c[i * d + j]! * v[j]!;
      const norm = Math.hypot(...w);
      const next = w.map((x) => x / norm);
      const change = Math.hypot(...next.map((x, i) => x - v[i]!));
      v = next;
      lambda = norm;
      if (change < 1e-15) break;
    }
    variances.push(lambda / (n - 1));
    vectors.push(v);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) c[i * d + j] = c[i * d + j]! - lambda * v[i]! * v[j]!;
  }
  return { variances, vectors };
}

beforeAll(async () => {
  await initNodeBackend('cpu');
});

describe('symmetric eigendecomposition (Householder + implicit QR)', () => {
  /** max |A − VΛVᵀ| and max |VVᵀ − I|, both relative to the largest |eigenvalue| (or 1). */
  function residuals(a: Float64Array, n: number): { recon: number; ortho: number; values: Float64Array } {
    const { values, vectors } = symmetricEigen(a, n);
    const scale = Math.max(1, ...Array.from(values, Math.abs));
    let recon = 0;
    let ortho = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let r = 0;
        let o = 0;
        for (let m = 0; m < n; m++) {
          r += values[m]! * vectors[m]![i]! * vectors[m]![j]!;
          o += vectors[i]![m]! * vectors[j]![m]!;
        }
        recon = Math.max(recon, Math.abs(r - a[i * n + j]!) / scale);
        ortho = Math.max(ortho, Math.abs(o - (i === j ? 1 : 0)));
      }
    }
    return { recon, ortho, values };
  }

  it('reconstructs a random symmetric matrix: A = V Λ Vᵀ, V orthonormal, values descending', () => {
    const n = 9;
    const rng = createRng(1);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = rng.normal();
    const { recon, ortho, values } = residuals(a, n);
    for (let i = 1; i < n; i++) expect(values[i]!).toBeLessThanOrEqual(values[i - 1]!);
    expect(recon).toBeLessThan(1e-12);
    expect(ortho).toBeLessThan(1e-12);
  });

  it('is exact on large, degenerate and already-reduced matrices', () => {
    const rng = createRng(3);
    // n = 120 random symmetric.
    const n = 120;
    const big = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) big[i * n + j] = big[j * n + i] = rng.normal();
    let r = residuals(big, n);
    expect(r.recon).toBeLessThan(1e-12);
    expect(r.ortho).toBeLessThan(1e-12);
    // Repeated eigenvalues (3, 3, 3, 1, 1, 0, …) in a random basis: Q diag Qᵀ with Q from a Gram–Schmidt.
    const m = 12;
    const q: Float64Array[] = [];
    while (q.length < m) {
      const v = Float64Array.from({ length: m }, () => rng.normal());
      for (const u of q) {
        let d = 0;
        for (let k = 0; k < m; k++) d += u[k]! * v[k]!;
        for (let k = 0; k < m; k++) v[k] = v[k]! - d * u[k]!;
      }
      const norm = Math.hypot(...v);
      q.push(v.map((x) => x / norm));
    }
    const spectrum = [3, 3, 3, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    const degenerate = new Float64Array(m * m);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++)
        for (let k = 0; k < m; k++)
          degenerate[i * m + j] = degenerate[i * m + j]! + spectrum[k]! * q[k]![i]! * q[k]![j]!;
    r = residuals(degenerate, m);
    expect(r.recon).toBeLessThan(1e-13);
    expect(r.ortho).toBeLessThan(1e-13);
    spectrum.forEach((lambda, k) => expect(Math.abs(r.values[k]! - lambda)).toBeLessThan(1e-13));
    // Diagonal (nothing to reduce), zero, 1×1, and a tridiagonal with a zero off-diagonal.
    const diag = new Float64Array(25);
    [5, -2, 7, 0, 1].forEach((x, i) => (diag[i * 5 + i] = x));
    expect(Array.from(symmetricEigen(diag, 5).values)).toEqual([7, 5, 1, 0, -2]);
    expect(residuals(new Float64Array(16), 4).recon).toBe(0);
    expect(Array.from(symmetricEigen(Float64Array.of(-4), 1).values)).toEqual([-4]);
    const split = Float64Array.from([2, 1, 0, 0, 1, 2, 0, 0, 0, 0, 5, 1, 0, 0, 1, 5]);
    r = residuals(split, 4);
    expect(r.recon).toBeLessThan(1e-14);
    expect(Array.from(r.values, (x) => Number(x.toFixed(12)))).toEqual([6, 4, 3, 1]);
  });
});

describe('Gram kernels', () => {
  it('addGramUpper equals the naive product on the upper triangle, ragged sizes included', () => {
    const rng = createRng(4);
    for (const [n, k] of [
      [1, 3],
      [5, 7],
      [8, 1],
      [13, 33],
    ] as const) {
      const x = Float64Array.from({ length: n * k }, () => rng.normal());
      const out = new Float64Array(n * n).fill(0.25);
      addGramUpper(x, n, k, out);
      for (let i = 0; i < n; i++) {
        for (let j = i; j < n; j++) {
          let s = 0.25;
          for (let t = 0; t < k; t++) s += x[i * k + t]! * x[j * k + t]!;
          expect(Math.abs(out[i * n + j]! - s)).toBeLessThan(1e-12);
        }
      }
    }
  });
});

describe('the WebAssembly SIMD Gram kernel', () => {
  it('equals the JavaScript kernel (general and upper-triangle products, ragged sizes, float32 and float64 inputs)', () => {
    const rng = createRng(8);
    for (const [n, m, k] of [
      [37, 45, 131],
      [513, 7, 301],
      [5, 300, 401],
      [64, 64, 64],
    ] as const) {
      const x = Float64Array.from({ length: n * k }, () => rng.normal());
      const y = Float32Array.from({ length: m * k }, () => rng.normal());
      const run = (simd: boolean, f: (out: Float64Array) => void, len: number): Float64Array => {
        useSimdGram(simd);
        const out = new Float64Array(len).fill(0.5);
        f(out);
        return out;
      };
      try {
        const a = run(true, (o) => addGramNT(x, y, n, m, k, o), n * m);
        const b = run(false, (o) => addGramNT(x, y, n, m, k, o), n * m);
        a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(1e-11));
        const ua = run(true, (o) => addGramUpper(x, n, k, o), n * n);
        const ub = run(false, (o) => addGramUpper(x, n, k, o), n * n);
        for (let i = 0; i < n; i++)
          for (let j = i; j < n; j++) expect(Math.abs(ua[i * n + j]! - ub[i * n + j]!)).toBeLessThan(1e-11);
      } finally {
        useSimdGram(true);
      }
    }
  });

  it('the committed module is the one gram.wat compiles to (npm run wasm)', async () => {
    const wabt = await (await import('wabt')).default();
    const mod = wabt.parseWat('gram.wat', readFileSync('src/engine/wasm/gram.wat', 'utf8'), { simd: true });
    const { buffer } = mod.toBinary({});
    mod.destroy();
    expect(Buffer.from(buffer).toString('base64')).toBe(GRAM_WASM_BASE64);
  });
});

describe('PCA of a weight cloud', () => {
  it('matches an independent power-iteration reference on XᵀX', () => {
    const pts = cloud(14, 6, 2);
    const r = pca(pts, 3);
    const ref = powerReference(pts, 3);
    expect(r.available).toBe(3);
    for (let j = 0; j < 3; j++) {
      expect(Math.abs(r.explainedVariance[j]! - ref.variances[j]!)).toBeLessThan(1e-6);
      let dot = 0;
      for (let i = 0; i < 6; i++) dot += r.components[j]![i]! * ref.vectors[j]![i]!;
      expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(1e-6);
    }
    const ratioSum = r.explainedVarianceRatio.reduce((s, x) => s + x, 0);
    expect(ratioSum).toBeLessThanOrEqual(1 + 1e-12);
    expect(r.explainedVarianceRatio[0]!).toBeCloseTo(r.explainedVariance[0]! / r.totalVariance, 12);
  });

  it('spans many cache tiles (D ≫ tile) and still equals the naive Gram eigendecomposition', () => {
    const n = 37;
    const d = 6001; // tiles of ⌊2¹⁶ / 37⌋ = 1771 columns: three full and one ragged
    const pts = cloud(n, d, 5).map((p) => Float32Array.from(p));
    const r = pca(pts, 4);
    const mean = new Float64Array(d);
    for (const p of pts) for (let j = 0; j < d; j++) mean[j] = mean[j]! + p[j]! / n;
    const g = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < d; t++) s += (pts[i]![t]! - mean[t]!) * (pts[j]![t]! - mean[t]!);
        g[i * n + j] = s;
      }
    }
    const ref = symmetricEigen(g, n).values;
    for (let j = 0; j < 4; j++)
      expect(Math.abs(r.explainedVariance[j]! - ref[j]! / (n - 1)) / r.explainedVariance[0]!).toBeLessThan(
        1e-12,
      );
    pts.forEach((p, i) =>
      project(r, p).forEach((c, j) =>
        expect(Math.abs(c - r.coords[i]![j]!)).toBeLessThan(1e-8 * Math.sqrt(r.explainedVariance[0]!)),
      ),
    );
  });

  it('follows a rotation of the points: same coordinates up to sign, same variances', () => {
    const d = 30;
    const pts = cloud(10, d, 3);
    const q = randomOrthogonal(d, 4);
    const rotated = pts.map((p) => Float64Array.from(q, (row) => row.reduce((s, x, j) => s + x * p[j]!, 0)));
    const a = pca(pts, 4);
    const b = pca(rotated, 4);
    for (let j = 0; j < 4; j++) {
      expect(Math.abs(a.explainedVariance[j]! - b.explainedVariance[j]!)).toBeLessThan(
        1e-8 * a.explainedVariance[0]!,
      );
      const sign = Math.sign(a.coords[0]![j]!) === Math.sign(b.coords[0]![j]!) ? 1 : -1;
      for (let i = 0; i < pts.length; i++)
        expect(Math.abs(a.coords[i]![j]! - sign * b.coords[i]![j]!)).toBeLessThan(1e-8);
    }
  });

  it('project reproduces the coordinates of the points it was fitted on', () => {
    const pts = cloud(12, 40, 5).map((p) => Float32Array.from(p));
    const r = pca(pts, 3);
    pts.forEach((p, i) => {
      const c = project(r, p);
      for (let j = 0; j < 3; j++)
        expect(Math.abs(c[j]! - r.coords[i]![j]!)).toBeLessThan(1e-9 * Math.sqrt(r.totalVariance));
    });
    for (const u of r.components) expect(Math.hypot(...u)).toBeCloseTo(1, 12);
  });

  it('N = 1, N = 2 and duplicate points: fewer components, zero padding, no NaN', () => {
    const one = pca([Float32Array.from([1, 2, 3])], 3);
    expect(one.available).toBe(0);
    expect(one.coords).toEqual([[0, 0, 0]]);
    expect(one.explainedVariance).toEqual([0, 0, 0]);
    expect(project(one, Float32Array.from([5, 5, 5]))).toEqual([0, 0, 0]);

    const two = pca([Float32Array.from([0, 0, 0]), Float32Array.from([3, 4, 0])], 3);
    expect(two.available).toBe(1);
    expect(Math.abs(two.coords[0]![0]! - two.coords[1]![0]!)).toBeCloseTo(5, 10);
    expect(two.explainedVariance[0]!).toBeCloseTo(12.5, 10);
    expect(two.explainedVarianceRatio[0]!).toBeCloseTo(1, 12);
    expect(two.explainedVarianceRatio.slice(1)).toEqual([0, 0]);
    expect(two.coords[0]!.slice(1)).toEqual([0, 0]);

    const p = Float32Array.from([1, -1, 2]);
    const dup = pca([p, p, p, p], 2);
    expect(dup.available).toBe(0);
    expect(dup.totalVariance).toBe(0);
    expect(dup.coords.flat().every((x) => x === 0)).toBe(true);
    expect(dup.explainedVarianceRatio).toEqual([0, 0]);

    // Three points on a line: one direction only, even though N − 1 = 2.
    const line = pca(
      [0, 1, 3].map((t) => Float32Array.from([t, 2 * t, -t])),
      3,
    );
    expect(line.available).toBe(1);
    expect(line.coords.flat().every(Number.isFinite)).toBe(true);
  });
});

describe('loss plane through three models', () => {
  const models = [1, 2, 3].map((s) => initModel(siren, s));

  it('anchors land exactly on their plane coordinates, and rebuild to themselves', () => {
    const basis = planeBasis(models);
    expect(basis.anchors[0]).toEqual({ x: 0, y: 0 });
    expect(basis.anchors[2]!.y).toBe(0);
    models.forEach((m, i) => {
      const p = projectOntoPlane(basis, m);
      const scale = basis.anchors[2]!.x;
      expect(Math.abs(p.x - basis.anchors[i]!.x)).toBeLessThan(1e-6 * scale);
      expect(Math.abs(p.y - basis.anchors[i]!.y)).toBeLessThan(1e-6 * scale);
      expect(p.distance).toBeLessThan(1e-6 * scale);
      const back = modelVector(planeModel(basis, basis.anchors[i]!.x, basis.anchors[i]!.y));
      const w = modelVector(m);
      for (let j = 0; j < w.length; j++) expect(Math.abs(back[j]! - w[j]!)).toBeLessThan(1e-6);
    });
    // A lerp sample between anchors 0 and 2 projects onto the u axis.
    const mid = projectOntoPlane(basis, lerpModels(models[0]!, models[2]!, 0.25));
    expect(mid.x).toBeCloseTo(0.25 * basis.anchors[2]!.x, 5);
    expect(Math.abs(mid.y)).toBeLessThan(1e-5);
  });

  it('grid values equal direct evaluation of the model at that point; no leaks', async () => {
    const data = image(8);
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    const plane = await lossPlane(models, data, { nx: 7, ny: 5, chunk: 8, onProgress: (d) => seen.push(d) });
    expect(tf.memory().numTensors).toBe(before);
    expect(seen[seen.length - 1]).toBe(35);
    expect(plane.loss.length).toBe(35);
    // Margin 0.2 of the bounding box on each side.
    const ax = plane.anchors.map((p) => p.x);
    const ex = Math.max(...ax) - Math.min(...ax);
    expect(plane.xs[0]!).toBeCloseTo(Math.min(...ax) - 0.2 * ex, 10);
    expect(plane.xs[6]!).toBeCloseTo(Math.max(...ax) + 0.2 * ex, 10);
    const rng = createRng(7);
    for (let trial = 0; trial < 6; trial++) {
      const ix = rng.int(7);
      const iy = rng.int(5);
      const ref = evaluateModelsCpu([planeModel(plane.basis, plane.xs[ix]!, plane.ys[iy]!)], data);
      expect(Math.abs(plane.loss[iy * 7 + ix]! - ref.loss[0]!)).toBeLessThan(
        1e-5 * Math.max(1, ref.loss[0]!),
      );
    }
  });

  it('fewer than three models, identical or collinear anchors: a PlaneError that says why', () => {
    expect(() => planeBasis(models.slice(0, 2))).toThrow(PlaneError);
    expect(() => planeBasis([models[0]!, models[1]!, models[0]!])).toThrow(/identical/);
    const onLine = lerpModels(models[0]!, models[2]!, 0.3);
    expect(() => planeBasis([models[0]!, onLine, models[2]!])).toThrow(/collinear/);
  });
});

describe('filter-normalised random directions (Li et al. 2018)', () => {
  const model = initModel(siren, 4);

  it('each row of each weight has the model row’s norm; biases get zero', () => {
    const d = filterNormalizedDirection(model, createRng(1));
    for (const [name, t] of Object.entries(model.params)) {
      const dir = d.params[name]!;
      if (name.endsWith('.bias')) {
        expect(dir.data.every((x) => x === 0)).toBe(true);
        continue;
      }
      const [out, inp] = t.shape as [number, number];
      for (let r = 0; r < out; r++) {
        const nw = Math.hypot(...t.data.subarray(r * inp, (r + 1) * inp));
        const nd = Math.hypot(...dir.data.subarray(r * inp, (r + 1) * inp));
        expect(Math.abs(nd - nw)).toBeLessThan(1e-5 * Math.max(nw, 1e-3));
      }
    }
    expect(modelVector(offsetModel(model, [d], [0]))).toEqual(modelVector(model));
  });

  it('the 1-D curve and 2-D grid pass through the model at 0 and match direct evaluation', async () => {
    const data = image(8);
    const before = tf.memory().numTensors;
    const curve = await directionCurve(model, data, { points: 5, seed: 2 });
    const surface = await directionPlane(model, data, { nx: 5, ny: 3, seed: 2 });
    expect(tf.memory().numTensors).toBe(before);
    const at0 = evaluateModelsCpu([model], data).loss[0]!;
    expect(curve.alphas[2]).toBe(0);
    expect(Math.abs(curve.loss[2]! - at0)).toBeLessThan(1e-6);
    expect(Math.abs(surface.loss[1 * 5 + 2]! - at0)).toBeLessThan(1e-6);
    const ref = evaluateModelsCpu([offsetModel(model, [curve.direction], [curve.alphas[0]!])], data).loss[0]!;
    expect(Math.abs(curve.loss[0]! - ref)).toBeLessThan(1e-5 * Math.max(1, ref));
    const [d1, d2] = surface.directions;
    const ref2 = evaluateModelsCpu([offsetModel(model, [d1, d2], [surface.xs[4]!, surface.ys[0]!])], data)
      .loss[0]!;
    expect(Math.abs(surface.loss[0 * 5 + 4]! - ref2)).toBeLessThan(1e-5 * Math.max(1, ref2));
  });
});
