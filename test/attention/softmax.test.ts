// softmaxAttention, our exact baseline, against float64.
import { describe, expect, it } from 'vitest';
import { softmaxAttention, softmaxAttentionSync, randn } from '../../lib/index';
import { softmaxReference, toBSD, worstError } from './reference';

describe('softmaxAttention', () => {
  for (const causal of [false, true])
    for (const [nq, nk, d, dv] of [[1, 1, 1, 1], [7, 7, 3, 5], [70, 70, 64, 64], [300, 300, 16, 40], [5, 600, 64, 64], [257, 513, 33, 17]])
      if (!causal || nq === nk)
        it(`matches float64: nq ${nq}, nk ${nk}, dim ${d}, dimV ${dv}${causal ? ', causal' : ''}`, () => {
          const q = randn([2, 2, nq, d], nq), k = randn([2, 2, nk, d], nk + 1), v = randn([2, 2, nk, dv], 3);
          const r = softmaxAttentionSync(q, k, v, { causal });
          expect(r.output.shape).toEqual([2, 2, nq, dv]);
          expect(worstError(r.output.data, softmaxReference(q, k, v, causal))).toBeLessThan(2e-5);
        });

  it('takes a scale, the 3-D layout, async, and reports its error against float64', async () => {
    const q = randn([1, 3, 90, 16], 1), k = randn([1, 3, 90, 16], 2), v = randn([1, 3, 90, 16], 3);
    const r = await softmaxAttention(toBSD(q), toBSD(k), toBSD(v), { heads: 3, scale: 0.5, causal: true, compare: true });
    expect(worstError(r.output.data, toBSD(softmaxAttentionSync(q, k, v, { scale: 0.5, causal: true }).output).data)).toBe(0);
    expect(r.error!.relativeError).toBeLessThan(1e-5);
    expect(r.error!.cosine).toBeGreaterThan(0.99999);
    const s = softmaxAttentionSync(q, k, v, { scale: 0.5, causal: true });
    expect(worstError(s.output.data, softmaxReference(q, k, v, true, 0.5))).toBeLessThan(2e-5);
  });

  it('propagates NaN in v to the rows that attend to it', () => {
    const q = randn([1, 1, 4, 8], 1), k = randn([1, 1, 4, 8], 2), v = randn([1, 1, 4, 8], 3);
    v.data[2 * 8] = NaN;
    const out = softmaxAttentionSync(q, k, v, { causal: true }).output.data;
    expect(Number.isNaN(out[1 * 8])).toBe(false);
    expect(Number.isNaN(out[2 * 8])).toBe(true);
    expect(Number.isNaN(out[3 * 8])).toBe(true);
  });
});
