// Bad calls throw errors that name the argument and dimension, from the
// TypeScript layer and again from the addon when it is called directly.
import { describe, expect, it } from 'vitest';
import {
  fitHash, hashAttention, hashAttentionSync, hashCodes, HashAttentionState, packCodes, randn, simhash, softmaxAttentionSync, zeros,
} from '../../lib/index';
import { native } from '../../lib/native';

const q = randn([1, 2, 8, 16], 1), k = randn([1, 2, 8, 16], 2), v = randn([1, 2, 8, 16], 3);

describe('hashAttention rejects bad input', () => {
  it('mismatched q, k and v shapes, naming the operands and dims', () => {
    expect(() => hashAttentionSync(q, randn([1, 2, 8, 12], 1), v, { bits: 8 })).toThrow(/q \[1, 2, 8, 16\] and k \[1, 2, 8, 12\] must have the same head dim, got 16 and 12/);
    expect(() => hashAttentionSync(q, k, randn([1, 2, 9, 16], 1), { bits: 8 })).toThrow(/k \[1, 2, 8, 16\] and v \[1, 2, 9, 16\] must have the same sequence length, got 8 and 9/);
    expect(() => hashAttentionSync(q, randn([2, 2, 8, 16], 1), v, { bits: 8 })).toThrow(/k \[2, 2, 8, 16\] has batch 2 but q \[1, 2, 8, 16\] has 1 \(dim 0\)/);
    expect(() => hashAttentionSync(q, randn([1, 3, 8, 16], 1), v, { bits: 8 })).toThrow(/k \[1, 3, 8, 16\] has 3 heads but q \[1, 2, 8, 16\] has 2/);
    expect(() => hashAttentionSync(randn([1, 2, 5, 16], 1), k, v, { bits: 8, causal: true })).toThrow(/causal attention needs as many queries as keys, got 5 queries and 8 keys/);
    expect(() => hashAttentionSync(zeros([4]), k, v, { bits: 8 })).toThrow(/q must be \[batch, heads, seq, dim\]/);
  });

  it('bits outside 1..256', () => {
    for (const bits of [0, 257, -3, 2.5])
      expect(() => hashAttentionSync(q, k, v, { bits })).toThrow(new RegExp(`options.bits must be an integer in \\[1, 256\\], got ${bits}`));
    expect(() => hashAttentionSync(q, k, v, {} as never)).toThrow(/options.bits is required/);
    expect(() => simhash({ dim: 16, bits: 300 })).toThrow(/simhash: options.bits must be an integer in \[1, 256\], got 300/);
    expect(() => packCodes([], { bits: 0, shape: [0] })).toThrow(/bits must be an integer in \[1, 256\]/);
    expect(() => hashAttentionSync(q, k, v, { bits: 16, hash: simhash({ dim: 16, bits: 8 }) })).toThrow(/options.bits is 16 but the hash function makes 8-bit codes/);
  });

  it('heads not dividing the width, or disagreeing with the tensors', () => {
    const x = randn([1, 8, 30], 1);
    expect(() => hashAttentionSync(x, x, x, { bits: 8, heads: 4 })).toThrow(/options.heads = 4 does not divide the width 30 of hashAttentionSync: q \[1, 8, 30\] \(dim 2\)/);
    expect(() => hashAttentionSync(x, x, x, { bits: 8 })).toThrow(/is 3-D: pass options.heads/);
    expect(() => hashAttentionSync(q, k, v, { bits: 8, heads: 3 })).toThrow(/has 2 heads in dim 1 but options.heads is 3/);
    expect(() => hashAttentionSync(q, k, v, { bits: 8, heads: 0 })).toThrow(/options.heads must be an integer in \[1, /);
    expect(() => hashCodes(q, simhash({ dim: 16, bits: 8, heads: 3 }))).toThrow(/the hash function has 3 heads but x \[1, 2, 8, 16\] has 2/);
    expect(() => hashCodes(q, simhash({ dim: 12, bits: 8 }))).toThrow(/the hash function is for dim 12 but x \[1, 2, 8, 16\] has head dim 16/);
  });

  it('NaN or infinite queries and keys are errors naming the token; NaN values propagate', () => {
    const bad = randn([1, 2, 8, 16], 1);
    bad.data[(1 * 8 + 5) * 16 + 3] = NaN;
    expect(() => hashAttentionSync(bad, k, v, { bits: 8 })).toThrow(/q has a NaN or infinite value .* at batch 0, head 1, token 5/);
    const inf = randn([1, 2, 8, 16], 2);
    inf.data[7] = Infinity;
    expect(() => hashAttentionSync(q, inf, v, { bits: 8 })).toThrow(/k has a NaN or infinite value .* at batch 0, head 0, token 0/);
    const kern = fitHash(q, k, { bits: 8, anchors: 4, samples: 8, iterations: 2 }).hash;
    expect(() => hashCodes(bad, kern)).toThrow(/NaN or infinite/);
    // A NaN value reaches exactly the outputs that attend to it: causal, the
    // tokens from its own on, in its own head.
    const nanV = randn([1, 2, 8, 16], 3);
    nanV.data[3 * 16] = NaN;
    for (const mode of ['linear', 'hamming-softmax'] as const) {
      const out = hashAttentionSync(q, k, nanV, { bits: 8, causal: true, mode }).output.data;
      for (let t = 0; t < 8; t++) expect(Number.isNaN(out[t * 16]), `${mode} token ${t}`).toBe(t >= 3);
      expect(out.subarray(8 * 16).some(Number.isNaN)).toBe(false);
    }
    expect(() => softmaxAttentionSync(q, k, nanV)).not.toThrow();
  });

  it('too few anchors, or more than there are keys', () => {
    expect(() => fitHash(q, k, { bits: 8, anchors: 1 })).toThrow(/options.anchors must be at least 2/);
    expect(() => fitHash(q, k, { bits: 8, anchors: 9 })).toThrow(/options.anchors = 9 but keys \[1, 2, 8, 16\] has only 8 tokens per head/);
    expect(() => fitHash(q, k, { bits: 8, anchors: 0 })).toThrow(/options.anchors must be an integer in \[1, /);
  });

  it('options that do not apply, unknown modes and hash kinds', () => {
    expect(() => hashAttentionSync(q, k, v, { bits: 8, mode: 'fast' as never })).toThrow(/options.mode must be one of 'linear', 'hamming-softmax', got 'fast'/);
    expect(() => hashAttentionSync(q, k, v, { bits: 8, topk: 3 })).toThrow(/topk applies to mode 'hamming-softmax'/);
    expect(() => hashAttentionSync(q, k, v, { bits: 8, mode: 'hamming-softmax', variant: 'ecoformer' })).toThrow(/variant applies to mode 'linear'/);
    expect(() => hashAttentionSync(q, k, v, { bits: 8, mode: 'hamming-softmax', scale: -1 })).toThrow(/options.scale must be in \[0, 1e6\], got -1/);
    expect(() => hashAttentionSync(q, k, v, { bits: 8, hash: 'minhash' as never })).toThrow(/options.hash must be a hash function, 'simhash' or 'kernel', got 'minhash'/);
    expect(() => hashAttentionSync(q, k, v, { bits: 8, hash: { kind: 'simhash', bits: 8, dim: 16, heads: 1, planes: new Float32Array(3) } as never })).toThrow(/options.hash.planes must have 128 elements, got 3/);
    expect(() => hashAttentionSync(randn([1, 2, 5, 16], 1), k, v, { bits: 8, variant: 'ecoformer' })).toThrow(/variant 'ecoformer' adds each query's own value/);
  });

  it('an output buffer of the wrong size or aliasing an input', () => {
    expect(() => hashAttentionSync(q, k, v, { bits: 8, out: new Float32Array(10) })).toThrow(/options.out has 10 elements but the output \[1, 2, 8, 16\] has 256/);
    expect(() => hashAttentionSync(q, k, v, { bits: 8, out: v.data })).toThrow(/out overlaps v/);
    expect(() => softmaxAttentionSync(q, k, v, { out: q.data })).toThrow(/out overlaps q/);
    expect(() => hashAttentionSync(q, k, v, { bits: 8, out: [1, 2] as never })).toThrow(/options.out must be a Float32Array/);
    expect(() => hashAttentionSync(q, k, v, { bits: 8, casual: true } as never)).toThrow(/hashAttentionSync: unknown option 'casual'/);
    expect(() => softmaxAttentionSync(q, k, v, { casual: true } as never)).toThrow(/softmaxAttentionSync: unknown option 'casual'; valid options are 'causal'/);
  });

  it('async forms reject instead of throwing', async () => {
    await expect(hashAttention(q, k, v, { bits: 999 })).rejects.toThrow(RangeError);
  });

  it('the state checks shapes against itself', () => {
    const s = new HashAttentionState({ hash: simhash({ dim: 16, bits: 8 }), heads: 2 });
    expect(() => s.step(q, k, randn([1, 2, 8, 12], 1))).toThrow(/v \[1, 2, 8, 12\] has head dim 12, expected 16/);
    expect(() => s.append(randn([1, 3, 8, 16], 1), v)).toThrow(/has batch 1 and 3 heads; the state has 1 and 2/);
    expect(() => s.step(randn([1, 2, 2, 16], 1), k, v)).toThrow(/q has 2 tokens but k has 8/);
  });
});

describe('the hash addon calls check every extent', () => {
  const f = (n: number) => new Float32Array(n);
  const strides = [64, 32, 8] as const;
  const base = () => ({
    qCodes: new BigUint64Array(8), kCodes: new BigUint64Array(8), v: f(64), vStrides: strides, out: f(64), outStrides: strides,
    batch: 1, heads: 2, nq: 4, nk: 4, dim: 8, bits: 8,
  });
  it('arrays too short for their views or codes', () => {
    expect(() => native().hashLinear({ ...base(), v: f(63) })).toThrow(/v needs elements up to index 63 but its array has 63/);
    expect(() => native().hashLinear({ ...base(), kCodes: new BigUint64Array(7) })).toThrow(/kCodes has 7 words but needs 8/);
    expect(() => native().hashHamming({ ...base(), outStrides: [64, 32, 9] })).toThrow(/out needs elements up to index 66 but its array has 64/);
    expect(() => native().hashLinear({ ...base(), outStrides: [64, 4, 8] })).toThrow(/out strides make rows overlap/);
    expect(() => native().hashLinear({ ...base(), bits: 0 })).toThrow(/bits must be an integer in \[1, 256\]/);
    expect(() => native().hashLinear({ ...base(), v: 'x' as never })).toThrow(/v must be a Float32Array/);
    const shared = f(64);
    expect(() => native().hashLinear({ ...base(), v: shared, out: shared })).toThrow(/out overlaps v/);
    expect(() => native().softmaxAttention({ q: f(64), qStrides: strides, k: f(64), kStrides: strides, v: f(64), vStrides: strides, out: f(64), outStrides: strides, batch: 1, heads: 2, nq: 4, nk: 5, dim: 8, dimV: 8 })).toThrow(/k needs elements up to index 71/);
    expect(() => native().hashCodes({ x: f(64), xStrides: strides, batch: 1, heads: 2, seq: 4, dim: 8, fn: { kind: 'simhash', bits: 8, dim: 8, heads: 1, planes: f(63) }, codes: new BigUint64Array(8) })).toThrow(/fn.planes has 63 elements but needs 64/);
    expect(() => native().hashState({ p: f(10), vsum: f(16), wsum: f(16), counts: new Int32Array(16), length: new Float64Array(2), batch: 1, heads: 2, dim: 8, bits: 8, n: 0 })).toThrow(/p has 10 elements but needs 128/);
  });
});
