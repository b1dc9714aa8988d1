import { describe, expect, it } from 'vitest';
import { applyPlan, parsePlan, Tensor, tune, Wisdom, type Plan } from '../../lib/index';
import { syntheticActivations, syntheticLayer } from '../../lib/planner/synthetic';
import { matmulRef, uniform, worstBoundRatio } from '../helpers/reference';

const tiny = {
  name: 'tiny-apply',
  layers: [
    { name: 'a', in: 48, out: 64, count: 1 },
    { name: 'b', in: 64, out: 48, count: 1 },
  ],
};
const tokens = 64;
const KINDS = ['dense', 'lowrank', 'nm', 'lowrank-nm', 'tt', 'tucker'] as const;

let base: Plan | undefined;
async function basePlan(): Promise<Plan> {
  base ??= await tune(tiny, { batch: 16, calibrationTokens: tokens, maxError: 0.99, wisdom: Wisdom.memory() });
  return base;
}

/** The plan with every layer's choice forced to its first candidate of `kind`. */
function forced(plan: Plan, kind: (typeof KINDS)[number]): Plan {
  const copy = JSON.parse(JSON.stringify(plan)) as Plan;
  for (const l of copy.layers) {
    const c = l.candidates.find((x) => x.format.kind === kind);
    if (!c) throw new Error(`no ${kind} candidate for ${l.name}`);
    l.choice = c;
  }
  return copy;
}

/** The weights and activations tune planned with, so the errors can be compared with the plan's. */
function plannedData() {
  return tiny.layers.map((l, i) => ({
    weight: syntheticLayer(l.out, l.in, 1 + i).weight,
    x: syntheticActivations(tokens, l.in, 1001 + i),
    bias: uniform([l.out], 50 + i),
  }));
}

function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** Relative errors recomputed in float64 from the layer's own Ŵ. */
function errorsOf(w: Tensor, wHat: Tensor, x: Tensor) {
  const [out, inp] = w.shape;
  let n = 0, d = 0, on = 0, od = 0;
  for (let i = 0; i < w.size; i++) {
    n += (w.data[i] - wHat.data[i]) ** 2;
    d += w.data[i] ** 2;
  }
  for (let t = 0; t < x.shape[0]; t++)
    for (let o = 0; o < out; o++) {
      let y = 0, e = 0;
      for (let j = 0; j < inp; j++) {
        y += x.data[t * inp + j] * w.data[o * inp + j];
        e += x.data[t * inp + j] * (w.data[o * inp + j] - wHat.data[o * inp + j]);
      }
      on += e * e;
      od += y * y;
    }
  return { weightError: Math.sqrt(n / d), outputError: Math.sqrt(on / od) };
}

describe('applyPlan', () => {
  for (const kind of KINDS)
    it(`runs every layer as ${kind}: forward is x·Ŵᵀ + b, and the errors are what they claim`, async () => {
      const plan = forced(await basePlan(), kind);
      const data = plannedData();
      const weights = Object.fromEntries(tiny.layers.map((l, i) => [l.name, { weight: data[i].weight, bias: data[i].bias }]));
      const calibration = Object.fromEntries(tiny.layers.map((l, i) => [l.name, data[i].x]));
      const ready = await applyPlan(plan, weights, { calibration });
      expect(Object.keys(ready)).toEqual(['a', 'b']);
      for (const [i, l] of plan.layers.entries()) {
        const r = ready[l.name];
        expect(r.format.kind).toBe(kind);
        expect(r.label).toBe(l.choice.label);
        expect([r.outFeatures, r.inFeatures]).toEqual([l.out, l.in]);
        expect(r.params).toBe(l.choice.params);
        const wHat = r.toDense();
        expect(wHat.shape).toEqual([l.out, l.in]);

        // Forward against x·Ŵᵀ + b in float64.
        const x = uniform([5, 3, l.in], 7 + i);
        const y = r.forwardSync(x);
        expect(y.shape).toEqual([5, 3, l.out]);
        const ref = matmulRef(new Tensor(x.data, [15, l.in]), wHat, false, true);
        for (let t = 0; t < 15; t++)
          for (let o = 0; o < l.out; o++) {
            ref.value[t * l.out + o] += data[i].bias.data[o];
            ref.magnitude[t * l.out + o] += Math.abs(data[i].bias.data[o]);
          }
        // One dot product per output for dense and N:M; a chain of contractions otherwise.
        if (kind === 'dense' || kind === 'nm') expect(worstBoundRatio(y.data, ref, l.in + 1)).toBeLessThanOrEqual(1);
        else expect(relError(y.data, ref.value)).toBeLessThan(1e-5);
        expect(relError((await r.forward(x)).data, y.data)).toBeLessThan(1e-6);

        // Reported errors: recomputed from Ŵ, and the same as the plan measured on these weights.
        const again = errorsOf(data[i].weight, wHat, data[i].x);
        expect(Math.abs(r.weightError - again.weightError)).toBeLessThanOrEqual(1e-6 + 1e-5 * again.weightError);
        expect(Math.abs(r.outputError! - again.outputError)).toBeLessThanOrEqual(1e-6 + 1e-4 * again.outputError);
        expect(Math.abs(r.outputError! - l.choice.error), `${l.name} ${l.choice.label}`).toBeLessThanOrEqual(1e-4 + 1e-3 * l.choice.error);
        if (kind === 'dense') expect([r.weightError, r.outputError]).toEqual([0, 0]);
      }
    });

  it('takes bare weights as Tensors or Float32Arrays, and reports no output error without calibration', async () => {
    const plan = forced(await basePlan(), 'tt');
    const a = uniform([64, 48], 1), b = uniform([48, 64], 2);
    const ready = await applyPlan(plan, new Map<string, Tensor | Float32Array>([['a', a], ['b', b.data]]), { tune: false });
    expect(ready.a.outputError).toBeNull();
    expect(ready.b.weightError).toBeGreaterThan(0);
    const x = uniform([4, 64], 3);
    expect(relError(ready.b.forwardSync(x).data, matmulRef(x, ready.b.toDense(), false, true).value)).toBeLessThan(1e-5);
  });

  it('runs each layer on the plan\'s per-layer thread count unless options.threads overrides it', async () => {
    const plan = JSON.parse(JSON.stringify(await basePlan())) as Plan;
    plan.threads = 2;
    plan.layers[0].choice = { ...plan.layers[0].dense, threads: 1 };
    plan.layers[1].choice = { ...plan.layers[1].dense, threads: undefined };
    const a = uniform([64, 48], 1), b = uniform([48, 64], 2);
    const ready = await applyPlan(plan, { a, b }, { tune: false });
    expect([ready.a.threads, ready.b.threads]).toEqual([1, 2]);
    const x = uniform([5, 48], 3);
    expect(worstBoundRatio(ready.a.forwardSync(x).data, matmulRef(x, a, false, true), 49)).toBeLessThanOrEqual(1);
    const all3 = await applyPlan(plan, { a, b }, { tune: false, threads: 3 });
    expect([all3.a.threads, all3.b.threads]).toEqual([3, 3]);
    await expect(applyPlan({ ...plan, layers: [{ ...plan.layers[0], choice: { ...plan.layers[0].choice, threads: 0 } }, plan.layers[1]] }, { a, b })).rejects.toThrow(/layers\.0\.choice\.threads: Number must be greater than 0/);
  });

  it('names what is wrong: missing weights, shapes, bad plans, bad inputs', async () => {
    const plan = await basePlan();
    const a = uniform([64, 48], 1), b = uniform([48, 64], 2);
    await expect(applyPlan(plan, { a })).rejects.toThrow(/applyPlan: weights has no entry for plan layer 'b' \(\[out, in\] = \[48, 64\]\)/);
    await expect(applyPlan(plan, { a: b, b: a })).rejects.toThrow(
      /applyPlan: weights\['a'\] must be \[out, in\] = \[64, 48\] as the plan says, got shape \[48, 64\] \(that is \[in, out\]: transpose it/,
    );
    await expect(applyPlan(plan, { a: { weight: a, bias: new Float32Array(3) }, b })).rejects.toThrow(/weights\['a'\]\.bias must hold the layer's 64 output features, got shape \[3\]/);
    await expect(applyPlan(plan, { a, b }, { calibration: { c: uniform([2, 48], 1) } })).rejects.toThrow(/options.calibration\['c'\] names no plan layer/);
    await expect(applyPlan(plan, { a, b }, { calibration: { a: uniform([2, 64], 1) } })).rejects.toThrow(/options.calibration\['a'\] must be activations \[\.\.\., 48\]/);
    await expect(applyPlan(plan, { a, b }, { fast: true } as never)).rejects.toThrow(/unknown option 'fast'/);
    await expect(applyPlan({ ...plan, layers: 'none' }, { a, b })).rejects.toThrow(/applyPlan: plan: layers: Expected array/);
    await expect(applyPlan({ ...plan, version: 4 }, { a, b })).rejects.toThrow(/plan version 4 is not supported \(this build reads versions 1, 2, 3\)/);
    await expect(applyPlan(plan, [a, b] as never)).rejects.toThrow(/weights must be an object or a Map/);

    const bad = forced(plan, 'tt');
    const f = bad.layers[0].choice.format as { in: number[] };
    f.in = [4, 4];
    await expect(applyPlan(bad, { a, b })).rejects.toThrow(/plan layer 'a' \(64x48\) chooses tt.*: shape in \[4, 4\] multiplies to 16, the layer has 48 input features/);

    const ready = await applyPlan(forced(plan, 'nm'), { a, b }, { tune: false });
    expect(() => ready.a.forwardSync(uniform([2, 64], 1))).toThrow(/a\.forwardSync: x must end in the layer's 48 input features, got shape \[2, 64\]/);
    await expect(ready.a.forward(uniform([2, 64], 1))).rejects.toThrow(/a\.forward: x must end in the layer's 48 input features/);
  });

  it('reads version 1 plans (dense, lowrank and N:M only)', async () => {
    const plan = forced(await basePlan(), 'lowrank');
    const v1 = JSON.parse(JSON.stringify({ ...plan, version: 1 }));
    expect(parsePlan(v1).version).toBe(1);
    const ready = await applyPlan(v1, { a: uniform([64, 48], 1), b: uniform([48, 64], 2) }, { tune: false });
    expect(ready.a.format.kind).toBe('lowrank');
  });
});
