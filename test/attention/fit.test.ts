// fitHash learns from the attention map: on inputs with planted structure its
// codes keep each query's heaviest keys better than random hyperplanes.
import { describe, expect, it } from 'vitest';
import { fitHash, hashAttentionSync, hashCodes, hashQuality, simhash } from '../../lib/index';
import { structuredAttentionInputs } from '../../lib/attention/synthetic';

describe('fitHash', () => {
  const inputs = structuredAttentionInputs({ seq: 768, dim: 32, heads: 2, seed: 7 });

  it('improves top-k recall and rank correlation over simhash on a planted-structure input', () => {
    for (const bits of [16, 32]) {
      const r = fitHash(inputs.q, inputs.k, { bits, anchors: 48, samples: 384, iterations: 40, seed: 1 });
      expect(r.hash.kind).toBe('kernel');
      expect(r.hash.heads).toBe(2);
      expect(r.quality.recall).toBeGreaterThan(r.simhash.recall + 0.03);
      expect(r.quality.rankCorrelation).toBeGreaterThan(r.simhash.rankCorrelation);
      // The same figures from the public scorer.
      const again = hashQuality(inputs.q, inputs.k, r.hash, { topk: 16 });
      expect(again.recall).toBeCloseTo(r.quality.recall, 10);
      expect(again.scale).toBeCloseTo(r.hash.scale!, 10);
      const sim = hashQuality(inputs.q, inputs.k, simhash({ dim: 32, bits, heads: 2, seed: 1 }));
      expect(sim.recall).toBeCloseTo(r.simhash.recall, 10);
    }
  });

  it('is deterministic for a seed, and its codes drive both attention modes closer to softmax', () => {
    const a = fitHash(inputs.q, inputs.k, { bits: 32, samples: 256, iterations: 20, seed: 3 });
    const b = fitHash(inputs.q, inputs.k, { bits: 32, samples: 256, iterations: 20, seed: 3 });
    expect(Array.from(hashCodes(inputs.q, a.hash).words)).toEqual(Array.from(hashCodes(inputs.q, b.hash).words));
    const sim = simhash({ dim: 32, bits: 32, heads: 2, seed: 3, scale: hashQuality(inputs.q, inputs.k, simhash({ dim: 32, bits: 32, heads: 2, seed: 3 })).scale });
    const fitted = hashAttentionSync(inputs.q, inputs.k, inputs.v, { hash: a.hash, mode: 'hamming-softmax', compare: true });
    const random = hashAttentionSync(inputs.q, inputs.k, inputs.v, { hash: sim, mode: 'hamming-softmax', compare: true });
    expect(fitted.error!.cosine).toBeGreaterThan(random.error!.cosine);
  });

  it("hash: 'kernel' fits on the inputs of the call", () => {
    const r = hashAttentionSync(inputs.q, inputs.k, inputs.v, { bits: 16, hash: 'kernel' });
    expect(r.hash.kind).toBe('kernel');
    expect(r.output.shape).toEqual([1, 2, 768, 32]);
  });
});
