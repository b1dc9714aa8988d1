// The strided contraction kernels through the addon, against a plain JS
// loop nest, and the bounds, overlap and aliasing checks of their bindings
// (and of the gemm binding's explicit strides).
import { describe, expect, it } from 'vitest';
import { native, type StridedView } from '../../lib/native';
import { xoshiro128 } from '../../lib/tensor';

const nat = () => native();

function rand(n: number, seed: number): Float32Array {
  const next = xoshiro128(seed);
  return Float32Array.from({ length: n }, () => next() / 2 ** 31 - 1);
}

/** out[dst] = Σ over dims with dst stride 0 of Π ops, in float64. */
function nestRef(shape: number[], ops: StridedView[], dst: { strides: number[]; length: number }): Float64Array {
  const out = new Float64Array(dst.length);
  const total = shape.reduce((p, d) => p * d, 1);
  const idx = new Array(shape.length).fill(0);
  for (let t = 0; t < total; t++) {
    let rest = t;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
    }
    let prod = 1;
    for (const op of ops) prod *= op.data[(op.offset ?? 0) + idx.reduce((s, i, d) => s + i * op.strides[d], 0)];
    out[idx.reduce((s, i, d) => s + i * dst.strides[d], 0)] += prod;
  }
  return out;
}

/** Strides of a row-major buffer with the dims laid out in `order`. */
function layout(shape: number[], order: number[], skip: boolean[] = []): { strides: number[]; length: number } {
  const strides = new Array(shape.length).fill(0);
  let s = 1;
  for (let i = order.length - 1; i >= 0; i--) {
    const d = order[i];
    if (skip[d]) continue;
    strides[d] = s;
    s *= shape[d];
  }
  return { strides, length: s };
}

function close(got: Float32Array, want: Float64Array, tol = 1e-5): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i]), `element ${i}`).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i])));
}

describe('strided kernels match a plain loop nest', () => {
  const shape = [3, 40, 33];
  it('permute: every dim order, with an offset source', async () => {
    for (const order of [[0, 1, 2], [2, 1, 0], [1, 2, 0], [0, 2, 1]]) {
      const src = layout(shape, [2, 0, 1]);
      const data = rand(src.length + 5, 1);
      const s: StridedView = { data, offset: 5, strides: src.strides };
      const d = layout(shape, order);
      const want = nestRef(shape, [s], d);
      for (const threads of [1, 2]) {
        const out = new Float32Array(d.length);
        nat().permute({ shape, src: s, dst: { data: out, strides: d.strides }, threads });
        close(out, want, 0);
        const outAsync = new Float32Array(d.length);
        await nat().permuteAsync({ shape, src: s, dst: { data: outAsync, strides: d.strides }, threads });
        close(outAsync, want, 0);
      }
    }
  });
  it('permute: block transposes that keep a short run contiguous on both sides', () => {
    // [b][q][k] <-> [q][b][k] with k short (as einsum's tensor-train steps
    // make): the run of k is one tile element; also runs of 1 and of 40.
    for (const run of [12, 1, 40]) {
      const shape = [20, 17, run, 2];
      const src = layout(shape, [3, 1, 0, 2]);
      const data = rand(src.length + 3, run);
      const s: StridedView = { data, offset: 3, strides: src.strides };
      const d = layout(shape, [3, 0, 1, 2]);
      const want = nestRef(shape, [s], d);
      for (const threads of [1, 2]) {
        const out = new Float32Array(d.length);
        nat().permute({ shape, src: s, dst: { data: out, strides: d.strides }, threads });
        close(out, want, 0);
      }
    }
  });
  it('multiply: broadcast (stride 0) on either side', async () => {
    const a = layout(shape, [0, 1, 2], [false, true, false]);
    const b = layout(shape, [2, 1, 0], [true, false, false]);
    const A: StridedView = { data: rand(a.length, 2), strides: a.strides };
    const B: StridedView = { data: rand(b.length, 3), strides: b.strides };
    const d = layout(shape, [1, 0, 2]);
    const want = nestRef(shape, [A, B], d);
    const out = new Float32Array(d.length);
    nat().multiply({ shape, a: A, b: B, dst: { data: out, strides: d.strides } });
    close(out, want);
    const out2 = new Float32Array(d.length);
    await nat().multiplyAsync({ shape, a: A, b: B, dst: { data: out2, strides: d.strides }, threads: 2 });
    close(out2, want);
  });
  it('sumProduct: any summed dims, one to three operands, broadcasts', async () => {
    const shapes = [[5, 6, 7], [64, 3], [3, 2000], [4, 4, 9]];
    let seed = 10;
    for (const sh of shapes)
      for (let mask = 0; mask < 1 << sh.length; mask++)
        for (const nops of [1, 2, 3]) {
          const ops: StridedView[] = [];
          for (let k = 0; k < nops; k++) {
            const order = [...sh.keys()];
            if (k % 2) order.reverse();
            const l = layout(sh, order, sh.map((_, d) => k === 2 && d === 0));
            ops.push({ data: rand(l.length, seed++), strides: l.strides });
          }
          const d = layout(sh, [...sh.keys()], sh.map((_, i) => ((mask >> i) & 1) === 1));
          const want = nestRef(sh, ops, d);
          const out = new Float32Array(d.length);
          nat().sumProduct({ shape: sh, ops, dst: { data: out, strides: d.strides }, threads: 2 });
          close(out, want);
          const out2 = new Float32Array(d.length);
          await nat().sumProductAsync({ shape: sh, ops, dst: { data: out2, strides: d.strides } });
          close(out2, want);
        }
  });
  it('sumProduct over an empty dim writes zeros', () => {
    const out = new Float32Array([5, 5, 5]);
    nat().sumProduct({ shape: [3, 0], ops: [{ data: new Float32Array(0), strides: [0, 1] }], dst: { data: out, strides: [1, 0] } });
    expect(Array.from(out)).toEqual([0, 0, 0]);
  });
});

describe('strided kernel bindings reject bad calls', () => {
  const f = (n: number) => new Float32Array(n);
  it('views that reach past their array', () => {
    expect(() => nat().permute({ shape: [3, 4], src: { data: f(11), strides: [4, 1] }, dst: { data: f(12), strides: [4, 1] } })).toThrow(
      /permute: src needs elements up to index 11 but its array has 11/,
    );
    expect(() => nat().permute({ shape: [3, 4], src: { data: f(12), offset: 1, strides: [4, 1] }, dst: { data: f(12), strides: [4, 1] } })).toThrow(RangeError);
    expect(() => nat().multiply({ shape: [3], a: f(3) as never, b: { data: f(3), strides: [1] }, dst: { data: f(3), strides: [1] } })).toThrow(/multiply: a: data must be a Float32Array/);
    expect(() => nat().sumProduct({ shape: [3], ops: [{ data: f(3), strides: [1] }], dst: { data: f(2), strides: [1] } })).toThrow(/sumProduct: dst needs elements up to index 2/);
  });
  it('an output that overlaps an input, or writes an element twice', () => {
    const shared = f(24);
    expect(() => nat().permute({ shape: [3, 4], src: { data: shared, strides: [4, 1] }, dst: { data: shared, offset: 12, strides: [1, 3] } })).not.toThrow();
    expect(() => nat().permute({ shape: [3, 4], src: { data: shared, strides: [4, 1] }, dst: { data: shared, offset: 6, strides: [4, 1] } })).toThrow(/dst overlaps src/);
    expect(() => nat().permute({ shape: [3, 4], src: { data: f(12), strides: [4, 1] }, dst: { data: f(12), strides: [1, 1] } })).toThrow(/writes some elements more than once/);
    expect(() => nat().multiply({ shape: [3], a: { data: f(3), strides: [1] }, b: { data: f(3), strides: [1] }, dst: { data: f(3), strides: [0] } })).toThrow(/more than once/);
  });
  it('malformed arguments', () => {
    expect(() => nat().permute({ shape: [3, 4], src: { data: f(12), strides: [4] }, dst: { data: f(12), strides: [4, 1] } })).toThrow(/src.strides has 1 entries but shape has 2/);
    expect(() => nat().permute({ shape: [-1] as never, src: { data: f(1), strides: [1] }, dst: { data: f(1), strides: [1] } })).toThrow(/shape\[0\] must be an integer in/);
    expect(() => nat().sumProduct({ shape: [1], ops: [], dst: { data: f(1), strides: [1] } })).toThrow(/ops must hold 1 to 1024 operands, got 0/);
    expect(() => nat().sumProduct({ shape: [1], ops: 'x' as never, dst: { data: f(1), strides: [1] } })).toThrow(TypeError);
    expect(() => nat().permute({ shape: [2], src: { data: new Float64Array(2) as never, strides: [1] }, dst: { data: f(2), strides: [1] } })).toThrow(/src: data must be a Float32Array/);
    expect(() => (nat().permute as (x: unknown) => void)(undefined)).toThrow(/expected an arguments object/);
  });
});

describe('gemm with explicit strides', () => {
  // C[t, i, j] = Σ_p A[t, i, p] B[t, p, j] with A stored as [i, t, p] and B as [p, t, j].
  const T = 3, M = 5, N = 4, K = 6;
  const a = rand(M * T * K, 21), b = rand(K * T * N, 22);
  const want = new Float64Array(T * M * N);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let p = 0; p < K; p++) s += a[i * T * K + t * K + p] * b[p * T * N + t * N + j];
        want[t * M * N + i * N + j] = s;
      }
  const call = (c: Float32Array) => ({ a, b, c, m: M, n: N, k: K, batch: T, strideA: K, rsA: T * K, csA: 1, strideB: N, rsB: T * N, csB: 1, strideC: M * N, rsC: N });
  it('reads interleaved batch views and writes C with its own row stride', async () => {
    const c = new Float32Array(T * M * N);
    nat().gemm(call(c));
    close(c, want);
    const c2 = new Float32Array(T * M * N);
    await nat().gemmAsync(call(c2));
    close(c2, want);
    // C as [i, t, j]: rows T*N apart, batch items N apart.
    const c3 = new Float32Array(T * M * N);
    nat().gemm({ ...call(c3), strideC: N, rsC: T * N });
    for (let t = 0; t < T; t++)
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) expect(Math.abs(c3[i * T * N + t * N + j] - want[t * M * N + i * N + j])).toBeLessThan(1e-5);
  });
  it('checks strided extents, C overlaps and packed B', () => {
    const c = new Float32Array(T * M * N);
    expect(() => nat().gemm({ ...call(c), rsA: T * K + 1 })).toThrow(/gemm: a needs elements up to index/);
    expect(() => nat().gemm({ ...call(c), csB: 2 })).toThrow(/gemm: b needs elements up to index/);
    expect(() => nat().gemm({ ...call(c), rsC: 1 })).toThrow(/would make outputs overlap/);
    expect(() => nat().gemm({ ...call(c), strideC: 0 })).toThrow(/would make outputs overlap/);
    expect(() => nat().gemm({ ...call(new Float32Array(T * M * N - 1)) })).toThrow(/gemm: c needs elements up to index/);
    expect(() => nat().gemm({ ...call(c), c: a, strideC: 0, batch: 1 })).toThrow(/c overlaps a/);
    const packed = nat().packB({ b: rand(K * N, 3), k: K, n: N });
    expect(() => nat().gemm({ ...call(c), bPacked: packed })).toThrow(/cannot be combined with bPacked/);
  });
});

describe('gemm with offset groups', () => {
  // A as [i, x, j, y] (rows (i, j), columns (x, y)); B as [x, n1, y, n2]
  // (rows (x, y), columns (n1, n2)): no group is one stride. Sizes cross
  // the tiles, the 256-deep k blocks and, with several batch items, the
  // batch strides.
  const shapes = [
    { T: 1, I: 3, J: 5, X: 3, Y: 17, N1: 2, N2: 19 },
    { T: 1, I: 1, J: 2, X: 4, Y: 5, N1: 3, N2: 7 },
    { T: 2, I: 2, J: 7, X: 16, Y: 17, N1: 3, N2: 24 },
    { T: 1, I: 2, J: 1030, X: 26, Y: 23, N1: 3, N2: 5 }, // 2060 rows: passes twice as deep over K
  ];
  for (const s of shapes) {
    const { T, I, J, X, Y, N1, N2 } = s;
    const M = I * J, K = X * Y, N = N1 * N2;
    const sa = I * X * J * Y, sb = X * N1 * Y * N2;
    const a = rand(T * sa, 31), b = rand(T * sb, 32);
    const at = (t: number, i: number, p: number) => a[t * sa + Math.floor(i / J) * X * J * Y + Math.floor(p / Y) * J * Y + (i % J) * Y + (p % Y)];
    const bt = (t: number, p: number, j: number) => b[t * sb + Math.floor(p / Y) * N1 * Y * N2 + Math.floor(j / N2) * Y * N2 + (p % Y) * N2 + (j % N2)];
    const want = new Float64Array(T * M * N);
    for (let t = 0; t < T; t++)
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let acc = 0;
          for (let p = 0; p < K; p++) acc += at(t, i, p) * bt(t, p, j);
          want[t * M * N + i * N + j] = acc;
        }
    const call = (c: Float32Array, threads: number) => ({
      a, b, c, m: M, n: N, k: K, batch: T, strideA: sa, strideB: sb, strideC: M * N, rsC: N, threads,
      aGroups: { rows: [I, X * J * Y, J, Y], cols: [X, J * Y, Y, 1] },
      bGroups: { rows: [X, N1 * Y * N2, Y, N2], cols: [N1, Y * N2, N2, 1] },
    });
    it(`matches the float64 product at ${JSON.stringify(s)}, 1 and 2 threads, sync and async`, async () => {
      for (const threads of [1, 2]) {
        const c = new Float32Array(T * M * N).fill(NaN);
        nat().gemm(call(c, threads));
        const c2 = new Float32Array(T * M * N).fill(NaN);
        await nat().gemmAsync(call(c2, threads));
        for (const got of [c, c2]) {
          let err = 0, ref = 0;
          for (let t = 0; t < want.length; t++) {
            err = Math.max(err, Math.abs(got[t] - want[t]));
            ref = Math.max(ref, Math.abs(want[t]));
          }
          expect(err / ref).toBeLessThan(1e-5);
        }
      }
    });
  }
  it('checks the groups: pairs, sizes, reach, both tables, packed B', () => {
    const a = rand(60, 1), b = rand(60, 2), c = new Float32Array(20);
    const ag = { rows: [4, 12], cols: [3, 4, 4, 1] }, bg = { rows: [12, 5], cols: [5, 1] };
    const ok = { a, b, c, m: 4, n: 5, k: 12, rsC: 5, aGroups: ag, bGroups: bg };
    nat().gemm(ok);
    expect(() => nat().gemm({ ...ok, aGroups: { ...ag, rows: [4] } })).toThrow(/gemm: aGroups: rows must hold \[size, stride\] pairs, got 1 numbers/);
    expect(() => nat().gemm({ ...ok, aGroups: { ...ag, cols: [3, 4, 5, 1] } })).toThrow(/gemm: aGroups: cols sizes multiply to 15 but the product needs 12/);
    expect(() => nat().gemm({ ...ok, bGroups: { ...bg, cols: [5, 2] } })).toThrow(/gemm: b needs elements up to index/);
    expect(() => nat().gemm({ ...ok, aGroups: { ...ag, rows: [4, -1] } })).toThrow(/gemm: aGroups: rows\[1\] must be an integer/);
    expect(() => nat().gemm({ ...ok, bGroups: { rows: [12, 5] } as never })).toThrow(/gemm: bGroups: cols must be an array of integers/);
    expect(() => nat().gemm({ ...ok, bGroups: [1, 2] as never })).toThrow(/gemm: bGroups must be an object \{ rows, cols \}/);
    expect(() => nat().gemm({ ...ok, aGroups: { ...ag, rows: [2 ** 30, 0, 2 ** 30, 0] } })).toThrow(/aGroups: rows sizes multiply to more than 2\^40 but the product needs 4/);
    expect(() => nat().gemm({ ...ok, c: a })).toThrow(/c overlaps a/);
    const packed = nat().packB({ b, k: 12, n: 5 });
    expect(() => nat().gemm({ ...ok, bPacked: packed })).toThrow(/cannot be combined with bPacked/);
  });
});

describe('runSequence', () => {
  // B = Aᵀ by permute, then C = A · B by gemm, then D = C ⊙ C: each call
  // reads what the one before it wrote.
  const M = 7, K = 5;
  const a = rand(M * K, 41);
  const calls = (b: Float32Array, c: Float32Array, d: Float32Array) => [
    { kind: 'permute' as const, args: { shape: [K, M], src: { data: a, strides: [1, K] }, dst: { data: b, strides: [M, 1] } } },
    { kind: 'gemm' as const, args: { a, b, c, m: M, n: M, k: K } },
    { kind: 'multiply' as const, args: { shape: [M * M], a: { data: c, strides: [1] }, b: { data: c, strides: [1] }, dst: { data: d, strides: [1] } } },
  ];
  const want = new Float64Array(M * M);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < M; j++) {
      let s = 0;
      for (let p = 0; p < K; p++) s += a[i * K + p] * a[j * K + p];
      want[i * M + j] = s * s;
    }
  it('runs the calls in order, sync and async', async () => {
    for (const sync of [true, false]) {
      const b = new Float32Array(K * M).fill(NaN), c = new Float32Array(M * M).fill(NaN), d = new Float32Array(M * M).fill(NaN);
      if (sync) nat().runSequence(calls(b, c, d));
      else await nat().runSequenceAsync(calls(b, c, d));
      for (let t = 0; t < M * M; t++) expect(Math.abs(d[t] - want[t])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[t])));
    }
  });
  it('checks every call before running any, naming the call', () => {
    const b = new Float32Array(K * M), c = new Float32Array(M * M), d = new Float32Array(M * M).fill(3);
    const good = calls(b, c, d);
    const bad = [...good, { kind: 'gemm' as const, args: { a, b, c: new Float32Array(1), m: M, n: M, k: K } }];
    expect(() => nat().runSequence(bad)).toThrow(/runSequence: calls\[3\]: gemm: c needs elements up to index/);
    expect(d.every((x) => x === 3)).toBe(true);
    expect(() => nat().runSequence([{ kind: 'fft', args: {} } as never])).toThrow(/runSequence: calls\[0\]: fft: kind must be 'gemm', 'permute', 'multiply' or 'sumProduct', got 'fft'/);
    expect(() => nat().runSequence([{ kind: 'gemm' } as never])).toThrow(/runSequence: calls\[0\]: gemm: args must be an object/);
    expect(() => nat().runSequence([7] as never)).toThrow(/runSequence: calls\[0\]: must be an object \{ kind, args \}/);
    expect(() => nat().runSequence({} as never)).toThrow(/runSequence: calls must be an array/);
    expect(() => nat().runSequenceAsync('x' as never)).toThrow(/runSequenceAsync: calls must be an array/);
    nat().runSequence([]);
  });
});
