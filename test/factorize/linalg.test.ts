// The native float64 linear algebra, through the binding, by the properties
// that define each factorization: orthonormal factors, reconstruction, and
// the singular values of matrices built with known ones (ill-conditioned,
// rank-deficient, zero), plus bounds checks at the native boundary.
import { describe, expect, it } from 'vitest';
import { native } from '../../lib/native';
import { xoshiro128 } from '../../lib/tensor';

function gaussian(rows: number, cols: number, seed: number): Float64Array {
  const next = xoshiro128(seed);
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < out.length; i++) {
    const u1 = (next() + 1) / 4294967297, u2 = next() / 4294967296;
    out[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  return out;
}

function matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number, transB = false): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const x = a[i * k + p];
      for (let j = 0; j < n; j++) c[i * n + j] += x * (transB ? b[j * k + p] : b[p * n + j]);
    }
  return c;
}

/** max |Q^T Q - I| over the k columns of m x k q. */
function orthError(q: Float64Array, m: number, k: number): number {
  let e = 0;
  for (let a = 0; a < k; a++)
    for (let b = 0; b < k; b++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += q[i * k + a] * q[i * k + b];
      e = Math.max(e, Math.abs(s - (a === b ? 1 : 0)));
    }
  return e;
}

function orthonormal(n: number, k: number, seed: number): Float64Array {
  const q = new Float64Array(n * k);
  native().qr({ a: gaussian(n, k, seed), m: n, n: k, q, r: new Float64Array(k * k) });
  return q;
}

/** m x n matrix with the given singular values. */
function withSpectrum(m: number, n: number, sigma: number[], seed: number): Float64Array {
  const k = Math.min(m, n);
  const u = orthonormal(m, k, seed), v = orthonormal(n, k, seed + 1);
  for (let i = 0; i < m; i++) for (let c = 0; c < k; c++) u[i * k + c] *= sigma[c];
  return matmul(u, v, m, k, n, true);
}

function svd(a: Float64Array, m: number, n: number) {
  const k = Math.min(m, n);
  const u = new Float64Array(m * k), s = new Float64Array(k), vt = new Float64Array(k * n);
  const status = native().svd({ a, m, n, u, s, vt });
  return { u, s, vt, status, k };
}

const SHAPES: [number, number][] = [[1, 1], [1, 7], [9, 1], [40, 40], [90, 33], [33, 90], [160, 120]];

describe('svd', () => {
  it.each(SHAPES)('%i x %i: orthonormal factors, reconstruction, known singular values at condition 1e12', (m, n) => {
    const k = Math.min(m, n);
    const spectra = {
      flat: Array.from({ length: k }, (_, i) => 1 + i / k),
      graded: Array.from({ length: k }, (_, i) => 10 ** ((-12 * i) / Math.max(1, k - 1))),
      deficient: Array.from({ length: k }, (_, i) => (i < Math.ceil(k / 3) ? 2 - i / k : 0)),
      zero: new Array<number>(k).fill(0),
    };
    for (const [name, sigma] of Object.entries(spectra)) {
      const a = withSpectrum(m, n, sigma, m * 100 + n);
      const r = svd(a, m, n);
      expect(r.status.converged, name).toBe(true);
      expect(orthError(r.u, m, k), `${name} U`).toBeLessThan(1e-12);
      const v = new Float64Array(n * k);
      for (let c = 0; c < k; c++) for (let j = 0; j < n; j++) v[j * k + c] = r.vt[c * n + j];
      expect(orthError(v, n, k), `${name} V`).toBeLessThan(1e-12);
      const sorted = [...sigma].sort((x, y) => y - x);
      for (let c = 0; c < k; c++) {
        // One-sided Jacobi keeps small singular values to relative accuracy.
        expect(Math.abs(r.s[c] - sorted[c]), `${name} sigma ${c}`).toBeLessThanOrEqual(1e-9 * sorted[c] + 1e-14 * sorted[0]);
        if (c) expect(r.s[c]).toBeLessThanOrEqual(r.s[c - 1]);
      }
      const us = new Float64Array(m * k);
      for (let i = 0; i < m; i++) for (let c = 0; c < k; c++) us[i * k + c] = r.u[i * k + c] * r.s[c];
      const rec = matmul(us, r.vt, m, k, n);
      let err = 0, norm = 0;
      for (let i = 0; i < a.length; i++) {
        err += (rec[i] - a[i]) ** 2;
        norm += a[i] ** 2;
      }
      expect(Math.sqrt(err), name).toBeLessThanOrEqual(1e-13 * Math.sqrt(norm) + 1e-300);
    }
  });

  it('gives the same result sync and async', async () => {
    const a = gaussian(70, 50, 3);
    const sync = svd(a, 70, 50);
    const u = new Float64Array(70 * 50), s = new Float64Array(50), vt = new Float64Array(50 * 50);
    const st = await native().svdAsync({ a, m: 70, n: 50, u, s, vt });
    expect(st).toEqual(sync.status);
    expect(s).toEqual(sync.s);
    expect(u).toEqual(sync.u);
  });
});

describe('qr', () => {
  it.each(SHAPES)('%i x %i: Q orthonormal, A P = Q R, pivots in decreasing |R_ii|', (m, n) => {
    const k = Math.min(m, n);
    for (const pivot of [false, true]) {
      const a = gaussian(m, n, m + 7 * n);
      const q = new Float64Array(m * k), r = new Float64Array(k * n), perm = new Int32Array(n);
      native().qr({ a, m, n, pivot, q, r, perm });
      expect(orthError(q, m, k)).toBeLessThan(1e-13);
      const qr = matmul(q, r, m, k, n);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) expect(Math.abs(qr[i * n + j] - a[i * n + perm[j]])).toBeLessThan(1e-12);
      for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) expect(r[i * n + j]).toBe(0);
      if (pivot) for (let i = 1; i < k; i++) expect(Math.abs(r[i * n + i])).toBeLessThanOrEqual(Math.abs(r[(i - 1) * n + i - 1]) * (1 + 1e-12));
      else expect([...perm]).toEqual([...Array(n).keys()]);
    }
  });

  it('factors a rank-deficient matrix: R has zeros below the rank', () => {
    const a = withSpectrum(30, 20, Array.from({ length: 20 }, (_, i) => (i < 5 ? 1 : 0)), 9);
    const r = new Float64Array(20 * 20), perm = new Int32Array(20);
    native().qr({ a, m: 30, n: 20, pivot: true, r, perm });
    for (let i = 5; i < 20; i++) expect(Math.abs(r[i * 20 + i])).toBeLessThan(1e-13);
  });
});

describe('cholesky and trsm', () => {
  it('factor an SPD matrix and solve with each triangle and side', () => {
    const n = 37, x = gaussian(2 * n, n, 5);
    const g = new Float64Array(n * n);
    native().dgemm({ a: x, b: x, c: g, m: n, n, k: 2 * n, transA: true });
    const l = Float64Array.from(g);
    expect(native().cholesky({ a: l, n })).toBe(-1);
    const llt = matmul(l, l, n, n, n, true);
    for (let i = 0; i < n * n; i++) expect(Math.abs(llt[i] - g[i])).toBeLessThan(1e-10);
    for (const left of [true, false])
      for (const trans of [false, true]) {
        const want = gaussian(left ? n : 3, left ? 3 : n, 11);
        // b = op(L) X (left) or X op(L) (right)
        const lt = new Float64Array(n * n);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) lt[i * n + j] = trans ? l[j * n + i] : l[i * n + j];
        const b = left ? matmul(lt, want, n, n, 3) : matmul(want, lt, 3, n, n);
        expect(native().trsm({ t: l, b, n, nrhs: 3, left, lower: true, trans })).toBe(true);
        for (let i = 0; i < b.length; i++) expect(Math.abs(b[i] - want[i])).toBeLessThan(1e-9);
      }
  });

  it('reports the failing column of an indefinite matrix', () => {
    const a = Float64Array.from([4, 2, 0, 2, 1, 0, 0, 0, 1]);
    expect(native().cholesky({ a, n: 3 })).toBe(1);
  });
});

describe('native bounds checks', () => {
  it('rejects short, overlapping and mistyped arrays', () => {
    const nat = native();
    expect(() => nat.svd({ a: new Float64Array(5), m: 2, n: 3, s: new Float64Array(2) })).toThrow(/a has 5 elements, needs m \* n = 6/);
    expect(() => nat.svd({ a: new Float64Array(6), m: 2, n: 3, s: new Float64Array(1) })).toThrow(/s has 1 elements/);
    const buf = new Float64Array(12);
    expect(() => nat.svd({ a: buf.subarray(0, 6), m: 2, n: 3, s: buf.subarray(4, 6) })).toThrow(/overlaps a/);
    expect(() => nat.qr({ a: new Float32Array(6) as unknown as Float64Array, m: 2, n: 3 })).toThrow(TypeError);
    expect(() => nat.dgemm({ a: new Float64Array(4), b: new Float64Array(4), c: new Float64Array(3), m: 2, n: 2, k: 2 })).toThrow(/c has 3 elements/);
    expect(() => nat.trsm({ t: new Float64Array(3), b: new Float64Array(4), n: 2, nrhs: 2 })).toThrow(/t has 3 elements/);
    expect(() => nat.cholesky({ a: new Float64Array(3), n: 2 })).toThrow(/needs n \* n = 4/);
  });
});
