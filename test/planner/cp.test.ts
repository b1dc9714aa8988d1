import { describe, expect, it } from 'vitest';
import { decomposeSync } from '../../lib/index';
import { rankErrorBound, rankErrorBounds } from '../../lib/planner/cp-bound';
import { CP_ITERATIONS, factorizedFormats, factorizedParams, skeletonLayer } from '../../lib/planner/factorized';
import { factorizedCandidates, type PrunedCandidate } from '../../lib/planner/factorized-candidates';
import { measureFactorized } from '../../lib/planner/measure-factorized';
import { relativeErrors } from '../../lib/planner/layer-error';
import { syntheticActivations, syntheticLayer } from '../../lib/planner/synthetic';

const spec = { name: 'w', in: 128, out: 96, count: 1 };
const layer = syntheticLayer(spec.out, spec.in, 4);
const x = syntheticActivations(160, spec.in, 9);

describe('the rank bound on output error', () => {
  it('starts at 1, falls with the rank, reaches 0, and no rank-R weight beats it', () => {
    const b = rankErrorBounds(layer.weight, x);
    expect(b[0]).toBeCloseTo(1, 12);
    for (let r = 1; r < b.length; r++) expect(b[r]).toBeLessThanOrEqual(b[r - 1] + 1e-15);
    expect(rankErrorBound(b, 96)).toBe(0);
    for (const r of [4, 16, 40]) {
      // Truncated SVD and data-aware low rank are rank-r weights: each at least the bound, the data-aware one close to it.
      const plain = decomposeSync(layer.weight, { format: 'lowrank', ranks: r, transpose: true });
      const aware = decomposeSync(layer.weight, { format: 'lowrank', ranks: r, transpose: true, calibration: x });
      const e1 = relativeErrors(layer.weight, plain.toDense({ transpose: true }), x).outputError!;
      const e2 = relativeErrors(layer.weight, aware.toDense({ transpose: true }), x).outputError!;
      expect(e1).toBeGreaterThanOrEqual(b[r] * (1 - 1e-4));
      expect(e2).toBeGreaterThanOrEqual(b[r] * (1 - 1e-4));
      expect(e2).toBeLessThan(b[r] * 1.05 + 1e-4);
    }
  });
});

describe('cp candidates', () => {
  it('are pruned by their bound under a tight ceiling, and decomposed (never below the bound) under a loose one', async () => {
    const cps = factorizedFormats(spec.in, spec.out).filter((f) => f.kind === 'cp');
    expect(cps.length).toBeGreaterThan(0);
    for (const f of cps) expect(f.iterations).toBe(CP_ITERATIONS);
    const pruned: PrunedCandidate[] = [];
    const tight = await factorizedCandidates(spec, layer, x, { batch: 8, threads: 1, errorCeiling: 0.05, pruned });
    expect(tight.some((c) => c.format.kind === 'cp')).toBe(false);
    expect(pruned.map((p) => p.label).sort()).toEqual(cps.map((f) => `cp(${f.ranks[0]}; ${f.in.join('x')}->${f.out.join('x')})`).sort());
    const bounds = rankErrorBounds(layer.weight, x);
    for (const p of pruned) expect(p.errorBound).toBeGreaterThan(0.05);

    const loose = (await factorizedCandidates(spec, layer, x, { batch: 8, threads: 1, errorCeiling: Infinity })).filter((c) => c.format.kind === 'cp');
    expect(loose.length).toBe(cps.length);
    for (const c of loose) {
      const r = (c.format as { ranks: number[] }).ranks[0];
      expect(c.error).toBeGreaterThanOrEqual(rankErrorBound(bounds, r) * (1 - 1e-4));
      expect(c.error).toBeLessThan(1.05);
      expect(c.params).toBe(factorizedParams(c.format as never));
    }
  }, 60_000);

  it('time on a skeleton of their structure', async () => {
    const f = { kind: 'cp' as const, in: [8, 16], out: [8, 12], ranks: [16] };
    const l = skeletonLayer(f);
    expect(l.params).toBe(factorizedParams(f));
    expect([l.inFeatures, l.outFeatures]).toEqual([128, 96]);
    const m = await measureFactorized({ kernel: 'factorized', format: 'cp', in: f.in, out: f.out, ranks: f.ranks, batch: 4, threads: 1 }, { minReps: 3, minSeconds: 0.001 });
    expect(m.medianMs).toBeGreaterThan(0);
  });
});
