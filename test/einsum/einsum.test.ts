// einsum and einsumSync against the float64 reference on every syntax
// feature: explicit and implicit outputs, ellipses, size-1 broadcasting,
// diagonals and traces, summed and outer indices, scalars, single-operand
// permutes and reductions, chains and networks, every optimizer, memory
// limits, thread counts and the interleaved form.
import { describe, expect, it } from 'vitest';
import { ELLIPSIS, einsum, einsumSync, Tensor } from '../../lib/index';
import { boundRatio, inexact, intOperands, operands } from './bound';
import { EXECUTE_CASES } from './cases.mjs';

interface Case {
  readonly sub: string;
  readonly shapes: number[][];
}


function check(sub: string, ops: Tensor[], got: Tensor): void {
  const { ratio, shape } = boundRatio(sub, ops, got.data);
  expect(got.shape, `${sub} shape`).toEqual(shape);
  expect(ratio, `${sub} error / bound`).toBeLessThanOrEqual(1);
}

const CASES: Record<string, Case[]> = EXECUTE_CASES;

describe.each(Object.entries(CASES))('einsum: %s', (_name, cases) => {
  it.each(cases.map((c) => [c.sub, JSON.stringify(c.shapes), c] as const))('%s on %s (sync and async)', async (sub, _s, c) => {
    const ops = operands(c.shapes, 7);
    check(sub, ops, einsumSync(sub, ...ops));
    check(sub, ops, await einsum(sub, ...ops));
    // Integers: every term counted exactly once, no rounding to hide behind.
    const ints = intOperands(c.shapes, 7);
    expect(inexact(sub, ints, einsumSync(sub, ...ints).data)).toEqual([]);
  });
});

describe('einsum options', () => {
  const sub = 'ea,fb,abcd,gc,hd->efgh';
  const shapes = [[3, 2], [3, 3], [2, 3, 4, 2], [2, 4], [3, 2]];
  const ops = operands(shapes, 3);
  it.each(['auto', 'optimal', 'dp', 'greedy', 'branch', 'branch-all', 'branch-1', true, false] as const)('optimize %s', async (optimize) => {
    check(sub, ops, einsumSync(sub, ...ops, { optimize }));
    check(sub, ops, await einsum(sub, ...ops, { optimize }));
  });
  it('an explicit path, with and without the einsum_path marker', () => {
    check(sub, ops, einsumSync(sub, ...ops, { optimize: [[0, 2], [0, 3], [0, 2], [0, 1]] }));
    check(sub, ops, einsumSync(sub, ...ops, { optimize: ['einsum_path', [1, 2], [0, 1, 2, 3]] }));
  });
  it('memory limits that force steps over three or more operands', () => {
    for (const memoryLimit of [1, 10, 'maxInput'] as const) check(sub, ops, einsumSync(sub, ...ops, { memoryLimit, optimize: 'greedy' }));
  });
  it('thread counts', async () => {
    const big = operands([[96, 80], [80, 120]], 5);
    for (const threads of [1, 2, 3]) {
      check('ij,jk->ik', big, einsumSync('ij,jk->ik', ...big, { threads }));
      check('ij,jk->ik', big, await einsum('ij,jk->ik', ...big, { threads }));
    }
  });
  it('the same program twice (cached) gives the same result', () => {
    const a = einsumSync(sub, ...ops);
    const b = einsumSync(sub, ...ops);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });
});

describe('einsum interleaved form', () => {
  const [a, b] = operands([[3, 4], [4, 5]], 9);
  it('explicit output sublist', async () => {
    check('ij,jk->ik', [a, b], einsumSync(a, [0, 1], b, [1, 2], [0, 2]));
    check('ij,jk->ik', [a, b], await einsum(a, [0, 1], b, [1, 2], [0, 2]));
  });
  it('implicit output, and options last', () => {
    check('ij,jk', [a, b], einsumSync(a, [0, 1], b, [1, 2], { optimize: 'greedy' }));
  });
  it('ellipsis as ELLIPSIS or "..."', () => {
    const [x, y] = operands([[2, 3, 4], [2, 4, 5]], 4);
    check('...ij,...jk->...ik', [x, y], einsumSync(x, [ELLIPSIS, 0, 1], y, [ELLIPSIS, 1, 2], [ELLIPSIS, 0, 2]));
    check('...ij,...jk->...ik', [x, y], einsumSync(x, ['...', 0, 1], y, ['...', 1, 2], ['...', 0, 2]));
  });
});

describe('einsum larger shapes (every kernel path, several threads)', () => {
  const cases: Case[] = [
    { sub: 'bij,bjk->bik', shapes: [[6, 40, 50], [6, 50, 30]] },
    { sub: 'ibj,bjk->ikb', shapes: [[40, 6, 50], [6, 50, 30]] },
    { sub: 'ij->ji', shapes: [[300, 257]] },
    { sub: 'ijk->kij', shapes: [[20, 30, 40]] },
    { sub: 'ij->j', shapes: [[3000, 7]] },
    { sub: 'ij->i', shapes: [[7, 3000]] },
    { sub: 'i->', shapes: [[200000]] },
    { sub: 'ij,ij->i', shapes: [[300, 200], [300, 200]] },
    { sub: 'i,ij->j', shapes: [[300], [300, 200]] },
    { sub: 'ij,ji->ij', shapes: [[200, 300], [300, 200]] },
    { sub: 'i,j->ij', shapes: [[300], [200]] },
  ];
  it.each(cases.map((c) => [c.sub, JSON.stringify(c.shapes), c] as const))('%s on %s', async (sub, _s, c) => {
    const ops = operands(c.shapes, 11);
    check(sub, ops, einsumSync(sub, ...ops, { threads: 2 }));
    check(sub, ops, await einsum(sub, ...ops));
    const ints = intOperands(c.shapes, 11);
    expect(inexact(sub, ints, einsumSync(sub, ...ints, { threads: 2 }).data)).toEqual([]);
  });
});

describe('einsum accepts tensor-likes', () => {
  it('onnxruntime-style and tfjs-style operands', () => {
    const [a, b] = operands([[2, 3], [3, 2]], 1);
    const ort = { type: 'float32', data: a.data, dims: a.shape };
    const tfjs = { shape: b.shape, dataSync: () => b.data };
    check('ij,jk->ik', [a, b], einsumSync('ij,jk->ik', ort, tfjs));
  });
  it('does not alias the input: an identity einsum returns a copy', () => {
    const [a] = operands([[2, 3]], 2);
    const r = einsumSync('ij->ij', a);
    expect(r.data).not.toBe(a.data);
    expect(Array.from(r.data)).toEqual(Array.from(a.data));
  });
});
