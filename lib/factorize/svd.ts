// SVD and QR wrappers over the native float64 kernels, and the truncated SVD
// the formats share: exact (one-sided Jacobi) for moderate sizes, randomized
// (Halko, Martinsson and Tropp: Gaussian range finder with power iterations,
// re-orthonormalised by QR) when the matrix is large and the rank it needs is
// small next to it.
import { xoshiro128 } from '../tensor';
import { frob2, gaussian, Mat, mat, mul } from './matrix';
import { Gen, qrOp, svdOp, SvdStatus } from './ops';

export interface Svd {
  /** m x k, orthonormal columns. */
  readonly u: Mat;
  /** k values, decreasing. */
  readonly s: Float64Array;
  /** k x n, orthonormal rows. */
  readonly vt: Mat;
  readonly status: SvdStatus;
}

/** The thin SVD, k = min(m, n). */
export function* svdExact(a: Mat): Gen<Svd> {
  const k = Math.min(a.rows, a.cols);
  const u = mat(a.rows, k), vt = mat(k, a.cols), s = new Float64Array(k);
  const status = k > 0 ? yield* svdOp({ a: a.data, m: a.rows, n: a.cols, u: u.data, s, vt: vt.data }) : { sweeps: 0, converged: true };
  return { u, s, vt, status };
}

/** A = Q R (thin, k = min(m, n)); with `pivot`, A P = Q R. */
export function* qrThin(a: Mat, pivot = false): Gen<{ q: Mat; r: Mat; perm: Int32Array }> {
  const k = Math.min(a.rows, a.cols);
  const q = mat(a.rows, k), r = mat(k, a.cols), perm = new Int32Array(a.cols);
  if (k > 0) yield* qrOp({ a: a.data, m: a.rows, n: a.cols, pivot, q: q.data, r: r.data, perm });
  return { q, r, perm };
}

/** Orthonormal basis of the columns of y (m x l, m >= l). */
function* orth(y: Mat): Gen<Mat> {
  return (yield* qrThin(y)).q;
}

export interface RandomizedOptions {
  oversample?: number;
  power?: number;
  seed?: number;
}

/** Rank-k approximation by the randomized range finder. */
export function* svdRandomized(a: Mat, k: number, opts: RandomizedOptions = {}): Gen<Svd> {
  const { rows: m, cols: n } = a;
  const l = Math.min(m, n, k + (opts.oversample ?? 10));
  const next = xoshiro128(opts.seed ?? 0x5eed);
  // Range of A: Q spans A * Omega, sharpened by power iterations (A A^T)^q,
  // each half-step re-orthonormalised so small directions survive rounding.
  let q = yield* orth(yield* mul(a, gaussian(n, l, next)));
  for (let i = 0; i < (opts.power ?? 2); i++) {
    const z = yield* orth(yield* mul(a, q, true, false));
    q = yield* orth(yield* mul(a, z));
  }
  const b = yield* mul(q, a, true, false); // l x n
  const small = yield* svdExact(b);
  const u = yield* mul(q, small.u);
  const kk = Math.min(k, small.s.length);
  return truncate({ u, s: small.s, vt: small.vt, status: small.status }, kk);
}

/** The first k singular triplets of a decomposition. */
export function truncate(d: Svd, k: number): Svd {
  const { u, s, vt } = d;
  if (k === s.length) return d;
  const uk = mat(u.rows, k);
  for (let i = 0; i < u.rows; i++) uk.data.set(u.data.subarray(i * u.cols, i * u.cols + k), i * k);
  return { u: uk, s: s.slice(0, k), vt: mat(k, vt.cols, vt.data.slice(0, k * vt.cols)), status: d.status };
}

/** Matrices whose smaller side is at most this use the exact SVD. */
export const EXACT_SVD_MAX = 1024;

export interface TruncatedSvd extends Svd {
  /** Squared Frobenius norm of what truncation dropped: ||A - U S V^T||^2. */
  readonly tail2: number;
  /** True when a randomized SVD was used. */
  readonly randomized: boolean;
}

export interface TruncateSpec {
  /** Largest rank kept. */
  readonly maxRank: number;
  /** Keep the smallest rank whose dropped energy is at most this (absolute, squared); absent: keep maxRank. */
  readonly maxTail2?: number;
  /** 'auto' (default), 'exact' or 'randomized'. */
  readonly method?: SvdMethod;
  readonly seed?: number;
}

export type SvdMethod = 'auto' | 'exact' | 'randomized';

/** Smallest r <= maxRank (and >= 1) whose tail energy is at most maxTail2. */
function chooseRank(s: Float64Array, total2: number, maxRank: number, maxTail2: number | undefined): number {
  const cap = Math.max(1, Math.min(maxRank, s.length));
  if (maxTail2 === undefined) return cap;
  let kept = 0;
  for (let r = 1; r <= cap; r++) {
    kept += s[r - 1] * s[r - 1];
    if (total2 - kept <= maxTail2) return r;
  }
  return cap;
}

/**
 * The best rank-r approximation, r chosen by `spec`. With 'auto', randomized
 * when the smaller side exceeds EXACT_SVD_MAX and the rank is at most a
 * quarter of it; with an error target the sketch doubles from 64 until the
 * target is met, and the exact SVD takes over if that needs more than a
 * quarter of the smaller side.
 */
export function* svdTruncated(a: Mat, spec: TruncateSpec): Gen<TruncatedSvd> {
  const small = Math.min(a.rows, a.cols);
  const total2 = frob2(a.data);
  const method = spec.method ?? 'auto';
  const cap = Math.max(1, Math.min(spec.maxRank, small));
  const target = spec.maxTail2;
  // 'auto' sketches a large matrix while the rank it needs stays below a
  // quarter of its smaller side; past that the exact SVD is cheaper.
  const limit = method === 'randomized' ? cap : Math.min(cap, Math.floor(small / 4));
  const useRandom = small > 0 && (method === 'randomized' || (method === 'auto' && small > EXACT_SVD_MAX && (cap <= small / 4 || target !== undefined)));
  if (useRandom) {
    let k = target !== undefined ? Math.min(limit, 64) : limit;
    for (;;) {
      const d = yield* svdRandomized(a, k, { seed: spec.seed });
      const r = chooseRank(d.s, total2, k, target);
      const tail2 = Math.max(0, total2 - frob2(d.s.subarray(0, r)));
      if (target === undefined || tail2 <= target || (k >= limit && method === 'randomized')) {
        const t = truncate(d, r);
        return { ...t, tail2, randomized: true };
      }
      if (k >= limit) break; // the target needs more than a sketch pays for
      k = Math.min(limit, k * 2);
    }
  }
  const d = yield* svdExact(a);
  const r = small === 0 ? 0 : chooseRank(d.s, total2, cap, target);
  const t = truncate(d, r);
  return { ...t, tail2: Math.max(0, total2 - frob2(t.s)), randomized: false };
}
