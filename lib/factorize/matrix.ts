// Float64 row-major matrices and the few operations the decompositions need
// on them. Heavy products go to the native float64 GEMM (as yielded ops).
import { dgemmOp, Gen } from './ops';

export interface Mat {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

export function mat(rows: number, cols: number, data?: Float64Array): Mat {
  return { data: data ?? new Float64Array(rows * cols), rows, cols };
}

export function transpose(a: Mat): Mat {
  const out = new Float64Array(a.rows * a.cols);
  const { rows, cols, data } = a;
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j];
  return mat(cols, rows, out);
}

/** op(A) op(B) in float64 on the native GEMM. */
export function* mul(a: Mat, b: Mat, transA = false, transB = false): Gen<Mat> {
  const m = transA ? a.cols : a.rows, k = transA ? a.rows : a.cols;
  const kb = transB ? b.cols : b.rows, n = transB ? b.rows : b.cols;
  if (k !== kb) throw new Error(`internal: product of ${m}x${k} and ${kb}x${n}`);
  const c = mat(m, n);
  if (m > 0 && n > 0) yield* dgemmOp({ a: a.data, b: b.data, c: c.data, m, n, k, transA, transB });
  return c;
}

export function frob2(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

/** ||a - b||_F^2 over equal-length arrays. */
export function diff2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

/** Columns [c0, c1) of a. */
export function colSlice(a: Mat, c0: number, c1: number): Mat {
  const w = c1 - c0;
  const out = new Float64Array(a.rows * w);
  for (let i = 0; i < a.rows; i++) out.set(a.data.subarray(i * a.cols + c0, i * a.cols + c1), i * w);
  return mat(a.rows, w, out);
}

/** Rows [r0, r1) of a (a copy). */
export function rowSlice(a: Mat, r0: number, r1: number): Mat {
  return mat(r1 - r0, a.cols, a.data.slice(r0 * a.cols, r1 * a.cols));
}

/** Standard normal samples from a seeded generator (Box-Muller on xoshiro128**). */
export function gaussian(rows: number, cols: number, next: () => number): Mat {
  const out = mat(rows, cols);
  const d = out.data;
  for (let i = 0; i < d.length; i += 2) {
    const u1 = (next() + 1) / 4294967297;
    const u2 = next() / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u1));
    d[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < d.length) d[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
