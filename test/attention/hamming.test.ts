// hamming-softmax against a naive float64 evaluation: dense, causal, top-k.
import { describe, expect, it } from 'vitest';
import { hashAttention, hashAttentionSync, randn, simhash, unpackCodes } from '../../lib/index';
import { hammingReference, toBSD, worstError } from './reference';

describe("mode 'hamming-softmax'", () => {
  for (const bits of [1, 16, 32, 33, 64, 129, 256])
    for (const causal of [false, true])
      for (const topk of [0, 1, 5])
        it(`equals the naive softmax over code scores: ${bits} bits${causal ? ', causal' : ''}${topk ? `, top-${topk}` : ''}`, () => {
          const nk = 70, nq = causal ? nk : 45;
          const q = randn([1, 2, nq, 12], bits), k = randn([1, 2, nk, 12], bits + 1), v = randn([1, 2, nk, 30], bits + 2);
          const hash = simhash({ dim: 12, bits, heads: 2, seed: 3 });
          const scale = 4 / bits;
          const r = hashAttentionSync(q, k, v, { hash, mode: 'hamming-softmax', causal, scale, ...(topk ? { topk } : {}) });
          const ref = hammingReference(unpackCodes(r.codes.q), unpackCodes(r.codes.k), v, bits, causal, scale, topk);
          expect(worstError(r.output.data, ref)).toBeLessThan(2e-5);
        });

  it('uses the hash scale by default, else 1 / sqrt(bits)', () => {
    const q = randn([1, 1, 20, 8], 1), v = randn([1, 1, 20, 8], 2);
    const plain = simhash({ dim: 8, bits: 16, seed: 1 }), scaled = simhash({ dim: 8, bits: 16, seed: 1, scale: 0.9 });
    const a = hashAttentionSync(q, q, v, { hash: plain, mode: 'hamming-softmax' });
    const b = hashAttentionSync(q, q, v, { hash: scaled, mode: 'hamming-softmax' });
    const qb = unpackCodes(a.codes.q);
    expect(worstError(a.output.data, hammingReference(qb, qb, v, 16, false, 1 / 4))).toBeLessThan(2e-5);
    expect(worstError(b.output.data, hammingReference(qb, qb, v, 16, false, 0.9))).toBeLessThan(2e-5);
  });

  it('async, 3-D layout and many blocks of keys', async () => {
    const q = randn([1, 2, 700, 32], 4), k = randn([1, 2, 1100, 32], 5), v = randn([1, 2, 1100, 16], 6);
    const r = await hashAttention(q, k, v, { bits: 64, mode: 'hamming-softmax', scale: 0.1 });
    const ref = hammingReference(unpackCodes(r.codes.q), unpackCodes(r.codes.k), v, 64, false, 0.1);
    expect(worstError(r.output.data, ref)).toBeLessThan(2e-5);
    const s = hashAttentionSync(toBSD(q), toBSD(k), toBSD(v), { bits: 64, mode: 'hamming-softmax', scale: 0.1, heads: 2 });
    expect(worstError(s.output.data, toBSD(r.output).data)).toBe(0);
  });
});
