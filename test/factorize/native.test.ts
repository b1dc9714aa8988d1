// The chain and narrow-GEMM bindings at the native boundary: every step is
// checked once for a block of any size, and runs check their arrays.
import { describe, expect, it } from 'vitest';
import { native, type ChainStepArg } from '../../lib/native';

const gemm = (over: Partial<Extract<ChainStepArg, { kind: 'gemm' }>> = {}): ChainStepArg => ({
  kind: 'gemm',
  m: 1,
  mToken: true,
  n: 3,
  k: 4,
  rsA: 4,
  csA: 1,
  rsB: 3,
  csB: 1,
  rsC: 3,
  a: { buf: 'x' },
  b: { buf: 'w', weight: 0 },
  c: { buf: 'y' },
  ...over,
});

function create(steps: ChainStepArg[], extra: Record<string, unknown> = {}) {
  return native().chainCreate({ inFeatures: 4, outFeatures: 3, weights: [Float32Array.from({ length: 12 }, (_, i) => i)], steps, ...extra });
}

describe('chainCreate', () => {
  it('runs a one-step chain (y = x W) blocked and whole, narrow or packed', () => {
    for (const variant of [{ pack: true }, { narrow: true }, {}]) {
      const chain = create([gemm(variant)]);
      const x = Float32Array.from({ length: 5 * 4 }, (_, i) => i % 7);
      for (const fused of [false, true]) {
        const y = new Float32Array(15);
        native().chainRun({ chain, x, y, tokens: 5, block: 2, fused });
        for (let t = 0; t < 5; t++)
          for (let j = 0; j < 3; j++) {
            let s = 0;
            for (let p = 0; p < 4; p++) s += x[t * 4 + p] * (p * 3 + j);
            expect(y[t * 3 + j]).toBe(s);
          }
      }
    }
  });

  it('runs a weight-left step (per token y_t = W x_t, W packed once) blocked and whole', () => {
    // W [3, 4] on the left of each token's x_t [4, 1]: y_t [3, 1].
    const step = gemm({ m: 3, mToken: false, n: 1, k: 4, rsA: 4, csA: 1, rsB: 1, csB: 1, rsC: 1, a: { buf: 'w', weight: 0 }, b: { buf: 'x' }, loops: [{ token: true, sa: 0, sb: 4, sc: 3 }], weightLeft: true });
    const chain = create([step]);
    const x = Float32Array.from({ length: 5 * 4 }, (_, i) => (i % 5) - 2);
    for (const fused of [false, true]) {
      const y = new Float32Array(15).fill(NaN);
      native().chainRun({ chain, x, y, tokens: 5, block: 2, fused });
      for (let t = 0; t < 5; t++)
        for (let i = 0; i < 3; i++) {
          let s = 0;
          for (let p = 0; p < 4; p++) s += (i * 4 + p) * x[t * 4 + p];
          expect(y[t * 3 + i]).toBe(s);
        }
    }
    expect(() => create([{ ...step, m: 1, a: { buf: 'x' }, b: { buf: 'w', weight: 0 }, loops: [{ token: true, sa: 4, sb: 0, sc: 3 }] } as ChainStepArg])).toThrow(/weight-left GEMM needs A to be a weight/);
    expect(() => create([{ ...step, loops: [{ size: 1, sb: 4 }] } as ChainStepArg])).toThrow(/weight-left GEMM needs/);
  });

  it('rejects steps that would reach outside their buffers or alias', () => {
    expect(() => create([gemm({ k: 5 })])).toThrow(/steps\[0\]\.a reaches outside its buffer/);
    expect(() => create([gemm({ n: 4, rsC: 4 })])).toThrow(/reaches/);
    expect(() => create([gemm({ b: { buf: 'w', weight: 1 } })])).toThrow(/weight must be an integer in \[0, 0\]/);
    expect(() => create([gemm({ c: { buf: 'x' } })])).toThrow(/must write to 'y', 's0' or 's1'/);
    expect(() => create([gemm({ c: { buf: 'y' }, a: { buf: 'y' } })])).toThrow(/reads the buffer it writes/);
    expect(() => create([gemm({ rsC: 0, rsA: 0, m: 2, mToken: false })])).toThrow(/writes one element from several positions/);
    expect(() => create([gemm({ loops: [{ token: true, sa: 4, sb: 1, sc: 3 }], mToken: false })])).toThrow(/moves along tokens but is a weight/);
    expect(() => create([gemm({ narrow: true, loops: [{ size: 1 }, { size: 1 }] })])).toThrow(/narrow GEMM needs B to be a weight/);
    expect(() => create([{ kind: 'permute', shape: [1, 4], tokenDim: 0, ins: [{ buf: 'x', strides: [4, 1] }], out: { buf: 'y', strides: [3, 1] } }])).toThrow(
      /reaches outside its buffer/,
    );
    expect(() => create([{ kind: 'nope' } as never])).toThrow(/kind must be 'gemm', 'permute' or 'sumProduct'/);
    expect(() => create([gemm()], { bias: new Float32Array(2) })).toThrow(/bias has 2 elements, needs outFeatures = 3/);
  });

  it('checks the arrays of each run', () => {
    const chain = create([gemm()]);
    expect(() => native().chainRun({ chain, x: new Float32Array(7), y: new Float32Array(6), tokens: 2 })).toThrow(/x has 7 elements, needs tokens x in = 8/);
    expect(() => native().chainRun({ chain, x: new Float32Array(8), y: new Float32Array(5), tokens: 2 })).toThrow(/y has 5 elements/);
    const buf = new Float32Array(16);
    expect(() => native().chainRun({ chain, x: buf.subarray(0, 8), y: buf.subarray(6, 12), tokens: 2 })).toThrow(/y overlaps x/);
    expect(() => native().chainRun({ chain: {}, x: new Float32Array(8), y: new Float32Array(6), tokens: 2 })).toThrow(/chain must be a chain made by chainCreate/);
  });
});
