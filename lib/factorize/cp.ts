// CP (canonical polyadic) over the tensorized weight W[m_1..m_d, n_1..n_d]:
// W = Σ_r A_1[:, r] ∘ .. ∘ A_d[:, r] ∘ B_1[:, r] ∘ .. ∘ B_d[:, r], by
// alternating least squares from a fixed seed. Each factor in turn solves
// its least-squares problem exactly, A_j = MTTKRP_j · (⊙_{i≠j} A_i^T A_i)^+,
// until the relative error changes by less than the tolerance or the
// iteration limit is reached; both are reported. Column norms are carried
// separately during the sweeps and shared evenly among the factors at the end.
import { xoshiro128 } from '../tensor';
import { frob2, gaussian, Mat, mat, mul } from './matrix';
import { Gen } from './ops';
import { svdExact, svdTruncated } from './svd';
import { T64, unfold } from './tensor64';
import { FactorData, FormatOptions, FormatResult } from './types';

/** Gram matrix A^T A (R x R), in plain loops: R is small. */
function gram(a: Mat): Float64Array {
  const r = a.cols, g = new Float64Array(r * r);
  for (let i = 0; i < a.rows; i++) {
    const row = a.data.subarray(i * r, (i + 1) * r);
    for (let p = 0; p < r; p++) {
      const x = row[p];
      if (x === 0) continue;
      for (let q = p; q < r; q++) g[p * r + q] += x * row[q];
    }
  }
  for (let p = 0; p < r; p++) for (let q = 0; q < p; q++) g[p * r + q] = g[q * r + p];
  return g;
}

/**
 * Σ over every mode but j of t times the factors (matricized tensor times
 * Khatri-Rao product), [I_j, R]: one GEMM on the mode that shrinks most,
 * then a rank-wise contraction per remaining mode.
 */
export function* mttkrp(t: T64, factors: readonly Mat[], j: number): Gen<Mat> {
  const R = factors[0].cols;
  const others = t.shape.map((_, i) => i).filter((i) => i !== j);
  const f0 = others.reduce((a, b) => (t.shape[a] >= t.shape[b] ? a : b));
  const u = unfold(t, f0); // [I_f0, rest], rest in mode order
  let z = (yield* mul(factors[f0], mat(u.shape[0], u.shape[1], u.data), true, false)).data; // [R, rest]
  let dims = t.shape.map((_, i) => i).filter((i) => i !== f0);
  for (const i of others) {
    if (i === f0) continue;
    const pos = dims.indexOf(i);
    const pre = dims.slice(0, pos).reduce((p, m) => p * t.shape[m], 1);
    const n = t.shape[i];
    const post = dims.slice(pos + 1).reduce((p, m) => p * t.shape[m], 1);
    const out = new Float64Array(R * pre * post);
    const a = factors[i].data;
    for (let r = 0; r < R; r++)
      for (let p = 0; p < pre; p++) {
        const zo = ((r * pre + p) * n) * post, oo = (r * pre + p) * post;
        for (let x = 0; x < n; x++) {
          const f = a[x * R + r];
          if (f === 0) continue;
          const zx = zo + x * post;
          for (let q = 0; q < post; q++) out[oo + q] += f * z[zx + q];
        }
      }
    z = out;
    dims = dims.filter((m) => m !== i);
  }
  // z is [R, I_j].
  const ij = t.shape[j];
  const m = mat(ij, R);
  for (let r = 0; r < R; r++) for (let x = 0; x < ij; x++) m.data[x * R + r] = z[r * ij + x];
  return m;
}

/** x V^+ for a symmetric PSD V (R x R), through its SVD: directions below eps * s_max are dropped. */
function* solvePsd(x: Mat, v: Float64Array, r: number): Gen<Mat> {
  const d = yield* svdExact(mat(r, r, v));
  const cut = Math.max(d.s[0] ?? 0, 0) * r * 1e-13;
  // V^+ = V_s diag(1/s) U_s^T
  const inv = mat(r, r);
  for (let c = 0; c < r; c++) {
    if (!(d.s[c] > cut)) continue;
    const f = 1 / d.s[c];
    for (let p = 0; p < r; p++) {
      const vp = d.vt.data[c * r + p] * f;
      if (vp === 0) continue;
      for (let q = 0; q < r; q++) inv.data[p * r + q] += vp * d.u.data[q * r + c];
    }
  }
  return yield* mul(x, inv);
}

export interface CpState {
  factors: Mat[];
  lambda: Float64Array;
  error: number;
  iterations: number;
  converged: boolean;
}

/** CP-ALS at rank R. */
export function* cpAls(t: T64, R: number, o: FormatOptions): Gen<CpState> {
  const modes = t.shape.length;
  const total2 = frob2(t.data);
  const next = xoshiro128(o.seed >>> 0);
  // Start from each unfolding's leading left singular vectors (HOSVD), with
  // seeded Gaussian columns where a mode has fewer than R of them.
  const factors: Mat[] = [];
  for (let j = 0; j < modes; j++) {
    const u = unfold(t, j);
    const k = Math.min(R, u.shape[0]);
    const s = yield* svdTruncated(mat(u.shape[0], u.shape[1], u.data), { maxRank: k, method: 'exact' });
    const f = gaussian(u.shape[0], R, next);
    for (let i = 0; i < u.shape[0]; i++) {
      for (let c = 0; c < s.u.cols; c++) f.data[i * R + c] = s.u.data[i * s.u.cols + c];
      for (let c = s.u.cols; c < R; c++) f.data[i * R + c] /= Math.sqrt(u.shape[0]);
    }
    factors.push(f);
  }
  let lambda = new Float64Array(R).fill(1);
  const grams = factors.map(gram);
  const maxIter = o.iterations ?? 200;
  const tol = o.tolerance ?? 1e-6;
  let err = 1, iterations = 0, converged = false;
  for (iterations = 1; iterations <= maxIter; iterations++) {
    let m = mat(0, 0);
    for (let j = 0; j < modes; j++) {
      const v = new Float64Array(R * R).fill(1);
      for (let i = 0; i < modes; i++) if (i !== j) for (let p = 0; p < R * R; p++) v[p] *= grams[i][p];
      m = yield* mttkrp(t, factors, j);
      const a = yield* solvePsd(m, v, R);
      // Normalise columns; their norms become lambda.
      lambda = new Float64Array(R);
      for (let i = 0; i < a.rows; i++) for (let c = 0; c < R; c++) lambda[c] += a.data[i * R + c] ** 2;
      for (let c = 0; c < R; c++) lambda[c] = Math.sqrt(lambda[c]);
      for (let i = 0; i < a.rows; i++) for (let c = 0; c < R; c++) if (lambda[c] > 0) a.data[i * R + c] /= lambda[c];
      factors[j] = a;
      grams[j] = gram(a);
    }
    // ‖T - T̂‖² = ‖T‖² - 2<T, T̂> + ‖T̂‖², with <T, T̂> from the last MTTKRP.
    const last = factors[modes - 1];
    let inner = 0;
    for (let i = 0; i < last.rows; i++) for (let c = 0; c < R; c++) inner += lambda[c] * last.data[i * R + c] * m.data[i * R + c];
    let norm2 = 0;
    for (let p = 0; p < R; p++)
      for (let q = 0; q < R; q++) {
        let g = lambda[p] * lambda[q];
        for (let i = 0; i < modes; i++) g *= grams[i][p * R + q];
        norm2 += g;
      }
    const e = total2 > 0 ? Math.sqrt(Math.max(0, total2 - 2 * inner + norm2) / total2) : 0;
    const change = Math.abs(err - e);
    err = e;
    if (change < tol) {
      converged = true;
      break;
    }
  }
  return { factors, lambda, error: err, iterations: Math.min(iterations, maxIter), converged };
}

export function* cpDecompose(w: Mat, o: FormatOptions): Gen<FormatResult> {
  const d = o.inShape.length;
  const dims = [...o.outShape, ...o.inShape];
  const t: T64 = { data: w.data, shape: dims };
  const total = dims.reduce((p, x) => p * x, 1);
  // No tensor needs a CP rank above the product of all modes but the largest.
  const bound = total / Math.max(...dims);
  let cap = o.ranks?.[0];
  if (cap !== undefined && cap > bound) {
    o.warn(`${o.fn}: CP rank ${cap} exceeds ${bound}, the most a [${dims.join(', ')}] tensor needs; clipped to ${bound}`);
    cap = bound;
  }
  let state: CpState;
  const tried: { rank: number; error: number }[] = [];
  if (o.maxError === undefined) {
    state = yield* cpAls(t, cap ?? 1, o);
    tried.push({ rank: cap ?? 1, error: state.error });
  } else {
    // No closed form: double the rank until the error target is met.
    const limit = cap ?? bound;
    let r = 1;
    for (;;) {
      state = yield* cpAls(t, r, o);
      tried.push({ rank: r, error: state.error });
      if (state.error <= o.maxError || r >= limit) break;
      r = Math.min(limit, r * 2);
    }
    if (state.error > o.maxError)
      o.warn(`${o.fn}: CP reached relative error ${state.error.toPrecision(3)} at rank ${r}, above options.maxError ${o.maxError}`);
  }
  const R = state.factors[0].cols;
  const share = (c: number) => Math.pow(state.lambda[c], 1 / dims.length);
  const factors: FactorData[] = state.factors.map((f, j) => {
    const data = new Float64Array(f.data.length);
    for (let i = 0; i < f.rows; i++) for (let c = 0; c < R; c++) data[i * R + c] = f.data[i * R + c] * share(c);
    return { name: j < d ? `A${j + 1}` : `B${j - d + 1}`, shape: [f.rows, R], data };
  });
  return {
    format: 'cp',
    factors,
    ranks: [R],
    details: { alsIterations: state.iterations, converged: state.converged, alsError: state.error, ranksTried: tried },
  };
}
