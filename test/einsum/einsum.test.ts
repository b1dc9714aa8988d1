// einsum and einsumSync against the float64 reference on every syntax
// feature: explicit and implicit outputs, ellipses, size-1 broadcasting,
// diagonals and traces, summed and outer indices, scalars, single-operand
// permutes and reductions, chains and networks, every optimizer, memory
// limits, thread counts and the interleaved form.
import { describe, expect, it } from 'vitest';
import { ELLIPSIS, einsum, einsumSync, Tensor } from '../../lib/index';
import { boundRatio, inexact, intOperands, operands } from './bound';

interface Case {
  readonly sub: string;
  readonly shapes: number[][];
}

const CASES: Record<string, Case[]> = {
  'matrix products': [
    { sub: 'ij,jk->ik', shapes: [[7, 9], [9, 5]] },
    { sub: 'ij,jk', shapes: [[7, 9], [9, 5]] },
    { sub: 'ij,jk->ki', shapes: [[7, 9], [9, 5]] },
    { sub: 'ji,jk->ik', shapes: [[9, 7], [9, 5]] },
    { sub: 'ij,kj->ik', shapes: [[7, 9], [5, 9]] },
    { sub: 'ji,kj->ki', shapes: [[9, 7], [5, 9]] },
    { sub: 'ik,kj->ij', shapes: [[64, 130], [130, 33]] },
    { sub: 'ijk,jkl->il', shapes: [[4, 3, 5], [3, 5, 6]] },
    { sub: 'ijk,kjl->il', shapes: [[4, 3, 5], [5, 3, 6]] },
    { sub: 'ijk,jlk->li', shapes: [[4, 3, 5], [3, 6, 5]] },
    { sub: 'AbC,bCd->dA', shapes: [[3, 4, 2], [4, 2, 5]] },
  ],
  'batched products': [
    { sub: 'bij,bjk->bik', shapes: [[3, 6, 7], [3, 7, 5]] },
    { sub: 'ibj,bjk->bik', shapes: [[6, 3, 7], [3, 7, 5]] },
    { sub: 'bij,bkj->bik', shapes: [[3, 6, 7], [3, 5, 7]] },
    { sub: 'bji,bjk->ibk', shapes: [[3, 7, 6], [3, 7, 5]] },
    { sub: 'bij,bjk->kib', shapes: [[3, 6, 7], [3, 7, 5]] },
    { sub: 'bhqd,bhkd->bhqk', shapes: [[2, 3, 5, 8], [2, 3, 6, 8]] },
    { sub: 'bhqk,bhkd->bqhd', shapes: [[2, 3, 5, 6], [2, 3, 6, 8]] },
    { sub: 'bik,kj->bij', shapes: [[4, 5, 6], [6, 3]] },
    { sub: 'abij,bajk->abik', shapes: [[2, 3, 4, 5], [3, 2, 5, 2]] },
  ],
  'vectors, dots and elementwise products': [
    { sub: 'i,i', shapes: [[11], [11]] },
    { sub: 'i,i->', shapes: [[11], [11]] },
    { sub: 'i,i->i', shapes: [[11], [11]] },
    { sub: 'i,j->ij', shapes: [[4], [6]] },
    { sub: 'i,j->ji', shapes: [[4], [6]] },
    { sub: 'i,j,k->kij', shapes: [[2], [3], [4]] },
    { sub: 'ij,ij->ij', shapes: [[5, 6], [5, 6]] },
    { sub: 'ij,ji->ij', shapes: [[5, 6], [6, 5]] },
    { sub: 'ij,ij->', shapes: [[5, 6], [5, 6]] },
    { sub: 'bi,bi->b', shapes: [[7, 9], [7, 9]] },
    { sub: 'ib,bi->b', shapes: [[9, 7], [7, 9]] },
    { sub: 'ij,j->i', shapes: [[8, 5], [5]] },
    { sub: 'j,ij->i', shapes: [[5], [8, 5]] },
    { sub: 'i,ij->j', shapes: [[8], [8, 5]] },
    { sub: 'bk,bkn->bn', shapes: [[3, 7], [3, 7, 6]] },
    { sub: 'bij,bj->bi', shapes: [[3, 4, 7], [3, 7]] },
    { sub: 'ij,kl->ijkl', shapes: [[2, 3], [4, 2]] },
    { sub: 'ij,kl->', shapes: [[2, 3], [4, 2]] },
  ],
  'diagonals and traces': [
    { sub: 'ii', shapes: [[6, 6]] },
    { sub: 'ii->', shapes: [[6, 6]] },
    { sub: 'ii->i', shapes: [[6, 6]] },
    { sub: 'iij->j', shapes: [[3, 3, 4]] },
    { sub: 'iij->ij', shapes: [[3, 3, 4]] },
    { sub: 'ijij->ij', shapes: [[3, 4, 3, 4]] },
    { sub: 'iii->i', shapes: [[3, 3, 3]] },
    { sub: 'ii,ij->j', shapes: [[4, 4], [4, 5]] },
    { sub: 'ij,jj->i', shapes: [[3, 4], [4, 4]] },
    { sub: 'bii,bij->bj', shapes: [[2, 4, 4], [2, 4, 3]] },
  ],
  'single operand: permutes and reductions': [
    { sub: 'ij', shapes: [[3, 4]] },
    { sub: 'ij->ij', shapes: [[3, 4]] },
    { sub: 'ij->ji', shapes: [[37, 45]] },
    { sub: 'ji', shapes: [[3, 4]] },
    { sub: 'ijk->kji', shapes: [[3, 4, 5]] },
    { sub: 'ijk->jki', shapes: [[3, 4, 5]] },
    { sub: 'ij->i', shapes: [[6, 7]] },
    { sub: 'ij->j', shapes: [[6, 7]] },
    { sub: 'ijk->j', shapes: [[3, 4, 5]] },
    { sub: 'ijk->ki', shapes: [[3, 4, 5]] },
    { sub: 'ij->', shapes: [[6, 7]] },
    { sub: 'i->', shapes: [[1000]] },
  ],
  'one side summed, mixed kinds': [
    { sub: 'ij,jk->i', shapes: [[3, 4], [4, 5]] },
    { sub: 'ij,kl->il', shapes: [[3, 4], [5, 6]] },
    { sub: 'ijk,jl->il', shapes: [[3, 4, 5], [4, 6]] },
    { sub: 'ij,jk->ijk', shapes: [[3, 4], [4, 5]] },
    { sub: 'ij,ik->ijk', shapes: [[3, 4], [3, 5]] },
    { sub: 'bij,bjk->bij', shapes: [[2, 3, 4], [2, 4, 5]] },
  ],
  scalars: [
    { sub: '->', shapes: [[]] },
    { sub: ',->', shapes: [[], []] },
    { sub: ',', shapes: [[], []] },
    { sub: 'i,->i', shapes: [[5], []] },
    { sub: ',ij->ji', shapes: [[], [3, 4]] },
    { sub: 'ij,,jk->ik', shapes: [[3, 4], [], [4, 2]] },
  ],
  'ellipsis broadcasting': [
    { sub: '...ij,...jk->...ik', shapes: [[2, 3, 4, 5], [2, 3, 5, 6]] },
    { sub: '...ij,...jk->...ik', shapes: [[2, 1, 3, 4], [5, 4, 2]] },
    { sub: '...ij,...jk', shapes: [[3, 4, 5], [5, 6]] },
    { sub: '...ii->...i', shapes: [[2, 3, 4, 4]] },
    { sub: 'i...->...', shapes: [[3, 4, 5]] },
    { sub: '...,...->...', shapes: [[3, 1], [1, 4]] },
    { sub: '...i,...i->...', shapes: [[2, 3, 6], [3, 6]] },
    { sub: 'i...j,j...k->...ik', shapes: [[3, 2, 4], [4, 2, 5]] },
    { sub: '...->...', shapes: [[]] },
    { sub: 'ij...,jk...->ik...', shapes: [[3, 4], [4, 5]] },
  ],
  'size-1 broadcasting': [
    { sub: 'ij,ij->ij', shapes: [[3, 1], [1, 4]] },
    { sub: 'ij,jk->ik', shapes: [[3, 1], [5, 4]] },
    { sub: 'ij,jk->ik', shapes: [[3, 5], [1, 4]] },
    { sub: 'bij,bjk->bik', shapes: [[1, 3, 4], [5, 4, 2]] },
    { sub: 'bij,bjk->bik', shapes: [[5, 3, 4], [1, 4, 2]] },
    { sub: 'ij,i->ij', shapes: [[4, 5], [1]] },
    { sub: 'ii->i', shapes: [[1, 1]] },
    { sub: 'i,i->', shapes: [[1], [7]] },
  ],
  'chains and networks': [
    { sub: 'ij,jk,kl->il', shapes: [[5, 6], [6, 7], [7, 4]] },
    { sub: 'ij,jk,kl,lm->mi', shapes: [[3, 4], [4, 5], [5, 6], [6, 2]] },
    { sub: 'bi,iaj,jck,kdl->bacdl', shapes: [[6, 4], [4, 2, 5], [5, 3, 4], [4, 2, 3]] },
    { sub: 'ab,bc,cd,da->', shapes: [[3, 4], [4, 5], [5, 6], [6, 3]] },
    { sub: 'abc,cde,efa->bdf', shapes: [[2, 3, 4], [4, 3, 2], [2, 3, 2]] },
    { sub: 'ea,fb,abcd,gc,hd->efgh', shapes: [[3, 2], [3, 3], [2, 3, 4, 2], [2, 4], [3, 2]] },
    { sub: 'ij,ij,ij->ij', shapes: [[3, 4], [3, 4], [3, 4]] },
    { sub: 'i,ij,j->', shapes: [[4], [4, 5], [5]] },
    { sub: 'a,b,c,d,e->', shapes: [[2], [3], [2], [3], [2]] },
  ],
  'zero-size dimensions': [
    { sub: 'ij,jk->ik', shapes: [[3, 0], [0, 4]] },
    { sub: 'ij,jk->ik', shapes: [[0, 3], [3, 4]] },
    { sub: 'ij->', shapes: [[0, 3]] },
    { sub: 'i,i->i', shapes: [[0], [1]] },
  ],
};

function check(sub: string, ops: Tensor[], got: Tensor): void {
  const { ratio, shape } = boundRatio(sub, ops, got.data);
  expect(got.shape, `${sub} shape`).toEqual(shape);
  expect(ratio, `${sub} error / bound`).toBeLessThanOrEqual(1);
}

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
