// Float64 tensors for decompositions: permutes, and pairwise contractions
// lowered to one native float64 GEMM (transpose-transpose-GEMM-transpose).
// Indices are named by single characters, einsum style.
import { mat, mul } from './matrix';
import { Gen } from './ops';

export interface T64 {
  readonly data: Float64Array;
  readonly shape: readonly number[];
}

export function t64(shape: readonly number[], data?: Float64Array): T64 {
  const size = shape.reduce((p, d) => p * d, 1);
  return { data: data ?? new Float64Array(size), shape: [...shape] };
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** Dim i of the result is dim perm[i] of the row-major array `data` of `shape`. */
export function permuteArray<A extends Float32Array | Float64Array>(data: A, shape: readonly number[], perm: readonly number[]): A {
  const rank = shape.length;
  const out = new (data.constructor as { new (n: number): A })(data.length);
  if (rank === 0 || data.length === 0) {
    out.set(data);
    return out;
  }
  const pshape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= shape[d];
  }
  const strides = perm.map((p) => inStrides[p]);
  const idx = new Array<number>(rank).fill(0);
  const last = rank - 1, lastSize = pshape[last], lastStride = strides[last];
  let src = 0;
  for (let o = 0; o < out.length; o += lastSize) {
    for (let j = 0, q = src; j < lastSize; j++, q += lastStride) out[o + j] = data[q];
    // Odometer over all but the last dim.
    for (let d = last - 1; d >= 0; d--) {
      src += strides[d];
      if (++idx[d] < pshape[d]) break;
      src -= strides[d] * pshape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** Dim i of the result is dim perm[i] of t. */
export function permute64(t: T64, perm: readonly number[]): T64 {
  if (perm.every((p, i) => p === i)) return t;
  return { data: permuteArray(t.data, t.shape, perm), shape: perm.map((p) => t.shape[p]) };
}

/** Reorders t from index order `from` to `to` (both strings of the same characters). */
export function reorder(t: T64, from: string, to: string): T64 {
  return permute64(t, [...to].map((c) => from.indexOf(c)));
}

/** Sums t (indices `ids`) over the indices not in `keep`; the result has indices `keep`. */
export function sumOut(t: T64, ids: string, keep: string): T64 {
  const drop = [...ids].filter((c) => !keep.includes(c)).join('');
  if (!drop) return reorder(t, ids, keep);
  const p = reorder(t, ids, keep + drop);
  const outSize = sizeOf([...keep].map((c) => t.shape[ids.indexOf(c)]));
  const block = outSize === 0 ? 0 : p.data.length / outSize;
  const out = new Float64Array(outSize);
  for (let i = 0; i < outSize; i++) {
    let acc = 0;
    for (let j = 0; j < block; j++) acc += p.data[i * block + j];
    out[i] = acc;
  }
  return { data: out, shape: [...keep].map((c) => t.shape[ids.indexOf(c)]) };
}

/**
 * Σ over indices not in `outIds` of a * b (einsum 'aIds,bIds->outIds'):
 * indices of one operand alone are summed first, indices shared and kept
 * are a batch of GEMMs, the rest one GEMM per batch item.
 */
export function* contract64(a: T64, aIds: string, b: T64, bIds: string, outIds: string): Gen<T64> {
  const sizes = new Map<string, number>();
  [...aIds].forEach((c, i) => sizes.set(c, a.shape[i]));
  [...bIds].forEach((c, i) => sizes.set(c, b.shape[i]));
  const aKeep = [...aIds].filter((c) => bIds.includes(c) || outIds.includes(c)).join('');
  const bKeep = [...bIds].filter((c) => aIds.includes(c) || outIds.includes(c)).join('');
  if (aKeep !== aIds) ({ a, aIds } = { a: sumOut(a, aIds, aKeep), aIds: aKeep });
  if (bKeep !== bIds) ({ b, bIds } = { b: sumOut(b, bIds, bKeep), bIds: bKeep });
  const batch = [...aIds].filter((c) => bIds.includes(c) && outIds.includes(c));
  const k = [...aIds].filter((c) => bIds.includes(c) && !outIds.includes(c));
  const af = [...aIds].filter((c) => !bIds.includes(c));
  const bf = [...bIds].filter((c) => !aIds.includes(c));
  const prod = (ids: string[]) => ids.reduce((p, c) => p * (sizes.get(c) ?? 1), 1);
  const nb = prod(batch), m = prod(af), n = prod(bf), kk = prod(k);
  const pa = reorder(a, aIds, [...batch, ...af, ...k].join(''));
  const pb = reorder(b, bIds, [...batch, ...k, ...bf].join(''));
  const c = new Float64Array(nb * m * n);
  if (nb === 1) {
    c.set((yield* mul(mat(m, kk, pa.data), mat(kk, n, pb.data))).data);
  } else if (m * n * kk >= 4096) {
    for (let t = 0; t < nb; t++) {
      const r = yield* mul(mat(m, kk, pa.data.subarray(t * m * kk, (t + 1) * m * kk)), mat(kk, n, pb.data.subarray(t * kk * n, (t + 1) * kk * n)));
      c.set(r.data, t * m * n);
    }
  } else {
    // Many small products (e.g. the outer products of a Khatri-Rao product).
    for (let t = 0; t < nb; t++)
      for (let i = 0; i < m; i++)
        for (let p = 0; p < kk; p++) {
          const x = pa.data[(t * m + i) * kk + p];
          if (x === 0) continue;
          const bo = (t * kk + p) * n, co = (t * m + i) * n;
          for (let j = 0; j < n; j++) c[co + j] += x * pb.data[bo + j];
        }
  }
  const mid = [...batch, ...af, ...bf].join('');
  return reorder({ data: c, shape: [...mid].map((x) => sizes.get(x)!) }, mid, outIds);
}

/** Mode-k unfolding: [shape[k], product of the rest], the rest in order. */
export function unfold(t: T64, mode: number): T64 {
  const perm = [mode, ...t.shape.map((_, i) => i).filter((i) => i !== mode)];
  const p = permute64(t, perm);
  return { data: p.data, shape: [t.shape[mode], p.data.length / Math.max(1, t.shape[mode])] };
}
