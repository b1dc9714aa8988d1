// Float64 references and error bounds that the native kernels are checked
// against. Deliberately naive: their correctness is obvious by reading.
import { Tensor, xoshiro128 } from '../../lib/tensor';

/** Uniform values in [-1, 1) from a seeded generator. */
export function uniform(shape: number[], seed: number): Tensor {
  const next = xoshiro128(seed);
  const size = shape.reduce((p, d) => p * d, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = next() / 2 ** 31 - 1;
  return new Tensor(data, shape);
}

export interface RefResult {
  value: Float64Array;
  /** Σ|a||b| per output element: the scale of the rounding error. */
  magnitude: Float64Array;
  shape: number[];
}

/** numpy.matmul in float64, with optional transposes of the last two dims. */
export function matmulRef(a: Tensor, b: Tensor, transA = false, transB = false): RefResult {
  const aShape = a.rank === 1 ? (transA ? [a.shape[0], 1] : [1, a.shape[0]]) : [...a.shape];
  const bShape = b.rank === 1 ? (transB ? [1, b.shape[0]] : [b.shape[0], 1]) : [...b.shape];
  const [ar, ac] = aShape.slice(-2), [br, bc] = bShape.slice(-2);
  const m = transA ? ac : ar, k = transA ? ar : ac, n = transB ? br : bc;
  const aB = aShape.slice(0, -2), bB = bShape.slice(0, -2);
  const rank = Math.max(aB.length, bB.length);
  const batch: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = aB[aB.length - rank + i] ?? 1, db = bB[bB.length - rank + i] ?? 1;
    batch.push(da === 1 ? db : da);
  }
  const count = batch.reduce((p, d) => p * d, 1);
  // Matrix index, within an operand whose batch dims are `own` (right
  // aligned, size-1 dims broadcast), of broadcast batch item t.
  const itemOf = (own: number[], t: number) => {
    const lead = rank - own.length;
    let off = 0, stride = 1, rem = t;
    for (let i = rank - 1; i >= 0; i--) {
      const idx = rem % batch[i];
      rem = Math.floor(rem / batch[i]);
      if (i < lead) continue;
      const d = own[i - lead];
      if (d !== 1) off += idx * stride;
      stride *= d;
    }
    return off;
  };
  const value = new Float64Array(count * m * n), magnitude = new Float64Array(count * m * n);
  for (let t = 0; t < count; t++) {
    const ao = itemOf(aB, t) * m * k, bo = itemOf(bB, t) * k * n;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0, g = 0;
        for (let p = 0; p < k; p++) {
          const x = a.data[ao + (transA ? p * m + i : i * k + p)];
          const y = b.data[bo + (transB ? j * k + p : p * n + j)];
          s += x * y;
          g += Math.abs(x * y);
        }
        value[t * m * n + i * n + j] = s;
        magnitude[t * m * n + i * n + j] = g;
      }
  }
  const shape = [...batch, ...(a.rank === 1 ? [] : [m]), ...(b.rank === 1 ? [] : [n])];
  return { value, magnitude, shape };
}

/**
 * Worst violation of the float32 dot-product bound |c - ref| <= γ·Σ|a||b|
 * with γ = (k + 2)·2^-24 (a rigorous bound for any summation order, plus the
 * final rounding). Returns the largest ratio error / bound: <= 1 passes.
 * A missing or doubled term breaks it by orders of magnitude; NaN fails.
 */
export function worstBoundRatio(got: Float32Array, ref: RefResult, k: number): number {
  const gamma = (k + 2) * 2 ** -24;
  let worst = 0;
  if (got.length !== ref.value.length) return Infinity;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - ref.value[i]);
    const bound = gamma * ref.magnitude[i] + 1e-30;
    const r = err / bound;
    if (!(r <= worst)) worst = Number.isNaN(r) ? Infinity : r;
  }
  return worst;
}
