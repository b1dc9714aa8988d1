import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kendallTau, parsePlan, resolveModel, tune, Wisdom } from '../../lib/index';
import { confirmFinalists } from '../../lib/planner/confirm';
import { callFeatures, fitPredictor, heldOutQuality } from '../../lib/planner/predictor';
import { choose } from '../../lib/planner/select';

const tiny = {
  name: 'tiny',
  layers: [
    { name: 'proj', in: 64, out: 64, count: 2 },
    { name: 'up', in: 64, out: 128, count: 1 },
  ],
};

const fast = { batch: 16, calibrationTokens: 64, budgetSeconds: 60 };

/** Well-formed XML: every tag closed in order (enough to know an SVG parses). */
function wellFormed(xml: string): boolean {
  const stack: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
    if (m[3]) continue;
    if (m[1]) {
      if (stack.pop() !== m[2]) return false;
    } else stack.push(m[2]);
  }
  return stack.length === 0;
}

describe('tune', () => {
  it('makes a valid plan that respects the error budget, with a non-dominated Pareto set', async () => {
    const wisdom = Wisdom.memory();
    const plan = await tune(tiny, { ...fast, maxError: 0.3, wisdom });
    expect(parsePlan(JSON.parse(JSON.stringify(plan)))).toBeTruthy();
    for (const l of plan.layers) {
      expect(l.choice.error).toBeLessThanOrEqual(0.3);
      // The choice is the fastest candidate within the budget (everything was measured).
      const best = Math.min(...l.candidates.filter((c) => c.error <= 0.3).map((c) => c.ms));
      expect(l.choice.ms).toBe(best);
    }
    for (const p of plan.pareto)
      for (const q of plan.pareto) if (p !== q) expect(q.ms <= p.ms && q.maxError <= p.maxError && (q.ms < p.ms || q.maxError < p.maxError)).toBe(false);
    expect(plan.total.speedup).toBeCloseTo(plan.total.denseMs / plan.total.planMs, 9);
    expect(plan.synthetic).toBe(true);
    expect(plan.budgets.map((b) => b.maxError)).toEqual([0.01, 0.02, 0.05, 0.1]);

    // A second plan of the same model reuses the measurements. On one thread, so that no
    // thread variants are weighed: which ones are follows each layer's frontier, and the first
    // plan's re-timed finalists can shift it (the next test covers the variants).
    const once = Wisdom.memory();
    const first = await tune(tiny, { ...fast, threads: 1, maxError: 0.3, wisdom: once });
    const again = await tune(tiny, { ...fast, threads: 1, maxError: 0.3, wisdom: once });
    expect(first.measuring.measured).toBeGreaterThan(0);
    expect(again.measuring.measured).toBe(0);
    expect(again.measuring.fromWisdom).toBeGreaterThanOrEqual(first.measuring.measured);
  });

  it('weighs fewer threads as a kernel variant, for each layer\'s frontier, and keeps the one measured fastest', async () => {
    const wisdom = Wisdom.memory();
    const plan = await tune(tiny, { ...fast, batch: 1, threads: 2, maxError: 0.3, wisdom, attention: false });
    const entries = wisdom.toJSON().entries;
    const oneThread = Object.keys(entries).filter((k) => /threads=1(,|$)/.test(k));
    // Every layer's dense call is on its frontier, so it was timed on one thread too.
    for (const l of plan.layers) expect(oneThread.some((k) => k.startsWith('gemm:') && k.includes(`k=${l.in},`) && k.includes(`n=${l.out}`))).toBe(true);
    for (const l of plan.layers)
      for (const c of [l.dense, l.choice, ...l.candidates]) {
        if (c.threads === undefined) continue;
        expect(c.threads).toBeLessThan(plan.threads);
        expect(l.candidates.some((d) => d === c || JSON.stringify(d) === JSON.stringify(c))).toBe(true);
      }
    // The choice is still the fastest within the budget, thread variants included.
    for (const l of plan.layers) expect(l.choice.ms).toBe(Math.min(...l.candidates.filter((c) => c.error <= 0.3).map((c) => c.ms)));
  });

  it('honours a parameter budget, and says so when nothing fits', async () => {
    const wisdom = Wisdom.memory();
    const dense = 64 * 64 * 2 + 64 * 128;
    const plan = await tune(tiny, { ...fast, maxError: 0.9, maxParams: dense / 2, wisdom });
    expect(plan.total.planParams).toBeLessThanOrEqual(dense / 2);
    await expect(tune(tiny, { ...fast, maxError: 0.001, maxParams: 10, wisdom })).rejects.toThrow(/no plan meets the budget .* the closest: latency/);
  });

  it('stops measuring when asked and predicts the rest', async () => {
    const controller = new AbortController();
    let seen = 0;
    const plan = await tune(tiny, {
      ...fast,
      maxError: 0.5,
      wisdom: Wisdom.memory(),
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'measure' && ++seen === 4) controller.abort();
      },
    });
    expect(plan.measuring.interrupted).toBe(true);
    expect(plan.measuring.measured).toBe(4); // the kernel announced when the stop came still runs
    expect(plan.measuring.predicted).toBeGreaterThan(0);
  });

  it('rejects unknown models, malformed configs and missing budgets', async () => {
    expect(() => resolveModel('bert-huge')).toThrow(/unknown model 'bert-huge' \(known: bert-base, bert-large, distilbert, vit-b16, gpt2-small/);
    const d = mkdtempSync(join(tmpdir(), 'tf-model-'));
    writeFileSync(join(d, 'bad.json'), JSON.stringify({ name: 'x', layers: [{ name: 'a', in: 4, out: -1 }] }));
    expect(() => resolveModel(join(d, 'bad.json'))).toThrow(/layers\.0\.out: Number must be greater than 0/);
    await expect(tune(tiny, { batch: 4 })).rejects.toThrow(/give a budget/);
    await expect(tune(tiny, { maxError: 1.5 })).rejects.toThrow(/maxError must be in \[0, 1\)/);
    expect(() => parsePlan({ format: 'tensorfold-plan', version: 1 })).toThrow(/PLAN|createdAt/);
  });
});

describe('confirmFinalists', () => {
  it('times the finalists again and chooses again: a candidate the search timed too fast loses to dense', async () => {
    const wisdom = Wisdom.memory();
    const gemm = (m: number, n: number, k: number) => ({ kernel: 'gemm' as const, m, n, k, packB: true, threads: 1 });
    const choice = (label: string, error: number, ms: number) => ({ label, format: { kind: 'dense' as const }, error, params: 1, ms, measured: true });
    // 'cheat' claims 1 µs but runs a GEMM 64x larger than dense's.
    const layers = [{ name: 'l', count: 1, dense: choice('dense', 0, 1), candidates: [choice('dense', 0, 1), choice('cheat', 0.01, 0.001)] }];
    layers[0].dense = layers[0].candidates[0];
    const perLayer = [[{ specs: [gemm(16, 64, 64)] }, { specs: [gemm(64, 256, 256)] }]] as never;
    expect(choose(layers, { maxError: 0.05 })![0].label).toBe('cheat');
    const phases: string[] = [];
    const r = await confirmFinalists(layers, perLayer, { wisdom, measure: { warmup: 1, minReps: 3, minSeconds: 0.005, maxSeconds: 0.2 }, budgets: [{ maxError: 0.05 }], progress: (p) => phases.push(p.phase) });
    expect(r.calls).toBe(2);
    expect(r.rounds).toBe(1); // after it, the new choice (dense) was already re-timed
    const [dense, cheat] = layers[0].candidates;
    expect(cheat.ms).toBeGreaterThan(dense.ms);
    expect(layers[0].dense).toBe(dense);
    expect(choose(layers, { maxError: 0.05 })![0].label).toBe('dense');
    expect(new Set(phases)).toEqual(new Set(['confirm']));
  });
});

describe('latency predictor', () => {
  it('ranks held-out candidates perfectly when GEMM calls follow a power law, and sums a candidate\'s calls', () => {
    // Times that follow the model exactly: 1e-9 · flops^0.9 · (B bytes)^0.1.
    const gemm = (m: number, n: number, k: number) => {
      const spec = { kernel: 'gemm' as const, m, n, k };
      return { key: `${m}x${n}x${k}`, ...callFeatures(spec), ms: 1e-9 * (2 * m * n * k) ** 0.9 * (4 * k * n) ** 0.1 };
    };
    const candidates = [];
    for (const [i, o] of [[64, 64], [64, 256], [256, 64], [128, 96], [96, 160]]) {
      const dense = gemm(32, o, i);
      candidates.push({ calls: [dense], ms: dense.ms });
      for (const r of [8, 16, 24]) {
        const calls = [gemm(32, r, i), gemm(32, o, r)];
        candidates.push({ calls, ms: calls[0].ms + calls[1].ms });
      }
    }
    const q = heldOutQuality(candidates);
    expect(q.samples).toBe(candidates.length);
    expect(q.kendallTau).toBeGreaterThan(0.99);
    expect(q.meanRelativeError).toBeLessThan(0.01);
    const p = fitPredictor(candidates.flatMap((c) => c.calls));
    const a = gemm(32, 80, 112), b = gemm(32, 112, 40);
    expect(p.predict([a, b]) / (a.ms + b.ms)).toBeCloseTo(1, 4);
    expect(kendallTau([1, 2, 3], [3, 2, 1])).toBe(-1);
    expect(() => fitPredictor([])).toThrow(RangeError);
  });
});

describe('tensorfold tune (CLI)', () => {
  it('writes a plan, a report with well-formed vega-lite SVG charts, and a summary table', () => {
    const d = mkdtempSync(join(tmpdir(), 'tf-cli-'));
    writeFileSync(join(d, 'tiny.json'), JSON.stringify(tiny));
    const r = spawnSync(
      process.execPath,
      [join(__dirname, '..', '..', 'bin', 'tensorfold.js'), 'tune', '--model', join(d, 'tiny.json'), '--max-error', '30%', '--batch', '16', '--wisdom', join(d, 'w.json'), '--out', join(d, 'plan.json'), '--report', join(d, 'rep')],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\| \*\*total\*\* \|/);
    expect(r.stdout).toMatch(/synthetic/);
    const plan = parsePlan(JSON.parse(readFileSync(join(d, 'plan.json'), 'utf8')));
    expect(plan.model.name).toBe('tiny');
    const html = readFileSync(join(d, 'rep', 'report.html'), 'utf8');
    const svgs = [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    expect(svgs.length).toBe(4);
    for (const s of svgs) expect(wellFormed(s)).toBe(true);
    // The predictor chart plots one point per held-out candidate.
    expect(plan.predictor.points!.length).toBe(plan.predictor.samples);
    const points = (svg: string) => (svg.match(/aria-roledescription="point"/g) ?? []).length;
    expect(points(svgs[3])).toBe(plan.predictor.samples);
    // The frontier chart: one point per Pareto plan and the dense marker; the candidates chart: every candidate.
    expect(points(svgs[0])).toBe(plan.pareto.length + 1);
    expect(points(svgs[2])).toBe(plan.layers.reduce((n, l) => n + l.candidates.length, 0));
    expect((svgs[1].match(/aria-roledescription="bar"/g) ?? []).length).toBe(2 * plan.layers.length);
    // The chosen plan and dense were timed again after the search, and the plan's figures are those.
    expect(plan.remeasured!.budgets.map((b) => b.maxError)).toEqual([0.01, 0.02, 0.05, 0.1]);
    expect(plan.remeasured!.speedup).toBeCloseTo(plan.remeasured!.denseMs / plan.remeasured!.planMs, 10);
    expect(plan.remeasured!.planMs).toBe(plan.total.planMs);
    expect(plan.remeasured!.rounds).toBeGreaterThanOrEqual(1);
    expect(r.stdout).toMatch(/finalists timed again after the search, \d round\(s\); the search's own figures said this plan \d+\.\d\dx/);
    expect(readFileSync(join(d, 'rep', 'report.md'), 'utf8')).toMatch(/## Pareto frontier/);
  });

  it('reports user errors in one line', () => {
    const r = spawnSync(process.execPath, [join(__dirname, '..', '..', 'bin', 'tensorfold.js'), 'tune', '--model', 'nope', '--max-error', '0.01'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^tensorfold: unknown model 'nope' \(known: .*\)$/);
    const bad = spawnSync(process.execPath, [join(__dirname, '..', '..', 'bin', 'tensorfold.js'), 'tune', '--max-error', '2'], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/expected an error in \[0, 1\)/);
  });
});
