// The planner's attention search: candidates, accuracy against exact softmax,
// the budget rule, and reuse through wisdom.
import { describe, expect, it } from 'vitest';
import { hashAttentionSync, parsePlan, softmaxAttentionSync, tune, Wisdom } from '../../lib/index';
import { planMarkdown } from '../../lib/report/plan-report';
import { structuredAttentionInputs } from '../../lib/attention/synthetic';
import { ATTENTION_BITS, planAttention } from '../../lib/planner/attention';

const model = {
  name: 'tiny-attn',
  layers: [{ name: 'proj', in: 32, out: 32, count: 1 }],
  attention: { heads: 2, headDim: 16, count: 3 },
};
const base = { batch: 64, seqLen: 32, threads: 1, seed: 3 };

describe('planAttention', () => {
  it('weighs softmax and every hash mode and width, keeping softmax without an error budget', async () => {
    const wisdom = Wisdom.memory();
    const p = (await planAttention(model, { ...base, wisdom }))!;
    expect(p.candidates.map((c) => c.label)).toEqual(['softmax', ...ATTENTION_BITS.flatMap((b) => [`hash-linear(${b})`, `hamming-softmax(${b})`])]);
    expect(p.sequences).toBe(2);
    expect(p.count).toBe(3);
    expect(p.softmax.error).toBe(0);
    for (const c of p.candidates) {
      expect(c.ms).toBeGreaterThan(0);
      expect(c.error).toBeGreaterThanOrEqual(0);
      if (c.format.kind !== 'softmax') expect(c.error).toBeGreaterThan(0);
    }
    expect(p.choice.label).toBe('softmax');
    expect(p.speedup).toBe(1);
  });

  it('reports the error hashAttention itself reports on the same structured inputs', async () => {
    const wisdom = Wisdom.memory();
    const p = (await planAttention(model, { ...base, wisdom }))!;
    const { q, k, v } = structuredAttentionInputs({ heads: 2, seq: 32, dim: 16, seed: 3 });
    const exact = softmaxAttentionSync(q, k, v).output.data;
    // Rebuild one candidate's error independently from the plan's hash-free description.
    const c = p.candidates.find((x) => x.label === 'hamming-softmax(64)')!;
    const r = hashAttentionSync(q, k, v, { bits: 64, hash: 'kernel', seed: 3, mode: 'hamming-softmax' });
    let num = 0, den = 0;
    for (let i = 0; i < exact.length; i++) {
      num += (r.output.data[i] - exact[i]) ** 2;
      den += exact[i] ** 2;
    }
    expect(c.error).toBeCloseTo(Math.sqrt(num / den), 5);
  });

  it('takes the fastest candidate within an error budget, and reuses wisdom', async () => {
    const wisdom = Wisdom.memory();
    const loose = (await planAttention(model, { ...base, wisdom, maxError: 10 }))!;
    const fastest = loose.candidates.reduce((a, b) => (b.ms < a.ms ? b : a));
    expect(loose.choice).toEqual(fastest);
    expect(loose.speedup).toBeCloseTo(loose.softmax.ms / fastest.ms, 10);
    const measured: string[] = [];
    const again = (await planAttention(model, { ...base, wisdom, maxError: 10, onMeasure: (k) => measured.push(k) }))!;
    expect(measured).toEqual([]);
    expect(again.candidates).toEqual(loose.candidates);
    // A budget below every hash error leaves softmax.
    const minHash = Math.min(...loose.candidates.filter((c) => c.format.kind !== 'softmax').map((c) => c.error));
    const tight = (await planAttention(model, { ...base, wisdom, maxError: minHash / 2 }))!;
    expect(tight.choice.label).toBe('softmax');
  });

  it('stops after softmax when asked, and chooses among what it measured', async () => {
    const controller = new AbortController();
    controller.abort();
    const p = (await planAttention(model, { ...base, wisdom: Wisdom.memory(), maxError: 10, signal: controller.signal }))!;
    expect(p.candidates.map((c) => c.label)).toEqual(['softmax']);
    expect(p.choice.label).toBe('softmax');
  });

  it('is undefined for a model without attention', async () => {
    expect(await planAttention({ name: 'mlp', layers: model.layers }, { ...base, wisdom: Wisdom.memory() })).toBeUndefined();
  });

  it('is part of tune(): in the plan, validated on load, in the report, and left out on request', async () => {
    const wisdom = Wisdom.memory();
    const plan = await tune(model, { maxError: 0.5, batch: 64, seqLen: 32, threads: 1, calibrationTokens: 64, wisdom });
    const a = plan.attention!;
    expect(a.seqLen).toBe(32);
    expect(a.sequences).toBe(2);
    expect(a.candidates.length).toBe(1 + 2 * ATTENTION_BITS.length);
    expect(a.choice.error).toBeLessThanOrEqual(0.5);
    expect(parsePlan(JSON.parse(JSON.stringify(plan))).attention).toEqual(a);
    expect(planMarkdown(plan)).toContain('## Attention blocks');
    expect(() => parsePlan({ ...plan, attention: { ...a, seqLen: 0 } })).toThrow(/attention\.seqLen/);
    const without = await tune(model, { maxError: 0.5, batch: 64, threads: 1, calibrationTokens: 64, wisdom, attention: false });
    expect(without.attention).toBeUndefined();
    await expect(tune(model, { maxError: 0.5, seqLen: 0, wisdom })).rejects.toThrow(/options\.seqLen/);
  });
});
