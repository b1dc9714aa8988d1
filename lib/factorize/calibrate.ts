// Data-aware decomposition: minimise the error of the layer's output on
// calibration activations X rather than the weight error. With the Gram
// matrix G = X^T X, ‖X (W - Ŵ)^T‖² = tr((W - Ŵ) G (W - Ŵ)^T) = ‖(W - Ŵ) L‖²
// for G = L L^T, so only G (N_in x N_in) is kept, however many tokens X has.
//
// Low rank: the truncated SVD of W L is optimal in that metric, and
// Ŵ = U_r S_r V_r^T L^{-1} stays low rank (activation-whitened SVD).
// TT, Tucker and CP are multilinear in their factors: alternating sweeps
// solve for one factor at a time with the others fixed, each a linear
// least-squares problem solved by conjugate gradients on its normal
// equations, started from the current factor and kept only if it lowers the
// output error, so a sweep never makes the layer worse.
import { frob2, Mat, mat, mul } from './matrix';
import { contractAll, denseWeight, Format, networkOf } from './network';
import { choleskyOp, Gen, trsmOp } from './ops';
import { svdTruncated } from './svd';
import { T64 } from './tensor64';
import { FactorData, FormatOptions, FormatResult } from './types';

/** G = X^T X (float64) for activations x [tokens, nIn]. */
export function* gramOf(x: Float32Array, tokens: number, nIn: number): Gen<Mat> {
  const x64 = mat(tokens, nIn, Float64Array.from(x.subarray(0, tokens * nIn)));
  return yield* mul(x64, x64, true, false);
}

/** Lower L with L L^T = G + λI, λ a small fraction of G's mean diagonal, grown until G + λI factors. */
export function* whitener(g: Mat): Gen<{ l: Mat; damping: number }> {
  const n = g.rows;
  let trace = 0;
  for (let i = 0; i < n; i++) trace += g.data[i * n + i];
  let damping = Math.max((1e-6 * trace) / Math.max(1, n), 1e-30);
  for (let attempt = 0; attempt < 40; attempt++, damping *= 10) {
    const a = Float64Array.from(g.data);
    for (let i = 0; i < n; i++) a[i * n + i] += damping;
    if ((yield* choleskyOp(a, n)) === -1) return { l: mat(n, n, a), damping };
  }
  throw new RangeError('calibration: the activations\' Gram matrix could not be factored (non-finite values?)');
}

/** tr(E G E^T) = Σ (E G) ∘ E. */
export function* weightedNorm2(e: Mat, g: Mat): Gen<number> {
  const eg = yield* mul(e, g);
  let s = 0;
  for (let i = 0; i < eg.data.length; i++) s += eg.data[i] * e.data[i];
  return Math.max(0, s);
}

/** Low rank, minimising the output error: the truncated SVD of W L, mapped back by L^{-1}. */
export function* lowrankCalibrated(w: Mat, g: Mat, o: FormatOptions): Gen<FormatResult> {
  const full = Math.min(w.rows, w.cols);
  let cap = o.ranks?.[0] ?? full;
  if (cap > full) {
    o.warn(`${o.fn}: rank ${cap} exceeds what a ${w.rows} x ${w.cols} weight allows; clipped to ${full}`);
    cap = full;
  }
  const { l, damping } = yield* whitener(g);
  const wl = yield* mul(w, l);
  const maxTail2 = o.maxError === undefined ? undefined : o.maxError * o.maxError * frob2(wl.data);
  const d = yield* svdTruncated(wl, { maxRank: cap, maxTail2, method: o.method, seed: o.seed });
  const r = d.s.length;
  // V' = V_r^T L^{-1}: solve V' L = V_r^T.
  const vp = Float64Array.from(d.vt.data);
  if (!(yield* trsmOp({ t: l.data, b: vp, n: l.rows, nrhs: r, left: false, lower: true, trans: false })))
    throw new RangeError(`${o.fn}: the calibration whitening is singular`);
  // Balance each rank-one term: equal norms for U's column and V's row.
  const n = w.cols;
  const uf = new Float64Array(w.rows * r), vf = new Float64Array(r * n);
  for (let c = 0; c < r; c++) {
    let vn = 0;
    for (let j = 0; j < n; j++) vn += vp[c * n + j] ** 2;
    vn = Math.sqrt(vn);
    const alpha = vn > 0 ? Math.sqrt(vn) : 1;
    const fu = Math.sqrt(d.s[c]) * alpha, fv = Math.sqrt(d.s[c]) / alpha;
    for (let i = 0; i < w.rows; i++) uf[i * r + c] = d.u.data[i * r + c] * fu;
    for (let j = 0; j < n; j++) vf[c * n + j] = vp[c * n + j] * fv;
  }
  return {
    format: 'lowrank',
    factors: [
      { name: 'U', shape: [w.rows, r], data: uf },
      { name: 'V', shape: [r, n], data: vf },
    ],
    ranks: [r],
    details: { svd: d.randomized ? 'randomized' : 'exact', jacobiSweeps: d.status.sweeps, whitening: 'cholesky', damping },
  };
}

export interface RefineOptions {
  readonly sweeps: number;
  readonly cgIterations: number;
}

function denseOf(format: Format, o: FormatOptions, factors: readonly FactorData[], k = -1, fk?: Float64Array): Gen<Mat> {
  return denseWeight(format, o.inShape, o.outShape, factors, k >= 0 ? { index: k, data: fk! } : undefined);
}

/** The gradient map of factor k: D (N_out x N_in) contracted with every other factor. */
function* adjointOf(format: Format, o: FormatOptions, factors: readonly FactorData[], k: number, d: Mat): Gen<Float64Array> {
  const net = networkOf(format, o.inShape, o.outShape, factors);
  const ops: { t: T64; ids: string }[] = [{ t: { data: d.data, shape: [...o.outShape, ...o.inShape] }, ids: net.outIds + net.inIds }];
  factors.forEach((f, i) => {
    if (i !== k) ops.push({ t: { data: f.data, shape: f.shape }, ids: net.factorIds[i] });
  });
  return (yield* contractAll(ops, net.factorIds[k])).data;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Alternating sweeps over the factors, each minimising ‖(W - Ŵ) L‖ by CG. Returns the factors and the relative output error after each sweep. */
export function* refineCalibrated(
  format: Format,
  w: Mat,
  g: Mat,
  start: readonly FactorData[],
  o: FormatOptions,
  r: RefineOptions,
): Gen<{ factors: FactorData[]; history: number[] }> {
  const factors = start.map((f) => ({ ...f, data: Float64Array.from(f.data) }));
  const wg = yield* mul(w, g);
  const ref2 = Math.max(dot(wg.data, w.data), 1e-300);
  const objective = function* (k: number, fk: Float64Array): Gen<number> {
    const e = yield* denseOf(format, o, factors, k, fk);
    for (let i = 0; i < e.data.length; i++) e.data[i] = w.data[i] - e.data[i];
    return yield* weightedNorm2(e, g);
  };
  let current = yield* objective(-1, new Float64Array(0));
  const history = [Math.sqrt(current / ref2)];
  for (let sweep = 0; sweep < r.sweeps; sweep++) {
    for (let k = 0; k < factors.length; k++) {
      // Normal equations A_k^*(A_k(f) G) = A_k^*(W G), by CG from the current factor.
      const apply = function* (f: Float64Array): Gen<Float64Array> {
        const e = yield* denseOf(format, o, factors, k, f);
        return yield* adjointOf(format, o, factors, k, yield* mul(e, g));
      };
      const b = yield* adjointOf(format, o, factors, k, wg);
      const x = Float64Array.from(factors[k].data);
      const hx = yield* apply(x);
      const res = b.map((v, i) => v - hx[i]);
      const p = Float64Array.from(res);
      let rs = dot(res, res);
      const stop = 1e-10 * dot(b, b);
      for (let it = 0; it < r.cgIterations && rs > stop; it++) {
        const hp = yield* apply(p);
        const php = dot(p, hp);
        if (!(php > 0)) break;
        const alpha = rs / php;
        for (let i = 0; i < x.length; i++) {
          x[i] += alpha * p[i];
          res[i] -= alpha * hp[i];
        }
        const rsNew = dot(res, res);
        const beta = rsNew / rs;
        rs = rsNew;
        for (let i = 0; i < p.length; i++) p[i] = res[i] + beta * p[i];
      }
      const trial = yield* objective(k, x);
      if (trial < current) {
        factors[k] = { ...factors[k], data: x };
        current = trial;
      }
    }
    history.push(Math.sqrt(current / ref2));
  }
  return { factors, history };
}

