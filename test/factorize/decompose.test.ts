// Decomposition: round trips at full rank, error monotone in rank, error
// targets met, data-aware decomposition beating the weight SVD on correlated
// activations, degenerate weights, conventions and bad input.
import { describe, expect, it, vi } from 'vitest';
import { decompose, decomposeSync, FactorizedLinear, matmulSync, randn, Tensor } from '../../lib/index';
import { correlatedActivations, decayingWeight } from '../../lib/factorize/synthetic';
import { relError, SHAPE } from './helpers';

const quiet = () => vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);

const FULL = {
  lowrank: { format: 'lowrank' as const, ranks: 48 },
  tt: { format: 'tt' as const, shape: SHAPE, ranks: 36 },
  tucker: { format: 'tucker' as const, shape: SHAPE, ranks: [6, 10, 6, 8] },
  // A 4-way [6, 10, 6, 8] tensor has CP rank at most 480; ALS gets close well before.
};

describe('round trips', () => {
  it.each(Object.entries(FULL))('%s at full rank reconstructs W to float32 precision', (_, opts) => {
    const w = randn([48, 60], 1);
    const layer = decomposeSync(w, opts);
    expect(layer.weightError).toBeLessThan(1e-6);
    const dense = layer.toDense();
    expect(dense.shape).toEqual([48, 60]);
    expect(relError(dense.data, w.data)).toBeLessThan(1e-6);
  });

  it('cp converges to a rank-R tensor it is given', () => {
    // A CP rank-3 weight: ALS recovers it to within float32 noise.
    const [a1, a2, b1, b2] = [randn([6, 3], 1), randn([10, 3], 2), randn([6, 3], 3), randn([8, 3], 4)];
    const w = new Float32Array(60 * 48);
    for (let m1 = 0; m1 < 6; m1++) for (let m2 = 0; m2 < 10; m2++) for (let n1 = 0; n1 < 6; n1++) for (let n2 = 0; n2 < 8; n2++) {
      let s = 0;
      for (let r = 0; r < 3; r++) s += a1.data[m1 * 3 + r] * a2.data[m2 * 3 + r] * b1.data[n1 * 3 + r] * b2.data[n2 * 3 + r];
      w[(m1 * 10 + m2) * 48 + n1 * 8 + n2] = s;
    }
    const layer = decomposeSync(new Tensor(w, [60, 48]), { format: 'cp', transpose: true, shape: SHAPE, ranks: 3, iterations: 2000, tolerance: 1e-12 });
    expect(layer.weightError).toBeLessThan(1e-4);
    expect(layer.report.converged).toBe(true);
    expect(typeof layer.report.alsIterations).toBe('number');
  });
});

describe('error against rank', () => {
  const w = decayingWeight(60, 48, { seed: 3 });
  it.each([
    ['lowrank', (r: number) => ({ format: 'lowrank' as const, ranks: r, transpose: true }), [1, 2, 4, 8, 16, 32, 48]],
    ['tt', (r: number) => ({ format: 'tt' as const, transpose: true, shape: SHAPE, ranks: r }), [1, 2, 4, 8, 16, 36]],
    ['tucker', (r: number) => ({ format: 'tucker' as const, transpose: true, shape: SHAPE, ranks: r }), [1, 2, 3, 4, 6]],
    ['cp', (r: number) => ({ format: 'cp' as const, transpose: true, shape: SHAPE, ranks: r, iterations: 300 }), [1, 2, 4, 8, 16]],
  ] as const)('%s: the weight error does not grow with rank', (_, make, ranks) => {
    const spy = quiet();
    const errs = ranks.map((r) => decomposeSync(w, make(r)).weightError);
    spy.mockRestore();
    for (let i = 1; i < errs.length; i++) expect(errs[i], `ranks ${ranks.join(',')}: ${errs.join(', ')}`).toBeLessThanOrEqual(errs[i - 1] * (1 + 1e-6) + 1e-7);
    expect(errs[errs.length - 1]).toBeLessThan(errs[0]);
  });

  it.each(['lowrank', 'tt', 'tucker'] as const)('%s meets options.maxError with the smallest rank that does', (format) => {
    for (const target of [0.5, 0.2, 0.05]) {
      const layer = decomposeSync(w, { format, transpose: true, maxError: target, ...(format === 'lowrank' ? {} : { shape: SHAPE }) });
      expect(layer.weightError, `${format} ${target}`).toBeLessThanOrEqual(target * (1 + 1e-5));
      if (format === 'lowrank' && layer.ranks[0] > 1) {
        const smaller = decomposeSync(w, { format, transpose: true, ranks: layer.ranks[0] - 1 });
        expect(smaller.weightError).toBeGreaterThan(target);
      }
    }
  });

  it('cp raises its rank until options.maxError is met', () => {
    const layer = decomposeSync(w, { format: 'cp', transpose: true, shape: SHAPE, maxError: 0.6, iterations: 100 });
    expect(layer.weightError).toBeLessThanOrEqual(0.6 * (1 + 1e-5));
    expect((layer.report.ranksTried as unknown[]).length).toBeGreaterThan(1);
  });
});

describe('data-aware decomposition', () => {
  const w = decayingWeight(64, 96, { seed: 5, alpha: 0.3 }); // [N_out, N_in] (transpose)
  const x = correlatedActivations(512, 96, { seed: 6 });
  const outErr = (layer: FactorizedLinear) => layer.error(x);

  it('low rank: the whitened SVD beats the weight SVD on the output at equal rank', () => {
    for (const r of [4, 8, 16]) {
      const plain = decomposeSync(w, { format: 'lowrank', transpose: true, ranks: r });
      const aware = decomposeSync(w, { format: 'lowrank', transpose: true, ranks: r, calibration: x });
      expect(aware.outputError).not.toBeNull();
      expect(Math.abs(outErr(aware) - aware.outputError!)).toBeLessThan(1e-4);
      expect(outErr(aware), `rank ${r}`).toBeLessThan(0.8 * outErr(plain));
      // The weight error is what it trades for that.
      expect(aware.weightError).toBeGreaterThanOrEqual(plain.weightError * (1 - 1e-6));
    }
  });

  it.each([
    ['tt', { format: 'tt' as const, shape: { in: [8, 12], out: [8, 8] }, ranks: 6 }],
    ['tucker', { format: 'tucker' as const, shape: { in: [8, 12], out: [8, 8] }, ranks: 4 }],
    ['cp', { format: 'cp' as const, shape: { in: [8, 12], out: [8, 8] }, ranks: 8, iterations: 100 }],
  ])('%s: alternating sweeps lower the output error and report both errors', (_, opts) => {
    const plain = decomposeSync(w, { ...opts, transpose: true });
    const aware = decomposeSync(w, { ...opts, transpose: true, calibration: x, sweeps: 2 });
    expect(aware.outputError).not.toBeNull();
    expect(aware.weightError).toBeGreaterThan(0);
    expect(outErr(aware)).toBeLessThan(outErr(plain));
    const history = aware.report.outputErrorHistory as number[];
    for (let i = 1; i < history.length; i++) expect(history[i]).toBeLessThanOrEqual(history[i - 1]);
  });

  it('meets an output error target with calibration', () => {
    const layer = decomposeSync(w, { format: 'lowrank', transpose: true, maxError: 0.1, calibration: x });
    expect(layer.error(x)).toBeLessThanOrEqual(0.1 * 1.01);
  });
});

describe('randomized SVD', () => {
  it('is used for large weights at small ranks and stays close to the optimal truncation', () => {
    // Singular values (1 + i)^-1 exactly, so the best rank-r error is known.
    const w = decayingWeight(1100, 1040, { seed: 9, alpha: 1 });
    const sigma2 = Array.from({ length: 1040 }, (_, i) => (1 + i) ** -2);
    const total = sigma2.reduce((a, b) => a + b, 0);
    const best = (r: number) => Math.sqrt(sigma2.slice(r).reduce((a, b) => a + b, 0) / total);
    const auto = decomposeSync(w, { format: 'lowrank', transpose: true, ranks: 20 });
    expect(auto.report.svd).toBe('randomized');
    expect(auto.weightError).toBeLessThan(best(20) * 1.01);
    expect(auto.weightError).toBeGreaterThan(best(20) * 0.99);
    // With an error target it grows its sketch until the target is met.
    const target = decomposeSync(w, { format: 'lowrank', transpose: true, maxError: 0.1 });
    expect(target.report.svd).toBe('randomized');
    expect(target.weightError).toBeLessThanOrEqual(0.1 * (1 + 1e-5));
    expect(best(target.ranks[0] - 1)).toBeGreaterThan(0.1 * 0.99);
  });
});

describe('async decomposition', () => {
  it('lets the event loop run between its native calls', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await decompose(randn([200, 300], 1), { format: 'tucker', shape: { in: [10, 20], out: [10, 30] }, ranks: 5 });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('degenerate weights', () => {
  it.each(['lowrank', 'tt', 'tucker', 'cp'] as const)('%s decomposes a zero matrix and a rank-deficient one', (format) => {
    const extra = format === 'lowrank' ? {} : { shape: SHAPE };
    const zero = decomposeSync(new Tensor(new Float32Array(48 * 60), [48, 60]), { format, maxError: 0.1, ...extra });
    expect(zero.weightError).toBe(0);
    expect(zero.toDense().data.every((v) => v === 0)).toBe(true);
    // Rank 2 as a matrix: its unfoldings are rank-deficient too.
    const w = matmulSync(randn([48, 2], 1), randn([2, 60], 2));
    const full = { lowrank: { ranks: 48 }, tt: { ranks: 36 }, tucker: { ranks: [6, 10, 6, 8] }, cp: { ranks: 4, iterations: 50 } }[format];
    const layer = decomposeSync(w, { format, ...full, ...extra });
    expect(layer.weightError, format).toBeLessThan(format === 'cp' ? 1 : 1e-6);
    expect(layer.toDense().data.every(Number.isFinite)).toBe(true);
    if (format === 'lowrank') expect(decomposeSync(w, { format, maxError: 1e-3 }).ranks).toEqual([2]);
  });
});

describe('conventions', () => {
  it('x W (default) and x W^T (transpose) give the same layer for transposed weights', () => {
    const w = randn([48, 60], 7); // [N_in, N_out]
    const wt = new Tensor(new Float32Array(60 * 48), [60, 48]);
    for (let i = 0; i < 48; i++) for (let j = 0; j < 60; j++) wt.data[j * 48 + i] = w.data[i * 60 + j];
    const a = decomposeSync(w, { format: 'tt', shape: SHAPE, ranks: 6 });
    const b = decomposeSync(wt, { format: 'tt', shape: SHAPE, ranks: 6, transpose: true });
    expect(a.inFeatures).toBe(48);
    expect(a.outFeatures).toBe(60);
    expect(b.toDense().shape).toEqual([60, 48]);
    expect(relError(a.toDense({ transpose: true }).data, b.toDense().data)).toBeLessThan(1e-6);
    expect(a.weightError).toBeCloseTo(b.weightError, 6);
  });

  it('decompose (async) matches decomposeSync', async () => {
    const w = randn([48, 60], 8);
    const opts = { format: 'tucker' as const, shape: SHAPE, ranks: 3 };
    const a = await decompose(w, opts);
    const b = decomposeSync(w, opts);
    expect(a.toDense().data).toEqual(b.toDense().data);
  });

  it('reports parameters, compression and FLOPs', () => {
    const layer = decomposeSync(randn([48, 60], 9), { format: 'lowrank', ranks: 5 });
    expect(layer.params).toBe(5 * (48 + 60));
    expect(layer.denseParams).toBe(48 * 60);
    expect(layer.compression).toBeCloseTo((48 * 60) / (5 * 108), 10);
    expect(layer.flopsPerToken).toBe(2 * 5 * (48 + 60));
    expect(layer.denseFlopsPerToken).toBe(2 * 48 * 60);
  });
});

describe('bad input', () => {
  const w = randn([48, 60], 1);
  it('names the argument and dimension', () => {
    expect(() => decomposeSync(w, { format: 'tt', shape: { in: [6, 7], out: [6, 10] }, ranks: 2 })).toThrow(
      /options.shape.in = \[6, 7\] multiplies to 42, but the weight \[48, 60\] has 48 input features \(dim 0\)/,
    );
    expect(() => decomposeSync(w, { format: 'tt', shape: { in: [6, 8], out: [6, 9] }, ranks: 2 })).toThrow(/has 60 output features \(dim 1\)/);
    expect(() => decomposeSync(w, { format: 'tt', shape: { in: [48], out: [60] }, ranks: 2 })).toThrow(/'tt' needs at least 2 factors/);
    expect(() => decomposeSync(w, { format: 'lowrank', maxError: 0 })).toThrow(/options.maxError must lie in \(0, 1\), got 0/);
    expect(() => decomposeSync(w, { format: 'lowrank', maxError: 1 })).toThrow(/must lie in \(0, 1\)/);
    expect(() => decomposeSync(w, { format: 'lowrank', maxError: NaN })).toThrow(/must lie in \(0, 1\)/);
    expect(() => decomposeSync(w, { format: 'svd' as never, ranks: 2 })).toThrow(/'svd' is not a format; valid formats are 'lowrank', 'tt', 'tucker', 'cp'/);
    expect(() => decomposeSync(w, { format: 'lowrank' })).toThrow(/give options.ranks, options.maxError or both/);
    expect(() => decomposeSync(w, { format: 'lowrank', ranks: 0 })).toThrow(/options.ranks must be an integer in \[1/);
    expect(() => decomposeSync(w, { format: 'tt', shape: SHAPE, ranks: [2, 2] })).toThrow(/options.ranks for format 'tt' takes one value, got 2/);
    expect(() => decomposeSync(w, { format: 'lowrank', ranks: 2, bias: randn([59], 1) })).toThrow(/options.bias must have the 60 output features/);
    expect(() => decomposeSync(w, { format: 'lowrank', ranks: 2, calibration: randn([5, 60], 1) })).toThrow(/options.calibration must end in the 48 input features/);
    expect(() => decomposeSync(w, { format: 'lowrank', ranks: 2, rank: 3 } as never)).toThrow(/unknown option 'rank'/);
    expect(() => decomposeSync(randn([3], 1), { format: 'lowrank', ranks: 2 })).toThrow(/weight must be 2-D/);
    expect(() => decomposeSync(new Tensor(new Float32Array(0), [0, 4]), { format: 'lowrank', ranks: 1 })).toThrow(/must not be empty/);
  });

  it('rejects non-finite weights, biases and activations with their position', () => {
    const bad = new Tensor(Float32Array.from(w.data), [48, 60]);
    bad.data[5 * 60 + 7] = NaN;
    expect(() => decomposeSync(bad, { format: 'lowrank', ranks: 2 })).toThrow(/weight holds a non-finite value \(NaN\) at \[5, 7\]/);
    bad.data[5 * 60 + 7] = Infinity;
    expect(() => decomposeSync(bad, { format: 'tt', shape: SHAPE, ranks: 2 })).toThrow(/non-finite value \(Infinity\)/);
    const x = randn([4, 48], 2);
    x.data[3] = -Infinity;
    expect(() => decomposeSync(w, { format: 'lowrank', ranks: 2, calibration: x })).toThrow(/options.calibration holds a non-finite value/);
  });

  it('clips ranks above what the unfoldings allow, with a warning', () => {
    const spy = quiet();
    const layer = decomposeSync(w, { format: 'lowrank', ranks: 500 });
    expect(layer.ranks).toEqual([48]);
    expect(spy).toHaveBeenCalledWith(expect.stringMatching(/rank 500 exceeds what a 60 x 48 weight allows; clipped to 48/), { code: 'TENSORFOLD_RANK_CLIPPED' });
    const tt = decomposeSync(w, { format: 'tt', shape: SHAPE, ranks: 1000 });
    expect(tt.ranks).toEqual([36]);
    expect((tt.report.warnings as string[])[0]).toMatch(/TT rank 1000 at bond 1 exceeds what the unfolding allows \(36 x 80\); clipped to 36/);
    const tk = decomposeSync(w, { format: 'tucker', shape: SHAPE, ranks: [6, 11, 6, 8] });
    expect(tk.ranks).toEqual([6, 10, 6, 8]);
    spy.mockRestore();
  });
});
