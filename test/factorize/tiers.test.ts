// Every ISA tier this CPU runs, forced by TENSORFOLD_ISA in a child process:
// each format's forward pass (fused and unfused, 1 and 2 threads) against
// the float64 reference, and the SVD by its properties.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decomposeSync, FactorizedLinear, info, randn } from '../../lib/index';
import { decayingWeight } from '../../lib/factorize/synthetic';
import { chainBoundRatio, forwardReference, SHAPE } from './helpers';

const child = join(__dirname, '..', 'helpers', 'factorized-tier-child.cjs');
const ORDER = ['generic', 'avx2', 'avx512'] as const;
const supported = ORDER.slice(0, ORDER.indexOf(info().maxTier) + 1);

const w = randn([48, 60], 11);
const bias = randn([60], 12);
const layers: FactorizedLinear[] = [
  decomposeSync(w, { format: 'lowrank', ranks: 9, bias }),
  decomposeSync(w, { format: 'tt', shape: { in: [2, 4, 6], out: [3, 4, 5] }, ranks: 4, bias }),
  decomposeSync(w, { format: 'tucker', shape: SHAPE, ranks: [3, 4, 6, 2], bias }),
  decomposeSync(w, { format: 'cp', shape: SHAPE, ranks: 5, iterations: 10, bias }),
  // Layers whose last step runs weight-left (Wᵀ packed once, per token): rows and
  // columns past whole register tiles (25 = 2 x 12 + 1 rows, 34 and 111 columns).
  decomposeSync(randn([48, 850], 13), { format: 'tt', shape: { in: [2, 24], out: [25, 34] }, ranks: 3, bias: randn([850], 14) }),
  decomposeSync(randn([48, 1443], 15), { format: 'tt', shape: { in: [2, 4, 6], out: [13, 3, 37] }, ranks: 3, bias: randn([1443], 16) }),
];
const cases = layers.flatMap((layer, li) =>
  [1, 2].flatMap((threads) => [1, 37].map((tokens) => ({ li, layer: Buffer.from(layer.serialize()).toString('base64'), tokens, threads, seed: 100 + tokens }))),
);
const m = 70, n = 45;
const svdInput = decayingWeight(m, n, { alpha: 3, seed: 4 }); // condition ~ 45^3

const f32 = (s: string) => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const f64 = (s: string) => {
  const b = Buffer.from(s, 'base64');
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

describe.each(supported)('ISA tier %s', (tier) => {
  it('runs every format within the float32 bound of the float64 reference, and an SVD with orthonormal factors', () => {
    const a = Float64Array.from(svdInput.data);
    const stdin = JSON.stringify({
      cases: cases.map(({ layer, tokens, threads, seed }) => ({ layer, tokens, threads, seed })),
      svd: { m, n, a: Buffer.from(a.buffer).toString('base64') },
    });
    const stdout = execFileSync(process.execPath, [child], { input: stdin, env: { ...process.env, TENSORFOLD_ISA: tier }, maxBuffer: 1 << 28 }).toString();
    const out = JSON.parse(stdout) as { tier: string; results: { fused: string; unfused: string }[]; svd: { u: string; s: string; vt: string } };
    expect(out.tier).toBe(tier);
    cases.forEach((c, i) => {
      const layer = layers[c.li];
      const ref = forwardReference(layer, randn([c.tokens, layer.inFeatures], c.seed));
      for (const mode of ['fused', 'unfused'] as const)
        expect(chainBoundRatio(layer, c.tokens, f32(out.results[i][mode]), ref), `${layer.format} ${mode} ${c.tokens} tokens ${c.threads} threads`).toBeLessThanOrEqual(1);
    });
    const u = f64(out.svd.u), s = f64(out.svd.s), vt = f64(out.svd.vt);
    const k = Math.min(m, n);
    for (let p = 0; p < k; p++) {
      expect(Math.abs(s[p] - Math.pow(1 + p, -3))).toBeLessThan(1e-6 * Math.pow(1 + p, -3) + 1e-6);
      for (let q = 0; q < k; q++) {
        let du = 0, dv = 0;
        for (let r = 0; r < m; r++) du += u[r * k + p] * u[r * k + q];
        for (let r = 0; r < n; r++) dv += vt[p * n + r] * vt[q * n + r];
        expect(Math.abs(du - (p === q ? 1 : 0))).toBeLessThan(1e-12);
        expect(Math.abs(dv - (p === q ? 1 : 0))).toBeLessThan(1e-12);
      }
    }
  });
});
