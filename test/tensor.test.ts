import { describe, expect, it } from 'vitest';
import { randn, Tensor, tensor, zeros } from '../lib/index';

describe('Tensor', () => {
  it('wraps a Float32Array without copying and freezes its shape', () => {
    const data = new Float32Array(6);
    const t = new Tensor(data, [2, 3]);
    expect(t.data).toBe(data);
    expect(t.size).toBe(6);
    expect(t.rank).toBe(2);
    expect(Object.isFrozen(t.shape)).toBe(true);
    expect(t.reshape([3, -1]).shape).toEqual([3, 2]);
    expect(t.reshape([6]).data).toBe(data);
    expect(() => t.reshape([4, -1])).toThrow(/cannot infer/);
  });

  it('builds from nested arrays, number arrays and other typed arrays', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(tensor([1, 2, 3, 4], [2, 2]).shape).toEqual([2, 2]);
    expect(Array.from(tensor(new Float64Array([1.5, 2.5])).data)).toEqual([1.5, 2.5]);
    expect(() => tensor(7)).toThrow(/must be a Float32Array, a typed array or an array of numbers, got 7/);
    expect(zeros([]).toArray()).toBe(0);
  });

  it('round-trips onnxruntime-style tensors, sharing memory for float32', () => {
    const data = new Float32Array([1, 2, 3, 4]);
    const t = tensor({ type: 'float32', data, dims: [2, 2] });
    expect(t.data).toBe(data);
    const o = t.toOrt();
    expect(o).toEqual({ type: 'float32', data, dims: [2, 2] });
    class FakeOrt {
      constructor(readonly type: string, readonly data: Float32Array, readonly dims: readonly number[]) {}
    }
    const real = t.toOrt(FakeOrt);
    expect(real).toBeInstanceOf(FakeOrt);
    expect(real.data).toBe(data);
    expect(Array.from(tensor({ type: 'int64', data: new BigInt64Array([3n, 4n]), dims: [2] }).data)).toEqual([3, 4]);
  });

  it('reads tfjs-style tensors', () => {
    const t = tensor({ shape: [3], dtype: 'float32', dataSync: () => new Float32Array([1, 2, 3]) });
    expect(t.shape).toEqual([3]);
    expect(Array.from(t.data)).toEqual([1, 2, 3]);
  });
});

describe('randn', () => {
  it('makes tensors of 4 MiB and more as views on huge pages, seeded and zeroed like small ones', () => {
    const n = (4 << 20) / 4 + 3;
    const r = randn([n], 7), z = zeros([n]);
    expect(Array.from(r.data.subarray(0, 1000))).toEqual(Array.from(randn([1000], 7).data));
    for (const t of [r, z]) {
      expect(t.data.length).toBe(n);
      expect(t.data.byteOffset + 4 * n).toBeLessThanOrEqual(t.data.buffer.byteLength);
    }
    for (let i = 0; i < n; i += 4093) expect(z.data[i]).toBe(0);
    z.data[n - 1] = 3;
    expect(new Float32Array(z.data.buffer)[z.data.byteOffset / 4 + n - 1]).toBe(3);
  });

  it('is reproducible by seed and different across seeds', () => {
    expect(randn([5], 3).data).toEqual(randn([5], 3).data);
    expect(randn([5], 3).data).not.toEqual(randn([5], 4).data);
    expect(randn([7], 1).data.length).toBe(7);
  });
  it('has standard normal moments', () => {
    const x = randn([200000], 42).data;
    let s = 0, s2 = 0, s4 = 0;
    for (const v of x) {
      s += v;
      s2 += v * v;
      s4 += v ** 4;
    }
    const n = x.length, mean = s / n, varc = s2 / n - mean ** 2;
    // Standard errors: mean 1/sqrt(n) ~ 0.0022, variance ~0.0032, kurtosis ~0.011.
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(varc - 1)).toBeLessThan(0.015);
    expect(Math.abs(s4 / n - 3)).toBeLessThan(0.06);
  });
});
