// 'hamming-softmax' mode: exact quadratic attention whose logits are
// scale * (bits - 2 Hamming(h_q, h_k)), the +-1 code dot product, scored by
// XOR + popcount (VPOPCNTDQ where the CPU has it). Scores are integers, so
// each query's maximum is found exactly in a first pass; optionally only each
// query's topk nearest keys are kept (ties to the lower key index).
import type { HashAttentionCall } from '../native';
import type { HashCodes } from './codes';
import type { HeadsView } from './layout';

export function hammingCall(qc: HashCodes, kc: HashCodes, v: HeadsView, out: Float32Array, outStrides: HashAttentionCall['outStrides'],
                            causal: boolean, scale: number, topk: number, threads: number, portablePopcount = false): HashAttentionCall {
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
    scale,
    topk,
    portablePopcount,
  };
}
