// Float64 references for hash attention, written from the definitions and
// nothing else: codes as 0/1 arrays, similarity bits - Hamming, quadratic sums.
import { Tensor } from '../../lib/tensor';

/** Rows of a [batch, heads, seq, dim] tensor, or [seq, dim] as one head. */
export function rows(t: Tensor): { units: number; seq: number; dim: number; at: (u: number, s: number, d: number) => number } {
  const [units, seq, dim] = t.rank === 2 ? [1, t.shape[0], t.shape[1]] : [t.shape[0] * t.shape[1], t.shape[2], t.shape[3]];
  return { units, seq, dim, at: (u, s, d) => t.data[(u * seq + s) * dim + d] };
}

/** Hamming distance of codes i and j given as 0/1 rows of `bits`. */
export function hamming(a: Uint8Array, i: number, b: Uint8Array, j: number, bits: number): number {
  let h = 0;
  for (let t = 0; t < bits; t++) h += a[i * bits + t] !== b[j * bits + t] ? 1 : 0;
  return h;
}

/**
 * The linear-mode kernel evaluated directly: out_i = sum_j s_ij v_j / sum_j s_ij,
 * s_ij = bits - Hamming (exact), or EcoFormer's form with +-1 dot products and
 * (bits + 1) v_i. qBits/kBits are [units * n, bits] 0/1.
 */
export function linearReference(qBits: Uint8Array, kBits: Uint8Array, v: Tensor, bits: number, causal: boolean,
                                variant: 'exact' | 'ecoformer' = 'exact'): Float64Array {
  const V = rows(v);
  const nq = qBits.length / bits / V.units;
  const out = new Float64Array(V.units * nq * V.dim);
  for (let u = 0; u < V.units; u++)
    for (let i = 0; i < nq; i++) {
      const lim = causal ? i + 1 : V.seq;
      const num = new Float64Array(V.dim);
      let den = 0;
      for (let j = 0; j < lim; j++) {
        const s = bits - hamming(qBits, u * nq + i, kBits, u * V.seq + j, bits);
        const w = variant === 'ecoformer' ? 2 * s - bits : s;
        den += w;
        for (let d = 0; d < V.dim; d++) num[d] += w * V.at(u, j, d);
      }
      if (variant === 'ecoformer') {
        den += lim * (bits + 1);
        for (let d = 0; d < V.dim; d++) num[d] += (bits + 1) * V.at(u, i, d);
      }
      for (let d = 0; d < V.dim; d++) out[(u * nq + i) * V.dim + d] = den !== 0 ? num[d] / den : 0;
    }
  return out;
}

/** Softmax over scale * (bits - 2 Hamming), optionally the topk nearest keys (ties: lower index). */
export function hammingReference(qBits: Uint8Array, kBits: Uint8Array, v: Tensor, bits: number, causal: boolean,
                                 scale: number, topk = 0): Float64Array {
  const V = rows(v);
  const nq = qBits.length / bits / V.units;
  const out = new Float64Array(V.units * nq * V.dim);
  for (let u = 0; u < V.units; u++)
    for (let i = 0; i < nq; i++) {
      const lim = causal ? i + 1 : V.seq;
      const keys = Array.from({ length: lim }, (_, j) => ({ j, logit: scale * (bits - 2 * hamming(qBits, u * nq + i, kBits, u * V.seq + j, bits)) }));
      const kept = topk > 0 && topk < lim ? [...keys].sort((a, b) => b.logit - a.logit || a.j - b.j).slice(0, topk) : keys;
      const mx = Math.max(...kept.map((x) => x.logit));
      let den = 0;
      const num = new Float64Array(V.dim);
      for (const { j, logit } of kept) {
        const w = Math.exp(logit - mx);
        den += w;
        for (let d = 0; d < V.dim; d++) num[d] += w * V.at(u, j, d);
      }
      for (let d = 0; d < V.dim; d++) out[(u * nq + i) * V.dim + d] = num[d] / den;
    }
  return out;
}

export function softmaxReference(q: Tensor, k: Tensor, v: Tensor, causal: boolean, scale = 1 / Math.sqrt(rows(q).dim)): Float64Array {
  const Q = rows(q), K = rows(k), V = rows(v);
  const out = new Float64Array(Q.units * Q.seq * V.dim);
  for (let u = 0; u < Q.units; u++)
    for (let i = 0; i < Q.seq; i++) {
      const lim = causal ? i + 1 : K.seq;
      const logits: number[] = [];
      for (let j = 0; j < lim; j++) {
        let s = 0;
        for (let d = 0; d < Q.dim; d++) s += Q.at(u, i, d) * K.at(u, j, d);
        logits.push(s * scale);
      }
      const mx = Math.max(...logits);
      let den = 0;
      const num = new Float64Array(V.dim);
      logits.forEach((l, j) => {
        const w = Math.exp(l - mx);
        den += w;
        for (let d = 0; d < V.dim; d++) num[d] += w * V.at(u, j, d);
      });
      for (let d = 0; d < V.dim; d++) out[(u * Q.seq + i) * V.dim + d] = num[d] / den;
    }
  return out;
}

/** Largest |got - want| relative to 1 + |want| (values here are O(1)). */
export function worstError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

/** [batch, seq, heads * dim] from [batch, heads, seq, dim]. */
export function toBSD(t: Tensor): Tensor {
  const [b, h, s, d] = t.shape;
  const out = new Float32Array(t.size);
  for (let bi = 0; bi < b; bi++)
    for (let hi = 0; hi < h; hi++)
      for (let si = 0; si < s; si++)
        for (let di = 0; di < d; di++) out[((bi * s + si) * h + hi) * d + di] = t.data[((bi * h + hi) * s + si) * d + di];
  return new Tensor(out, [b, s, h * d]);
}
