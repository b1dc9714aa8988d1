// GEMM operands read through offset tables (index groups that no single
// stride walks): the lowering must choose them where the suite expects it,
// so a cost-model change cannot silently stop testing the path, and
// tensor-train layers that use them must match a float64 reference chained
// step by step (the one-loop reference would take minutes on them).
import { describe, expect, it } from 'vitest';
import { einsum, einsumSync, Tensor } from '../../lib/index';
import { lower } from '../../lib/einsum/lower';
import { parseEinsum } from '../../lib/einsum/parse';
import { PathInfo } from '../../lib/einsum/pathinfo';
import { contractPath } from '../../lib/einsum';
import { einsumReference, type ReferenceOperand } from '../../lib/einsum/reference';
import { operands } from './bound';
import { EXECUTE_CASES } from './cases.mjs';

/** Which GEMM operands of the lowered program read through offset tables. */
function gathered(sub: string, shapes: number[][]): string[] {
  const info = contractPath(sub, ...shapes.map((s) => new Tensor(new Float32Array(s.reduce((p, d) => p * d, 1)), s)));
  const spec = parseEinsum(sub, shapes);
  const program = lower(spec, new PathInfo(spec, info.path, 'optimal'));
  const out: string[] = [];
  for (const ins of program.instrs) {
    if (ins.op !== 'gemm') continue;
    if (ins.a.groups) out.push('A');
    if (ins.b.groups) out.push('B');
  }
  return out;
}

describe('offset tables in the lowering', () => {
  it.each(EXECUTE_CASES['operands read through offset tables'])('$sub on $shapes gathers a GEMM operand', ({ sub, shapes }) => {
    expect(gathered(sub, shapes).length).toBeGreaterThan(0);
  });
  it('copies small operands instead (the tables cost more than they save)', () => {
    expect(gathered('bijk,jciakd->bacd', [[5, 2, 3, 4], [3, 3, 2, 2, 4, 17]])).toEqual([]);
  });
});

const TT = 'bijk,iap,pjcq,qkd->bacd';
// The weight at 8 tokens; the cores' product at one token.
const TT_CASES = [
  { shapes: [[8, 4, 8, 6], [4, 8, 16], [16, 8, 16, 16], [16, 6, 24]] },
  { shapes: [[1, 4, 4, 6], [4, 4, 24], [24, 4, 16, 24], [24, 6, 12]] },
];

/** The TT layer in float64, one pair at a time. */
function ttReference(ops: readonly ReferenceOperand[]): Float64Array {
  const [x, g1, g2, g3] = ops;
  const w1 = einsumReference('iap,pjcq->iajcq', g1, g2);
  const w = einsumReference('iajcq,qkd->iajckd', w1, g3);
  return einsumReference('bijk,iajckd->bacd', x, w).data;
}

describe('tensor-train layers through offset tables', () => {
  it.each(TT_CASES)('matches the chained float64 reference on $shapes (sync and async)', async ({ shapes }) => {
    expect(gathered(TT, shapes).length).toBeGreaterThan(0);
    const ops = operands(shapes, 7);
    const ref = ttReference(ops);
    const mag = ttReference(ops.map((o) => ({ data: o.data.map(Math.abs), shape: o.shape })));
    // Σ over i, j, k, p and q, each a float32 rounding per step: see bound.ts.
    const [, i, j, k] = shapes[0];
    const gamma = 2 * (i * j * k * shapes[1][2] * shapes[3][0] + 10) * 2 ** -24;
    for (const got of [einsumSync(TT, ...ops), await einsum(TT, ...ops)]) {
      expect(got.shape).toEqual([shapes[0][0], shapes[1][1], shapes[2][2], shapes[3][2]]);
      let worst = 0;
      for (let t = 0; t < ref.length; t++) worst = Math.max(worst, Math.abs(got.data[t] - ref[t]) / (gamma * mag[t] + 1e-30));
      expect(worst).toBeLessThanOrEqual(1);
    }
  });
});
