// The forward pass against the float64 einsum oracle on the layer's own
// factors, fused against unfused, sync against async, every format, with a
// bias and leading batch dims; and the path the planner picks per batch.
import { describe, expect, it } from 'vitest';
import { decomposeSync, FactorizedLinear, randn, setThreads, Tensor, zeros } from '../../lib/index';
import { chainBoundRatio, forwardReference, relError, SHAPE } from './helpers';

const CASES: [string, Parameters<typeof decomposeSync>[1]][] = [
  ['lowrank r=7', { format: 'lowrank', ranks: 7 }],
  ['lowrank full', { format: 'lowrank', ranks: 48 }],
  ['tt d=2', { format: 'tt', shape: SHAPE, ranks: 5 }],
  ['tt d=3', { format: 'tt', shape: { in: [2, 4, 6], out: [3, 4, 5] }, ranks: [3, 4] }],
  ['tt d=3 wide', { format: 'tt', shape: { in: [4, 3, 4], out: [5, 3, 4] }, ranks: 9 }],
  ['tucker d=2', { format: 'tucker', shape: SHAPE, ranks: [3, 4, 5, 2] }],
  ['tucker with full modes', { format: 'tucker', shape: SHAPE, ranks: [6, 4, 3, 8] }],
  ['tucker d=1 (Tucker-2)', { format: 'tucker', shape: { in: [48], out: [60] }, ranks: [7, 5] }],
  ['cp d=2', { format: 'cp', shape: SHAPE, ranks: 6, iterations: 20 }],
  ['cp d=3', { format: 'cp', shape: { in: [2, 4, 6], out: [3, 4, 5] }, ranks: 5, iterations: 20 }],
];

const layers = new Map<string, FactorizedLinear>();
function layerFor(name: string, opts: Parameters<typeof decomposeSync>[1]): FactorizedLinear {
  if (!layers.has(name)) layers.set(name, decomposeSync(randn([48, 60], name.length), { ...opts, bias: randn([60], 3) }));
  return layers.get(name)!;
}

describe.each(CASES)('%s', (name, opts) => {
  it('matches the float64 reference, fused and unfused, at several batch sizes and thread counts', () => {
    const layer = layerFor(name, opts);
    for (const threads of [1, 2]) {
      setThreads(threads);
      for (const tokens of [1, 3, 64, 133]) {
        const x = randn([tokens, 48], tokens);
        const ref = forwardReference(layer, x);
        const unfused = layer.forwardSync(x, { mode: 'unfused' });
        const fused = layer.forwardSync(x, { mode: 'fused', block: 16 });
        expect(chainBoundRatio(layer, tokens, unfused.data, ref), `unfused ${tokens} tokens, ${threads} threads`).toBeLessThanOrEqual(1);
        expect(chainBoundRatio(layer, tokens, fused.data, ref), `fused ${tokens} tokens`).toBeLessThanOrEqual(1);
        expect(relError(fused.data, unfused.data)).toBeLessThan(1e-5);
      }
    }
    setThreads(2);
  });

  it('matches x · toDense()^T + b computed in float64', () => {
    const layer = layerFor(name, opts);
    const x = randn([9, 48], 5);
    const w = layer.toDense({ transpose: true }); // [60, 48]
    const y = layer.forwardSync(x);
    let num = 0, den = 0;
    for (let t = 0; t < 9; t++)
      for (let o = 0; o < 60; o++) {
        let s = layer.bias!.data[o];
        for (let i = 0; i < 48; i++) s += x.data[t * 48 + i] * w.data[o * 48 + i];
        num += (y.data[t * 60 + o] - s) ** 2;
        den += s * s;
      }
    expect(Math.sqrt(num / den)).toBeLessThan(1e-5);
  });

  it('keeps leading dims and agrees sync / async / einsum / auto', async () => {
    const layer = layerFor(name, opts);
    const x = randn([2, 3, 50, 48], 4);
    const y = layer.forwardSync(x);
    expect(y.shape).toEqual([2, 3, 50, 60]);
    expect((await layer.forward(x)).data).toEqual(y.data);
    expect(relError(layer.forwardSync(x, { mode: 'einsum' }).data, y.data)).toBeLessThan(1e-5);
    expect(relError(layer.forwardSync(x, { mode: 'fused', block: 7, threads: 1 }).data, y.data)).toBeLessThan(1e-5);
    expect(layer.forwardSync(randn([0, 48], 1)).shape).toEqual([0, 60]);
  });

  it('writes every element of options.out, poisoned, and returns that tensor, in every mode', async () => {
    const layer = layerFor(name, opts);
    const x = randn([37, 48], 8);
    const y = layer.forwardSync(x, { mode: 'unfused' });
    for (const mode of ['unfused', 'fused', 'einsum'] as const) {
      const out = zeros([37, 60]);
      out.data.fill(NaN);
      expect(layer.forwardSync(x, { mode, block: 8, out })).toBe(out);
      expect(relError(out.data, y.data), mode).toBeLessThan(1e-5);
      out.data.fill(NaN);
      expect(await layer.forward(x, { mode, block: 8, out })).toBe(out);
      expect(relError(out.data, y.data), `${mode} async`).toBeLessThan(1e-5);
    }
  });
});

describe('plans', () => {
  it('choose the order per batch and cache weight-only contractions', () => {
    const layer = decomposeSync(randn([48, 60], 1), { format: 'cp', shape: SHAPE, ranks: 6, iterations: 5 });
    const small = layer.plan(1), large = layer.plan(4096);
    expect(small.batch).toBe(1);
    expect(large.batch).toBe(4096);
    expect(small.steps.some((s) => s.kind === 'cached')).toBe(false);
    // At a large batch the Khatri-Rao products of the factors pay for themselves.
    expect(large.steps.some((s) => s.kind === 'cached')).toBe(true);
    expect(large.cachedElements).toBeGreaterThan(0);
    expect(layer.plan(3).batch).toBe(4);
    expect(small.flopsPerToken).toBe(layer.flopsPerToken);
    expect(small.path.toString()).toMatch(/Complete contraction/);
  });

  it('tune() times the candidate orders fused and unfused and runs the fastest', () => {
    const layer = decomposeSync(randn([48, 60], 1), { format: 'tucker', shape: SHAPE, ranks: 3 });
    const x = randn([40, 48], 2);
    const before = layer.forwardSync(x);
    const r = layer.tune(40, { reps: 2, minSeconds: 0 });
    expect(r.batch).toBe(64);
    expect(r.timings.length).toBeGreaterThanOrEqual(2);
    expect(new Set(r.timings.map((t) => t.mode))).toEqual(new Set(['fused', 'unfused']));
    expect(r.winner.seconds).toBe(Math.min(...r.timings.map((t) => t.seconds)));
    expect(relError(layer.forwardSync(x).data, before.data)).toBeLessThan(1e-5);
    expect(() => layer.tune(0)).toThrow(/tokens must be an integer/);
  });

  it('honours an explicit path', () => {
    const layer = decomposeSync(randn([48, 60], 1), { format: 'lowrank', ranks: 4 });
    const viaWeights = layer.plan(8, { optimize: [[1, 2], [0, 1]] });
    expect(viaWeights.steps[0].kind).toBe('cached');
    const x = randn([8, 48], 2);
    expect(relError(layer.forwardSync(x, { optimize: [[1, 2], [0, 1]] }).data, layer.forwardSync(x).data)).toBeLessThan(1e-5);
  });

  it('rejects bad input with messages that name it', () => {
    const layer = decomposeSync(randn([48, 60], 1), { format: 'lowrank', ranks: 4 });
    expect(() => layer.forwardSync(randn([3, 47], 1))).toThrow(/x must end in the layer's 48 input features, got shape \[3, 47\]/);
    expect(() => layer.forwardSync(randn([3, 48], 1), { mode: 'fast' as never })).toThrow(/options.mode must be one of/);
    expect(() => layer.forwardSync(randn([3, 48], 1), { block: 0 })).toThrow(/options.block/);
    expect(() => layer.forwardSync(randn([3, 48], 1), { thread: 2 } as never)).toThrow(/unknown option 'thread'/);
    expect(() => layer.forwardSync(randn([3, 48], 1), { out: zeros([3, 59]) })).toThrow(/options.out has shape \[3, 59\], the result is \[3, 60\]/);
    expect(() => layer.forwardSync(randn([3, 48], 1), { out: new Float32Array(180) as never })).toThrow(/options.out must be a Tensor/);
    const shared = new Float32Array(180);
    expect(() => layer.forwardSync(new Tensor(shared.subarray(0, 144), [3, 48]), { out: new Tensor(shared, [3, 60]) })).toThrow(/y overlaps x/);
  });
});
