import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlan, savePlan, specKey, tune, Wisdom } from '../../lib/index';
import { factorizedFormats, factorizedParams, skeletonLayer } from '../../lib/planner/factorized';
import { callFeatures, fitPredictor, heldOutQuality } from '../../lib/planner/predictor';

const tiny = {
  name: 'tiny-factorized',
  layers: [
    { name: 'a', in: 48, out: 64, count: 2 },
    { name: 'b', in: 64, out: 48, count: 1 },
  ],
};

describe('tt and tucker candidates', () => {
  it('are weighed for every layer, with sane errors that fall as the rank grows', async () => {
    const wisdom = Wisdom.memory();
    // One thread: with more, the thread-variant pass times each layer's
    // frontier, which the confirm pass's fresh times can move between plans.
    const opts = { batch: 16, calibrationTokens: 64, maxError: 0.5, threads: 1, wisdom };
    const plan = await tune(tiny, opts);
    for (const l of plan.layers) {
      const fact = l.candidates.filter((c) => c.format.kind === 'tt' || c.format.kind === 'tucker');
      expect(new Set(fact.map((c) => c.format.kind))).toEqual(new Set(['tt', 'tucker']));
      for (const c of fact) {
        expect(c.error, c.label).toBeGreaterThan(0);
        expect(c.error, c.label).toBeLessThan(1.05);
        expect(c.params).toBeLessThan(l.in * l.out);
        expect(c.measured).toBe(true);
        expect(c.ms).toBeGreaterThan(0);
      }
      // Same format and tensorization: more parameters, less error (within a little slack).
      const groups = new Map<string, typeof fact>();
      for (const c of fact) {
        const f = c.format as { kind: string; in: number[]; out: number[] };
        const k = `${f.kind}:${f.in}:${f.out}`;
        groups.set(k, [...(groups.get(k) ?? []), c]);
      }
      expect([...groups.values()].some((g) => g.length > 1)).toBe(true);
      for (const g of groups.values()) {
        g.sort((x, y) => x.params - y.params);
        for (let i = 1; i < g.length; i++) expect(g[i].error, `${g[i].label} vs ${g[i - 1].label}`).toBeLessThanOrEqual(g[i - 1].error * 1.02 + 1e-3);
      }
    }
    // Timed in JavaScript, kept in wisdom under a factorized key; a second plan measures nothing.
    const spec = { kernel: 'factorized' as const, format: 'tt' as const, in: [6, 8], out: [8, 8], ranks: [3], batch: 16, threads: plan.threads };
    expect(specKey(spec)).toBe(`factorized:batch=16,format=tt,in=6x8,out=8x8,ranks=3,threads=${plan.threads}`);
    expect(wisdom.get(specKey(spec))).toBeDefined();
    const again = await tune(tiny, opts);
    expect(again.measuring.measured).toBe(0);
    expect(again.layers.map((l) => l.candidates.map((c) => c.error))).toEqual(plan.layers.map((l) => l.candidates.map((c) => c.error)));

    // A plan with factorized candidates round-trips through a file.
    const file = join(mkdtempSync(join(tmpdir(), 'tf-plan-')), 'plan.json');
    savePlan(plan, file);
    expect(loadPlan(file)).toEqual(plan);
    expect(plan.version).toBe(3);
  });

  it('describe their structure the way decompose builds it', () => {
    const formats = factorizedFormats(768, 768);
    expect(formats.length).toBeGreaterThan(4);
    for (const f of formats) {
      const layer = skeletonLayer(f);
      expect(layer.params).toBe(factorizedParams(f));
      expect(factorizedParams(f)).toBeLessThanOrEqual(768 * 768 / 4);
      expect([layer.inFeatures, layer.outFeatures]).toEqual([768, 768]);
    }
    // A prime dimension has no tensorization: no factorized candidates, no error.
    expect(factorizedFormats(97, 64)).toEqual([]);
  });
});

describe('latency predictor with factorized families', () => {
  it('fits tt and tucker families of their own, shrunk toward the pooled fit, which carries a family measured once', () => {
    const call = (format: 'tt' | 'tucker', i: number, scale: number) => {
      const flops = 1e6 * i * i, bytes = 1e4 * i;
      const spec = { kernel: 'factorized' as const, format, in: [8, 8], out: [8, 8], ranks: [i], batch: 16, threads: 1 };
      return { key: `${format}${i}`, ...callFeatures(spec, { flops, bytes, aspect: 1 + (i % 3) }), ms: scale * 1e-9 * flops ** 0.9 * bytes ** 0.1 };
    };
    const calls = [];
    for (let i = 1; i <= 8; i++) calls.push(call('tt', i, 3), call('tucker', i, 1));
    const q = heldOutQuality(calls.map((c) => ({ calls: [c], ms: c.ms })));
    expect(q.kendallTau).toBeGreaterThan(0.9);
    const p = fitPredictor(calls);
    const probe = call('tt', 5.5, 3);
    // Exact power-law data: the shrinkage costs well under 1 %.
    expect(p.predictCall(probe) / probe.ms).toBeCloseTo(1, 2);
    // tucker measured once: its own intercept (3x faster than tt here) and the pooled slopes predict it.
    const once = fitPredictor([...calls.filter((c) => c.family === 'tt/2'), call('tucker', 1, 1)]);
    const truth = call('tucker', 4, 1);
    const v = once.predictCall(truth);
    expect(Number.isFinite(v) && v > 0).toBe(true);
    expect(Math.abs(Math.log(v / truth.ms))).toBeLessThan(Math.log(3));
  });
});
