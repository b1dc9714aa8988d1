// Bad calls throw JS errors that name the argument and dimension, from the
// TypeScript layer and again from the addon when it is called directly.
import { describe, expect, it } from 'vitest';
import { matmul, matmulSync, nmCompress, nmMatmulSync, nmPrune, packWeight, setThreads, Tensor, tensor, zeros } from '../../lib/index';
import { native } from '../../lib/native';

const f = (n: number) => new Float32Array(n);

function detached(n: number): Float32Array {
  const buf = new ArrayBuffer(n * 4);
  const arr = new Float32Array(buf);
  structuredClone(buf, { transfer: [buf] });
  return arr;
}

describe('matmul rejects bad input', () => {
  it('mismatched inner dims, naming both operands and dims', () => {
    expect(() => matmulSync(zeros([2, 3]), zeros([4, 5]))).toThrow(RangeError);
    expect(() => matmulSync(zeros([2, 3]), zeros([4, 5]))).toThrow(/a \[2, 3\] has K = 3 in dim 1, b \[4, 5\] has K = 4 in dim 0/);
  });
  it('non-broadcastable batch dims', () => {
    expect(() => matmulSync(zeros([2, 3, 4]), zeros([3, 4, 5]))).toThrow(/batch dims do not broadcast: a has 2 and b has 3 at batch dim 0/);
  });
  it('scalars and non-tensors', () => {
    expect(() => matmulSync(zeros([]), zeros([3]))).toThrow(/a must have at least 1 dimension/);
    expect(() => matmulSync([1, 2, 3], zeros([3]))).toThrow(TypeError);
    expect(() => matmulSync(zeros([3]), 'x')).toThrow(/b must be a Tensor/);
  });
  it('bad options', () => {
    expect(() => matmulSync(zeros([2, 2]), zeros([2, 2]), { threads: 0 })).toThrow(/options.threads must be an integer in \[1, 256\], got 0/);
    expect(() => matmulSync(zeros([2, 2]), zeros([2, 2]), { transA: 1 as unknown as boolean })).toThrow(/options.transA must be a boolean/);
    expect(() => matmulSync(zeros([2, 2]), zeros([2, 2]), 5 as never)).toThrow(/options must be an options object/);
    // A misspelt option is an error, not silently ignored, in every op that takes options.
    expect(() => matmulSync(zeros([2, 2]), zeros([2, 2]), { transposeA: true } as never)).toThrow(/matmulSync: unknown option 'transposeA'; valid options are 'transA', 'transB', 'threads', 'out'/);
    expect(() => packWeight(zeros([2, 2]), { transposed: true } as never)).toThrow(/packWeight: unknown option 'transposed'/);
    const w = nmCompress(nmPrune(zeros([4, 8]), { n: 2, m: 4 }), { n: 2, m: 4 });
    expect(() => nmMatmulSync(zeros([1, 8]), w, { thread: 2 } as never)).toThrow(/nmMatmulSync: unknown option 'thread'; valid options are 'bias', 'threads', 'out'/);
    expect(() => nmPrune(zeros([4, 8]), { n: 2, m: 4, methd: 'magnitude' } as never)).toThrow(/nmPrune: unknown option 'methd'/);
    expect(() => nmCompress(zeros([4, 8]), { n: 2, m: 4, transposed: true } as never)).toThrow(/nmCompress: unknown option 'transposed'/);
  });
  it('packed weights: wrong K, transB, non-2-D weights', () => {
    const p = packWeight(zeros([4, 5]));
    expect(() => matmulSync(zeros([2, 3]), p)).toThrow(/a \[2, 3\] has K = 3, the packed weight is \[4, 5\]/);
    expect(() => matmulSync(zeros([2, 4]), p, { transB: true })).toThrow(/transB does not apply to a packed weight/);
    expect(() => packWeight(zeros([2, 3, 4]))).toThrow(/weight must be 2-D, got shape \[2, 3, 4\]/);
    expect(() => packWeight(zeros([2, 3]), { transpose: 'yes' as never })).toThrow(/options.transpose must be a boolean/);
  });
  it('async form rejects instead of throwing', async () => {
    await expect(matmul(zeros([2, 3]), zeros([4, 5]))).rejects.toThrow(RangeError);
  });
  it('a tensor whose data was detached after construction', () => {
    const t = new Tensor(f(4), [2, 2]);
    structuredClone(t.data.buffer, { transfer: [t.data.buffer] });
    expect(() => matmulSync(t, zeros([2, 2]))).toThrow(/detached ArrayBuffer/);
  });
});

describe('tensor rejects bad input', () => {
  it('data length not matching the shape', () => {
    expect(() => new Tensor(f(5), [2, 3])).toThrow(/data has 5 elements but shape \[2, 3\] needs 6/);
  });
  it('negative, non-integer, NaN and huge dims', () => {
    expect(() => zeros([2, -1])).toThrow(/shape\[1\] must be a non-negative integer, got -1/);
    expect(() => zeros([2.5])).toThrow(/shape\[0\] must be a non-negative integer, got 2.5/);
    expect(() => zeros([NaN])).toThrow(/shape\[0\] must be a non-negative integer, got NaN/);
    expect(() => zeros([2 ** 20, 2 ** 20])).toThrow(/more than 4294967295 elements/);
    expect(() => zeros('3' as never)).toThrow(TypeError);
  });
  it('non-Float32Array data and detached buffers', () => {
    expect(() => new Tensor(new Float64Array(4) as never, [4])).toThrow(/must be a Float32Array, got Float64Array/);
    expect(() => new Tensor(detached(4), [0])).toThrow(/detached/);
    expect(() => tensor({ type: 'string', data: ['a'], dims: [1] })).toThrow(/not numeric/);
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged/);
  });
  it('threads < 1', () => {
    expect(() => setThreads(0)).toThrow(RangeError);
    expect(() => setThreads(1.5)).toThrow(RangeError);
  });
});

describe('the addon checks again when called directly', () => {
  const nat = native();
  it('wrong argument kinds', () => {
    expect(() => nat.gemm(undefined as never)).toThrow(/gemm: expected an arguments object/);
    expect(() => nat.gemm({ a: [1] as never, b: f(1), c: f(1), m: 1, n: 1, k: 1 })).toThrow(/gemm: a must be a Float32Array/);
    expect(() => nat.gemm({ a: f(1), b: f(1), c: f(1), m: 1, n: 1, k: '1' as never })).toThrow(/gemm: k must be an integer/);
    expect(() => nat.gemm({ a: f(1), b: f(1), c: f(1), m: -1, n: 1, k: 1 })).toThrow(RangeError);
    expect(() => nat.gemm({ a: f(1), b: f(1), c: f(1), m: 1.5, n: 1, k: 1 })).toThrow(RangeError);
    expect(() => nat.gemm({ a: f(1), b: f(1), c: f(1), m: NaN, n: 1, k: 1 })).toThrow(RangeError);
  });
  it('arrays too short for the shape, offsets and strides', () => {
    expect(() => nat.gemm({ a: f(5), b: f(6), c: f(4), m: 2, n: 2, k: 3 })).toThrow(/gemm: a needs elements up to index 5 but its array has 5/);
    expect(() => nat.gemm({ a: f(6), b: f(6), c: f(3), m: 2, n: 2, k: 3 })).toThrow(/gemm: c needs/);
    expect(() => nat.gemm({ a: f(6), b: f(6), c: f(4), cOffset: 1, m: 2, n: 2, k: 3 })).toThrow(/gemm: c needs/);
    expect(() => nat.gemm({ a: f(12), b: f(6), c: f(8), m: 2, n: 2, k: 3, batch: 2, strideB: 6 })).toThrow(/gemm: b needs/);
    expect(() => nat.gemm({ a: f(12), b: f(6), c: f(8), m: 2, n: 2, k: 3, batch: 2, strideB: 0, strideC: 1 })).toThrow(/batch outputs overlap/);
  });
  it('huge dims fail the bounds check instead of overflowing', () => {
    expect(() => nat.gemm({ a: f(4), b: f(4), c: f(4), m: 2 ** 40, n: 2 ** 40, k: 2 ** 40 })).toThrow(RangeError);
    expect(() => nat.gemm({ a: f(4), b: f(4), c: f(4), m: 2 ** 53, n: 1, k: 1 })).toThrow(RangeError);
  });
  it('output aliasing an input', () => {
    const buf = f(8);
    expect(() => nat.gemm({ a: buf, b: f(4), c: buf, m: 2, n: 2, k: 2 })).toThrow(/c overlaps a/);
  });
  it('packed handles: only ones made by packB, of the right size', () => {
    const p = nat.packB({ b: f(12), k: 3, n: 4 });
    expect(() => nat.gemm({ a: f(6), b: f(0), bPacked: p, c: f(8), m: 2, n: 4, k: 3 })).not.toThrow();
    expect(() => nat.gemm({ a: f(6), b: f(0), bPacked: {}, c: f(8), m: 2, n: 4, k: 3 })).toThrow(/bPacked must be a packed matrix made by packB/);
    expect(() => nat.gemm({ a: f(8), b: f(0), bPacked: p, c: f(8), m: 2, n: 4, k: 4 })).toThrow(/bPacked is 3 x 4 but the product needs k x n = 4 x 4/);
    expect(() => nat.packB({ b: f(11), k: 3, n: 4 })).toThrow(/packB: b needs elements up to index 11 but its array has 11/);
  });
  it('detached buffers', () => {
    expect(() => nat.gemm({ a: detached(4), b: f(4), c: f(4), m: 2, n: 2, k: 2 })).toThrow(/a is backed by a detached ArrayBuffer/);
  });
  it('async form throws the same checks synchronously', () => {
    expect(() => nat.gemmAsync({ a: f(1), b: f(4), c: f(4), m: 2, n: 2, k: 2 })).toThrow(/gemmAsync: a needs/);
  });
  it('threads and ISA names', () => {
    expect(() => nat.setThreads(0)).toThrow(RangeError);
    expect(() => nat.setThreads('2' as never)).toThrow(TypeError);
    expect(() => nat.setIsa('mmx')).toThrow(/unknown tier 'mmx' \(known: generic, avx2, avx512\)/);
  });
  it('measure with unknown kernels and bad options', async () => {
    expect(() => nat.measure({ kernel: 'fft' } as never)).toThrow(/unknown kernel 'fft' \(known: gemm, nm, fma-peak/);
    expect(() => nat.measure({ kernel: 'gemm', m: 0, n: 1, k: 1 })).toThrow(RangeError);
    expect(() => nat.measure({ kernel: 'gemm', m: 1, n: 1, k: 1 }, { maxSeconds: 0 })).toThrow(/maxSeconds > 0/);
  });
});
