// Dense GEMM against the float64 reference at the active ISA tier (the other
// tiers run the same checks in child processes: tiers.test.ts).
import { describe, expect, it } from 'vitest';
import { matmul, matmulSync, packWeight, PackedWeight, Tensor } from '../../lib/index';
import { native } from '../../lib/native';
import { matmulRef, uniform, worstBoundRatio } from '../helpers/reference';

const DIMS = [1, 2, 7, 13, 31, 33, 64, 97];
let seed = 1;

function check(aShape: number[], bShape: number[], transA = false, transB = false, threads?: number) {
  const a = uniform(aShape, seed++), b = uniform(bShape, seed++);
  const got = matmulSync(a, b, { transA, transB, threads });
  const ref = matmulRef(a, b, transA, transB);
  expect(got.shape).toEqual(ref.shape);
  const k = transA ? aShape[aShape.length - 2] : aShape[aShape.length - 1];
  expect(worstBoundRatio(got.data, ref, k ?? 1)).toBeLessThanOrEqual(1);
}

describe('matmul', () => {
  it('matches the float64 reference over odd shapes, both transposes', () => {
    for (const m of DIMS)
      for (const n of [1, 5, 16, 17, 33, 40])
        for (const k of [1, 3, 32, 129]) {
          const ta = (m + n) % 2 === 1, tb = (n + k) % 3 === 0;
          check(ta ? [k, m] : [m, k], tb ? [n, k] : [k, n], ta, tb);
        }
  });

  it('matches on few rows (the row-streaming form, rows in pairs) past its column block', () => {
    for (const m of [1, 2, 3, 4, 5])
      for (const [k, n] of [[5, 33], [258, 1100], [1027, 7]])
        for (const transA of [false, true]) check(transA ? [k, m] : [m, k], [k, n], transA, false, 1 + (m % 2));
  });

  it('matches past every cache block (mc, kc, nc) and tile edge', () => {
    check([251, 1031], [1031, 97]); // k crosses the kc block of 256 four times
    check([37, 300], [300, 3100]); // n crosses nc = 3072
    check([67, 613], [67, 45], true, false); // m crosses mc
    check([1, 768], [768, 3072]); // matrix-vector (decode) shape
    check([130, 70], [50, 70], false, true, 1);
    // 5-11 rows read B in place in whole panels, the last partial one by tiles
    check([7, 300], [300, 70]);
    check([11, 513], [513, 97]);
    check([300, 9], [300, 65], true, false); // transposed A
  });

  it('runs blocks of 2048 rows and more in passes twice as deep (plain and packed B, ragged K, partial row panels)', () => {
    // 2050 rows: the last row panel is partial; k = 777 and 600 end in a
    // shallow pass; a packed B takes each deep pass as two of its blocks.
    for (const [m, k, n, threads] of [[2050, 777, 45, 1], [4100, 600, 37, 2], [2048, 513, 33, 1]]) {
      const x = uniform([m, k], seed++), w = uniform([k, n], seed++);
      const ref = matmulRef(x, w);
      expect(worstBoundRatio(matmulSync(x, w, { threads }).data, ref, k)).toBeLessThanOrEqual(1);
      const out = new Tensor(new Float32Array(m * n).fill(NaN), [m, n]); // every element must be written
      expect(worstBoundRatio(matmulSync(x, packWeight(w), { threads, out }).data, ref, k)).toBeLessThanOrEqual(1);
    }
    // Past the nc = 1024 column block (a packed B's second block column), on
    // one thread and on two (whose grid may split M or N): columns checked on
    // both sides of the block edge.
    for (const [m, k, threads] of [[2050, 600, 1], [4100, 520, 2]]) {
      const n = 1100, cols = [0, 40, 1000, 1100];
      const x = uniform([m, k], seed++), w = uniform([k, n], seed++);
      const packed = packWeight(w);
      for (const got of [matmulSync(x, w, { threads }), matmulSync(x, packed, { threads })])
        for (let s = 0; s < cols.length; s += 2) {
          const [c0, c1] = [cols[s], cols[s + 1]];
          const slice = new Tensor(new Float32Array(k * (c1 - c0)), [k, c1 - c0]);
          for (let p = 0; p < k; p++) slice.data.set(w.data.subarray(p * n + c0, p * n + c1), p * (c1 - c0));
          const part = new Float32Array(m * (c1 - c0));
          for (let i = 0; i < m; i++) part.set(got.data.subarray(i * n + c0, i * n + c1), i * (c1 - c0));
          expect(worstBoundRatio(part, matmulRef(x, slice), k)).toBeLessThanOrEqual(1);
        }
    }
    const xt = uniform([700, 2060], seed++), wt = uniform([41, 700], seed++); // transposed A, transposed packed B
    const ref = matmulRef(xt, wt, true, true);
    expect(worstBoundRatio(matmulSync(xt, wt, { transA: true, transB: true }).data, ref, 700)).toBeLessThanOrEqual(1);
    expect(worstBoundRatio(matmulSync(xt, packWeight(wt, { transpose: true }), { transA: true }).data, ref, 700)).toBeLessThanOrEqual(1);
  });

  it('reads B in place at any alignment against the 64-byte line (views at several float offsets)', () => {
    // 1-4 rows peel the columns up to B's next line; 5-12 rows run them as
    // one narrow tile. Views at several float offsets into one buffer put B
    // at as many places against the line.
    const k = 37;
    for (const n of [7, 48, 100, 1100]) {
      const base = native().outputArray(k * n + 16);
      for (let o = 0; o < 16; o += o < 4 ? 1 : 5) {
        const w = new Tensor(base.subarray(o, o + k * n), [k, n]);
        w.data.set(uniform([k, n], seed++).data);
        for (const m of [1, 2, 3, 5, 8, 12]) {
          const x = uniform([m, k], seed++);
          const ref = matmulRef(x, w);
          expect(worstBoundRatio(matmulSync(x, w, { threads: 1 }).data, ref, k), `m ${m} n ${n} offset ${o}`).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  it('handles empty dims: K = 0 gives zeros, M = 0 and N = 0 give empty results', () => {
    const z = matmulSync(uniform([3, 0], 1), uniform([0, 4], 2));
    expect(z.shape).toEqual([3, 4]);
    expect(Array.from(z.data)).toEqual(new Array(12).fill(0));
    expect(matmulSync(uniform([0, 5], 1), uniform([5, 4], 2)).shape).toEqual([0, 4]);
    expect(matmulSync(uniform([3, 5], 1), uniform([5, 0], 2)).shape).toEqual([3, 0]);
    expect(matmulSync(uniform([0, 3, 5], 1), uniform([5, 2], 2)).shape).toEqual([0, 3, 2]);
  });

  it('batches, folds leading dims and broadcasts like numpy.matmul', () => {
    check([4, 3, 17, 9], [9, 11]); // leading dims fold into M
    check([5, 7, 9], [5, 9, 11]); // equal batches
    check([5, 9, 7], [5, 11, 9], true, true);
    check([7, 9], [3, 9, 11]); // a broadcast over b's batch
    check([3, 1, 4, 5], [2, 5, 6]); // mixed broadcasting: [3, 2]
    check([2, 1, 4, 5], [1, 3, 5, 6], false, false);
    check([6, 9], [9]); // matrix x vector
    check([9], [9, 6]); // vector x matrix
    check([9], [9]); // dot product -> scalar
  });

  it('uses 1 and 2 threads alike', () => {
    const a = uniform([200, 300], 5), b = uniform([300, 190], 6);
    const one = matmulSync(a, b, { threads: 1 }), two = matmulSync(a, b, { threads: 2 });
    const ref = matmulRef(a, b);
    expect(worstBoundRatio(one.data, ref, 300)).toBeLessThanOrEqual(1);
    expect(worstBoundRatio(two.data, ref, 300)).toBeLessThanOrEqual(1);
  });

  it('shares one packed A between threads that split N (plain and transposed A, K over several blocks)', () => {
    for (const [m, k, n] of [[13, 530, 300], [150, 530, 700], [240, 257, 1100]])
      for (const transA of [false, true]) {
        const a = uniform(transA ? [k, m] : [m, k], m + k), b = uniform([k, n], n);
        const ref = matmulRef(a, b, transA);
        const two = matmulSync(a, b, { transA, threads: 2 });
        expect(worstBoundRatio(two.data, ref, k)).toBeLessThanOrEqual(1);
      }
  });

  it('async equals sync, and many concurrent async calls all complete correctly', async () => {
    const pairs = Array.from({ length: 24 }, (_, i) => [uniform([17 + i, 40], 100 + i), uniform([40, 23 + 2 * i], 200 + i)]);
    const results = await Promise.all(pairs.map(([a, b]) => matmul(a, b)));
    results.forEach((r, i) => {
      const s = matmulSync(pairs[i][0], pairs[i][1]);
      expect(r.shape).toEqual(s.shape);
      expect(worstBoundRatio(r.data, matmulRef(pairs[i][0], pairs[i][1]), 40)).toBeLessThanOrEqual(1);
    });
  });

  it('writes every output element and nothing outside it (poisoned memory)', () => {
    const m = 29, n = 45, k = 37, pad = 16;
    const a = uniform([m, k], 7), b = uniform([k, n], 8);
    const c = new Float32Array(pad + m * n + pad).fill(NaN);
    native().gemm({ a: a.data, b: b.data, c, cOffset: pad, m, n, k });
    const ref = matmulRef(a, b);
    expect(worstBoundRatio(c.subarray(pad, pad + m * n), ref, k)).toBeLessThanOrEqual(1);
    for (let i = 0; i < pad; i++) {
      expect(c[i]).toBeNaN();
      expect(c[pad + m * n + i]).toBeNaN();
    }
  });

  it('accumulates with alpha and beta at the native boundary', () => {
    const m = 13, n = 21, k = 300;
    const a = uniform([m, k], 9), b = uniform([k, n], 10), c0 = uniform([m, n], 11);
    const c = Float32Array.from(c0.data);
    native().gemm({ a: a.data, b: b.data, c, m, n, k, alpha: 0.5, beta: 2 });
    const ref = matmulRef(a, b);
    for (let i = 0; i < m * n; i++) {
      const want = 0.5 * ref.value[i] + 2 * c0.data[i];
      expect(Math.abs(c[i] - want)).toBeLessThanOrEqual((k + 4) * 2 ** -24 * (0.5 * ref.magnitude[i] + 2 * Math.abs(c0.data[i])));
    }
  });

  it('accepts onnxruntime-style and tfjs-style tensors', () => {
    const a = uniform([3, 4], 1), b = uniform([4, 2], 2);
    const ortA = { type: 'float32', data: a.data, dims: [3, 4] };
    const tfB = { shape: [4, 2], dtype: 'float32', dataSync: () => b.data };
    const c = matmulSync(ortA, tfB);
    expect(c).toBeInstanceOf(Tensor);
    expect(worstBoundRatio(c.data, matmulRef(a, b), 4)).toBeLessThanOrEqual(1);
  });

  it('packed weights match the reference across blocks, small M, transposes and threads', async () => {
    for (const [m, k, n] of [[1, 7, 5], [2, 3, 40], [2, 259, 65], [3, 300, 1100], [4, 257, 33], [5, 64, 2050], [8, 300, 70], [11, 257, 65], [12, 33, 1030], [13, 513, 97], [130, 70, 1030], [1, 768, 3072]])
      for (const transpose of [false, true])
        for (const threads of [1, 2]) {
          const x = uniform([m, k], seed++), w = uniform(transpose ? [n, k] : [k, n], seed++);
          const packed = packWeight(w, { transpose });
          expect(packed).toBeInstanceOf(PackedWeight);
          expect(packed.shape).toEqual([k, n]);
          const ref = matmulRef(x, w, false, transpose);
          expect(worstBoundRatio(matmulSync(x, packed, { threads }).data, ref, k)).toBeLessThanOrEqual(1);
          expect(worstBoundRatio((await matmul(x, packed, { threads })).data, ref, k)).toBeLessThanOrEqual(1);
          const out = new Tensor(new Float32Array(m * n).fill(NaN), [m, n]); // every element must be written
          expect(worstBoundRatio(matmulSync(x, packed, { threads, out }).data, ref, k)).toBeLessThanOrEqual(1);
        }
  });

  it('packed weights take batched and transposed activations', () => {
    const w = uniform([40, 70], 3), packed = packWeight(w);
    const x = uniform([2, 3, 9, 40], 4);
    const y = matmulSync(x, packed);
    expect(y.shape).toEqual([2, 3, 9, 70]);
    expect(worstBoundRatio(y.data, matmulRef(x, w), 40)).toBeLessThanOrEqual(1);
    const xt = uniform([5, 40, 9], 5);
    const yt = matmulSync(xt, packed, { transA: true });
    expect(yt.shape).toEqual([5, 9, 70]);
    expect(worstBoundRatio(yt.data, matmulRef(xt, w, true), 40)).toBeLessThanOrEqual(1);
    expect(matmulSync(uniform([0, 40], 6), packed).shape).toEqual([0, 70]);
  });

  it('writes into options.out when given, and checks it', async () => {
    const a = uniform([9, 20], 1), b = uniform([20, 7], 2);
    const out = new Tensor(new Float32Array(63).fill(NaN), [9, 7]);
    expect(matmulSync(a, b, { out })).toBe(out);
    expect(worstBoundRatio(out.data, matmulRef(a, b), 20)).toBeLessThanOrEqual(1);
    out.data.fill(NaN);
    expect(await matmul(a, packWeight(b), { out })).toBe(out);
    expect(worstBoundRatio(out.data, matmulRef(a, b), 20)).toBeLessThanOrEqual(1);
    expect(() => matmulSync(a, b, { out: new Tensor(new Float32Array(63), [7, 9]) })).toThrow(/options.out has shape \[7, 9\], the result is \[9, 7\]/);
    expect(() => matmulSync(a, b, { out: a })).toThrow(/options.out has shape/);
    const alias = new Tensor(a.data.subarray(0, 63), [9, 7]);
    expect(() => matmulSync(a, b, { out: alias })).toThrow(/c overlaps a/);
  });
});
