// Linear mode against a float64 direct (quadratic) evaluation of the same
// kernel formula; causal against the masked quadratic sum; the streaming state
// against the causal computation.
import { describe, expect, it } from 'vitest';
import { hashAttention, hashAttentionSync, HashAttentionState, randn, simhash, unpackCodes } from '../../lib/index';
import { linearReference, softmaxReference, toBSD, worstError } from './reference';

const TOL = 2e-5;

describe('linear mode', () => {
  for (const bits of [1, 7, 16, 32, 33, 64, 100, 256])
    for (const causal of [false, true])
      it(`equals the quadratic kernel sum: ${bits} bits${causal ? ', causal' : ''}`, () => {
        const [B, H, S, D] = [2, 3, causal ? 45 : 40, 20];
        const q = randn([B, H, causal ? S : 29, D], bits), k = randn([B, H, S, D], bits + 1), v = randn([B, H, S, 36], bits + 2);
        const hash = simhash({ dim: D, bits, heads: H, seed: bits });
        const r = hashAttentionSync(q, k, v, { hash, causal });
        expect(r.output.shape).toEqual([B, H, causal ? S : 29, 36]);
        const ref = linearReference(unpackCodes(r.codes.q), unpackCodes(r.codes.k), v, bits, causal);
        expect(worstError(r.output.data, ref)).toBeLessThan(TOL);
      });

  it("variant 'ecoformer' equals its own formula (bits + 1) v_i, causal and not", () => {
    for (const causal of [false, true]) {
      const q = randn([1, 2, 33, 16], 1), k = randn([1, 2, 33, 16], 2), v = randn([1, 2, 33, 70], 3);
      const r = hashAttentionSync(q, k, v, { bits: 24, seed: 9, causal, variant: 'ecoformer' });
      const ref = linearReference(unpackCodes(r.codes.q), unpackCodes(r.codes.k), v, 24, causal, 'ecoformer');
      expect(worstError(r.output.data, ref)).toBeLessThan(TOL);
    }
  });

  it('reads and writes [batch, seq, heads * dim] through strides', () => {
    const q = randn([2, 3, 30, 16], 4), k = randn([2, 3, 30, 16], 5), v = randn([2, 3, 30, 16], 6);
    const a = hashAttentionSync(q, k, v, { bits: 40, seed: 2 });
    const b = hashAttentionSync(toBSD(q), toBSD(k), toBSD(v), { bits: 40, seed: 2, heads: 3 });
    expect(b.output.shape).toEqual([2, 30, 48]);
    expect(Array.from(b.output.data)).toEqual(Array.from(toBSD(a.output).data));
  });

  it('async equals sync; 1 and 2 threads agree', async () => {
    const q = randn([1, 4, 300, 64], 7), k = randn([1, 4, 300, 64], 8), v = randn([1, 4, 300, 64], 9);
    const s = hashAttentionSync(q, k, v, { bits: 32, threads: 1 });
    const t = hashAttentionSync(q, k, v, { bits: 32, threads: 2 });
    const a = await hashAttention(q, k, v, { bits: 32 });
    expect(Array.from(t.output.data)).toEqual(Array.from(s.output.data));
    expect(Array.from(a.output.data)).toEqual(Array.from(s.output.data));
  });

  it('writes into options.out when given, the same values as a new output', () => {
    const q = randn([1, 2, 40, 16], 1), k = randn([1, 2, 40, 16], 2), v = randn([1, 2, 40, 16], 3);
    const out = new Float32Array(2 * 40 * 16).fill(NaN);
    for (const mode of ['linear', 'hamming-softmax'] as const) {
      const a = hashAttentionSync(q, k, v, { bits: 24, mode });
      const b = hashAttentionSync(q, k, v, { bits: 24, mode, out });
      expect(b.output.data).toBe(out);
      expect(Array.from(out)).toEqual(Array.from(a.output.data));
    }
  });

  it('counts no multiplications in the loops over bits, and beats softmax on energy', () => {
    const q = randn([1, 2, 256, 64], 1);
    const r = hashAttentionSync(q, q, q, { bits: 32 });
    const a = r.opsBreakdown.attention;
    // Multiplies are O(seq * dim) (finishing each row), adds O(seq * bits * dim).
    expect(a.multiplies).toBeLessThan(4 * 2 * 256 * 64);
    expect(a.adds).toBeGreaterThan(2 * 2 * 256 * 32 * 64);
    expect(r.ops.energyPJ).toBeLessThan(r.softmaxOps.energyPJ / 5);
  });

  it('reports its error against exact softmax attention on request, as a float64 softmax measures it', () => {
    const q = randn([1, 2, 64, 16], 1), k = randn([1, 2, 64, 16], 2), v = randn([1, 2, 64, 16], 3);
    for (const causal of [false, true]) {
      const r = hashAttentionSync(q, k, v, { bits: 64, compare: true, causal });
      const ref = softmaxReference(q, k, v, causal);
      const out = r.output.data;
      let num = 0, den = 0, cos = 0;
      for (let row = 0; row < 2 * 64; row++) {
        let dot = 0, oo = 0, rr = 0;
        for (let d = 0; d < 16; d++) {
          const x = out[row * 16 + d], y = ref[row * 16 + d];
          num += (x - y) ** 2;
          den += y * y;
          dot += x * y;
          oo += x * x;
          rr += y * y;
        }
        cos += dot / Math.sqrt(oo * rr);
      }
      expect(r.error!.relativeError).toBeGreaterThan(0.01);
      expect(Math.abs(r.error!.relativeError - Math.sqrt(num / den))).toBeLessThan(1e-4 * Math.sqrt(num / den));
      expect(Math.abs(r.error!.cosine - cos / 128)).toBeLessThan(1e-4);
    }
  });
});

describe('HashAttentionState', () => {
  it('decoding token by token equals the causal computation exactly', () => {
    const [H, S, D] = [3, 50, 24];
    const q = randn([1, H, S, D], 1), k = randn([1, H, S, D], 2), v = randn([1, H, S, 40], 3);
    const hash = simhash({ dim: D, bits: 48, heads: H, seed: 4 });
    const full = hashAttentionSync(q, k, v, { hash, causal: true }).output;
    const state = new HashAttentionState({ hash, heads: H, dimV: 40 });
    const slice = (t: typeof q, s0: number, n: number) => {
      const [, h, s, d] = t.shape;
      const out = new Float32Array(h * n * d);
      for (let hi = 0; hi < h; hi++) out.set(t.data.subarray((hi * s + s0) * d, (hi * s + s0 + n) * d), hi * n * d);
      return { data: out, dims: [1, h, n, d], type: 'float32' };
    };
    // A prompt of 17 tokens at once, then one token per step.
    const steps: number[] = [17];
    while (steps.reduce((a, b) => a + b, 0) < S) steps.push(1);
    let s0 = 0;
    for (const n of steps) {
      const out = state.step(slice(q, s0, n), slice(k, s0, n), slice(v, s0, n));
      for (let h = 0; h < H; h++)
        for (let i = 0; i < n; i++)
          for (let d = 0; d < 40; d++) expect(out.data[(h * n + i) * 40 + d]).toBe(full.data[(h * S + s0 + i) * 40 + d]);
      s0 += n;
    }
    expect(state.length).toBe(S);
  });

  it('attend() equals non-causal attention over the appended tokens', () => {
    const q = randn([2, 2, 7, 16], 1), k = randn([2, 2, 30, 16], 2), v = randn([2, 2, 30, 16], 3);
    const hash = simhash({ dim: 16, bits: 20, seed: 1 });
    const state = new HashAttentionState({ hash, batch: 2, heads: 2 });
    state.append(k, v);
    const got = state.attend(q);
    const want = hashAttentionSync(q, k, v, { hash }).output;
    expect(worstError(got.data, want.data)).toBeLessThan(1e-5);
    state.reset();
    expect(state.length).toBe(0);
  });
});
