// N:M products against float64 x · toDense()ᵀ at the active tier; the other
// tiers run the same cases in child processes (tiers test below).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { info, nmCompress, nmMatmul, nmMatmulSync, nmPrune, NMSparseMatrix, randn, Tensor, zeros } from '../../lib/index';
import { native } from '../../lib/native';
import { matmulRef, uniform, worstBoundRatio } from '../helpers/reference';

const PATTERNS: [number, number][] = [[2, 4], [1, 4], [2, 8], [4, 8], [1, 8], [1, 2], [2, 3], [3, 5], [5, 16]];

function reference(x: Tensor, w: NMSparseMatrix, bias?: Tensor) {
  const ref = matmulRef(x, w.toDense(), false, true);
  if (bias)
    for (let i = 0; i < ref.value.length; i++) {
      ref.value[i] += bias.data[i % w.shape[0]];
      ref.magnitude[i] += Math.abs(bias.data[i % w.shape[0]]);
    }
  return ref;
}

describe('nmMatmul', () => {
  it.each(PATTERNS)('%i:%i matches the float64 reference over token counts and row counts', (n, m) => {
    for (const rows of [1, 16, 17, 45])
      for (const tokens of [1, 2, 3, 4, 5, 8, 9, 31, 130]) {
        const k = m * (rows % 2 ? 7 : 12);
        const w = nmCompress(nmPrune(uniform([rows, k], rows + tokens), { n, m }), { n, m });
        const x = uniform([tokens, k], 1000 + tokens);
        const y = nmMatmulSync(x, w);
        expect(y.shape).toEqual([tokens, rows]);
        expect(worstBoundRatio(y.data, reference(x, w), k), `${n}:${m} rows ${rows} tokens ${tokens}`).toBeLessThanOrEqual(1);
      }
  });

  it.each([[2, 4], [1, 2], [3, 5], [5, 16]] as [number, number][])(
    '%i:%i matches over long reductions: many K blocks, split token chunks, every kernel form',
    (n, m) => {
      const k = 2560; // many K blocks, and past the chunk budget of the broadcast form
      const w = nmCompress(nmPrune(uniform([17, k], 7 * m), { n, m }), { n, m });
      for (const tokens of [1, 20, 48, 49, 300]) {
        const x = uniform([tokens, k], 2000 + tokens);
        expect(worstBoundRatio(nmMatmulSync(x, w).data, reference(x, w), k), `${n}:${m} tokens ${tokens}`).toBeLessThanOrEqual(1);
      }
    },
  );

  it.each([[2, 4], [1, 2], [3, 5], [5, 16]] as [number, number][])(
    '%i:%i matches at 9-16 tokens whose rows sit a multiple of 4 KiB apart (copied apart first)',
    (n, m) => {
      const k = 5120; // 20 KiB rows: every token's row in the same L1 sets
      const w = nmCompress(nmPrune(uniform([33, k], 11 * m), { n, m }), { n, m });
      for (const tokens of [9, 12, 13, 16]) {
        const x = uniform([tokens, k], 3000 + tokens);
        expect(worstBoundRatio(nmMatmulSync(x, w).data, reference(x, w), k), `${n}:${m} tokens ${tokens}`).toBeLessThanOrEqual(1);
      }
    },
  );

  it.each([[2, 4], [1, 8], [3, 5]] as [number, number][])(
    '%i:%i matches with the sums of many row panels and K blocks carried in a poisoned output',
    async (n, m) => {
      // 34 row blocks: more than one panel of row blocks per chunk, an odd last pair,
      // and a reduction of several K blocks whose partial sums wait in the output.
      const rows = 16 * 33 + 5, k = m * 200;
      const w = nmCompress(nmPrune(uniform([rows, k], 3 * m), { n, m }), { n, m });
      const bias = uniform([rows], 9);
      for (const tokens of [9, 300]) {
        const x = uniform([tokens, k], 4000 + tokens);
        const ref = reference(x, w, bias);
        for (const threads of [1, 2]) {
          const out = zeros([tokens, rows]);
          out.data.fill(NaN);
          await nmMatmul(x, w, { bias, out, threads });
          expect(worstBoundRatio(out.data, ref, k + 1), `${n}:${m} tokens ${tokens} threads ${threads}`).toBeLessThanOrEqual(1);
        }
      }
    },
  );

  it('adds a bias, keeps leading dims, and agrees sync/async and across threads', async () => {
    const w = nmCompress(nmPrune(uniform([33, 64], 1), { n: 2, m: 4 }), { n: 2, m: 4 });
    const bias = uniform([33], 2);
    const x = uniform([2, 3, 70, 64], 3);
    const y = nmMatmulSync(x, w, { bias });
    expect(y.shape).toEqual([2, 3, 70, 33]);
    const flat = new Tensor(x.data, [420, 64]);
    expect(worstBoundRatio(y.data, reference(flat, w, bias), 65)).toBeLessThanOrEqual(1);
    const a = await nmMatmul(x, w, { bias, threads: 2 });
    const one = nmMatmulSync(x, w, { bias, threads: 1 });
    expect(worstBoundRatio(a.data, reference(flat, w, bias), 65)).toBeLessThanOrEqual(1);
    expect(worstBoundRatio(one.data, reference(flat, w, bias), 65)).toBeLessThanOrEqual(1);
    const decode = await nmMatmul(uniform([1, 64], 4), w, { bias });
    expect(worstBoundRatio(decode.data, reference(uniform([1, 64], 4), w, bias), 65)).toBeLessThanOrEqual(1);
  });

  it('writes every output element (poisoned output at the native boundary)', () => {
    const w = nmCompress(nmPrune(uniform([19, 16], 5), { n: 1, m: 4 }), { n: 1, m: 4 });
    for (const tokens of [3, 40]) {
      const x = uniform([tokens, 16], 6);
      const y = new Float32Array(tokens * 19 + 8).fill(NaN);
      native().nmMatmul({ w: w.handle, x: x.data, tokens, y });
      expect(worstBoundRatio(y.subarray(0, tokens * 19), reference(x, w), 16)).toBeLessThanOrEqual(1);
      for (let i = tokens * 19; i < y.length; i++) expect(y[i]).toBeNaN();
    }
  });

  it('writes every element of options.out, poisoned, and returns that tensor', async () => {
    const w = nmCompress(nmPrune(uniform([19, 16], 5), { n: 2, m: 4 }), { n: 2, m: 4 });
    const bias = uniform([19], 7);
    for (const tokens of [1, 3, 40, 130]) {
      const x = uniform([tokens, 16], 6);
      const y = nmMatmulSync(x, w, { bias });
      const out = zeros([tokens, 19]);
      out.data.fill(NaN);
      expect(nmMatmulSync(x, w, { bias, out })).toBe(out);
      expect(out.data).toEqual(y.data);
      out.data.fill(NaN);
      expect(await nmMatmul(x, w, { bias, out })).toBe(out);
      expect(out.data).toEqual(y.data);
    }
    const w0 = nmCompress(new Tensor(new Float32Array(0), [3, 0]), { n: 1, m: 4 });
    const out0 = zeros([2, 3]);
    out0.data.fill(NaN);
    expect(Array.from(nmMatmulSync(new Tensor(new Float32Array(0), [2, 0]), w0, { out: out0 }).data)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('rejects bad input', () => {
    const w = nmCompress(nmPrune(uniform([4, 8], 1), { n: 2, m: 4 }), { n: 2, m: 4 });
    expect(() => nmMatmulSync(uniform([3, 8], 1), w, { out: zeros([3, 5]) })).toThrow(/options.out has shape \[3, 5\], the result is \[3, 4\]/);
    expect(() => nmMatmulSync(uniform([3, 8], 1), w, { out: new Float32Array(12) as never })).toThrow(/options.out must be a Tensor/);
    expect(() => nmMatmulSync(uniform([3, 7], 1), w)).toThrow(/x \[3, 7\] must end in k = 8 \(w is \[4, 8\]\)/);
    expect(() => nmMatmulSync(uniform([3, 8], 1), {} as NMSparseMatrix)).toThrow(/w must be an NMSparseMatrix/);
    expect(() => nmMatmulSync(uniform([3, 8], 1), w, { bias: uniform([5], 1) })).toThrow(/bias has 5 elements, w has 4 rows/);
    const nat = native();
    const f = (k: number) => new Float32Array(k);
    expect(() => nat.nmMatmul({ w: {}, x: f(8), tokens: 1, y: f(4) })).toThrow(/w must be a matrix made by nmCreate/);
    expect(() => nat.nmMatmul({ w: w.handle, x: f(7), tokens: 1, y: f(4) })).toThrow(/x has 7 elements, needs tokens x k = 8/);
    expect(() => nat.nmMatmul({ w: w.handle, x: f(8), tokens: 1, y: f(3) })).toThrow(/y has 3 elements/);
    const shared = f(16);
    expect(() => nat.nmMatmul({ w: w.handle, x: shared, tokens: 1, y: shared })).toThrow(/y overlaps x/);
    const { values, indices } = w.export();
    expect(() => nat.nmCreate({ rows: 4, k: 8, n: 2, m: 4, values, indices: indices.subarray(1) })).toThrow(/indices has \d+ bytes, the layout needs/);
    expect(() => nat.nmCreate({ rows: 4, k: 8, n: 2, m: 4, values: values.subarray(1), indices })).toThrow(/values has/);
    expect(() => nat.nmCreate({ rows: 4, k: 10, n: 2, m: 4, values, indices })).toThrow(/k = 10 is not a multiple of m = 4/);
    expect(() => nat.nmCreate({ rows: 4, k: 8, n: 4, m: 4, values, indices })).toThrow(/n must be below m/);
    // An index >= m (m = 5 uses 3 bits, so 5..7 are encodable) is caught.
    const w5 = nmCompress(nmPrune(uniform([16, 5], 2), { n: 1, m: 5 }), { n: 1, m: 5 });
    const e5 = w5.export();
    e5.indices[0] = 0b111;
    expect(() => nat.nmCreate({ rows: 16, k: 5, n: 1, m: 5, values: e5.values, indices: e5.indices })).toThrow(/corrupt metadata: row 0 group 0 slot 0 has index 7 \(m is 5\)/);
  });
});

const ORDER = ['generic', 'avx2', 'avx512'] as const;
const tiers = ORDER.slice(0, ORDER.indexOf(info().maxTier) + 1);
const child = join(__dirname, '..', 'helpers', 'nm-tier-child.cjs');

// AVX2 decodes with pdep only where it runs in hardware; TENSORFOLD_NO_PDEP forces the other form.
const variants = tiers.flatMap((tier) => (tier === 'avx2' ? [{ tier, noPdep: false }, { tier, noPdep: true }] : [{ tier, noPdep: false }]));

describe.each(variants)('nmMatmul on ISA tier $tier (pdep off: $noPdep)', ({ tier, noPdep }) => {
  it('matches the float64 reference for every pattern, decode and batched', () => {
    const cases = PATTERNS.flatMap(([n, m], i) => [1, 3, 8, 13, 16, 20, 48, 49, 140].map((tokens) => ({ n, m, rows: 17 + i, k: m * 9, tokens, seed: 50 * i + tokens })));
    const env = { ...process.env, TENSORFOLD_ISA: tier, ...(noPdep ? { TENSORFOLD_NO_PDEP: '1' } : {}) };
    const out = JSON.parse(execFileSync(process.execPath, [child, JSON.stringify(cases)], { env, maxBuffer: 1 << 26 }).toString());
    expect(out.tier).toBe(tier);
    if (noPdep) expect(out.fastPdep).toBe(false);
    cases.forEach((c, i) => {
      const w = nmCompress(nmPrune(randn([c.rows, c.k], c.seed), { n: c.n, m: c.m }), { n: c.n, m: c.m });
      const x = randn([c.tokens, c.k], c.seed + 1);
      const buf = Buffer.from(out.results[i], 'base64');
      const got = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      expect(worstBoundRatio(got, reference(x, w), c.k), JSON.stringify(c)).toBeLessThanOrEqual(1);
    });
  });
});
