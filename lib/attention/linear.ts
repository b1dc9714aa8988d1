// 'linear' mode: the similarity of two codes, bits - Hamming(h_q, h_k) =
// (bits + h_q . h_k) / 2 for +-1 codes, is a kernel, so
//   out_i = sum_j s_ij v_j / sum_j s_ij
// is computed from per-bit sums of v (and counts) over the keys: O(seq * bits
// * dim) masked additions, no multiplications in the loops over bits. Causal
// attention keeps the sums as running prefixes.
//
// variant 'ecoformer' is the form of EcoFormer's released code (kept for
// comparison): it adds (bits + 1) times the query's own value to the
// numerator, where the normalised kernel has bits times the sum of all values:
//   out_i = (sum_j (h_i . h_j) v_j + (bits + 1) v_i) / (sum_j h_i . h_j + n (bits + 1)).
import type { HashAttentionCall } from '../native';
import type { HashCodes } from './codes';
import type { HeadsView } from './layout';

export type LinearVariant = 'exact' | 'ecoformer';

export function linearCall(qc: HashCodes, kc: HashCodes, v: HeadsView, out: Float32Array, outStrides: HashAttentionCall['outStrides'],
                           causal: boolean, variant: LinearVariant, threads: number): HashAttentionCall {
  return {
    qCodes: qc.words,
    kCodes: kc.words,
    v: v.tensor.data,
    vStrides: v.strides,
    out,
    outStrides,
    batch: v.batch,
    heads: v.heads,
    nq: qc.seq,
    nk: kc.seq,
    dim: v.dim,
    bits: qc.bits,
    causal,
    threads,
    variant: variant === 'ecoformer' ? 1 : 0,
  };
}
