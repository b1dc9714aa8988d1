import { describe, expect, it } from 'vitest';
import { clearPathCache, contractPath, OptimizerName, pathProblem } from '../../lib/einsum/paths';
import { flopCount } from '../../lib/einsum/problem';
import { numpyGreedyPath } from '../../lib/einsum/path-greedy-numpy';
import { parseEinsum } from '../../lib/einsum/parse';
import { einsumReference } from '../../lib/einsum/reference';
import { TensorfoldError } from '../../lib/errors';
import { intData, runPath } from './helpers';

// opt_einsum's test suite sizes indices with these defaults (opt_einsum.testing):
// a2 b3 c4 d5 e4 f3 g2 h6 i5 j4 k3 l2 m5 o7 p4 q3 A2 B3 C4.
const DEFAULT_DIMS: Record<string, number> = Object.fromEntries(
  [...'abcdefghijklmopqABC'].map((c, i) => [c, [2, 3, 4, 5, 4, 3, 2, 6, 5, 4, 3, 2, 5, 7, 4, 3, 2, 3, 4][i]]),
);
function views(eq: string, dims: Record<string, number> = DEFAULT_DIMS): number[][] {
  return eq
    .split('->')[0]
    .split(',')
    .map((t) => [...t].map((c) => dims[c]));
}
const all20 = (eq: string) => views(eq, Object.fromEntries([...'abcdefgh'].map((c) => [c, 20])));

const NAMED: OptimizerName[] = ['optimal', 'dp', 'greedy', 'branch-all', 'branch-2', 'branch-1', 'auto'];

describe('flopCount follows opt_einsum.helpers.flop_count', () => {
  it('matches opt_einsum test_flop_cost (every index of size 10)', () => {
    expect(flopCount(10, false, 1)).toBe(10); // loop over an array
    expect(flopCount(10, false, 2)).toBe(10); // Hadamard 'a'
    expect(flopCount(100, false, 2)).toBe(100); // Hadamard 'ab'
    expect(flopCount(10, true, 2)).toBe(20); // inner product
    expect(flopCount(100, true, 2)).toBe(200);
    expect(flopCount(10, true, 3)).toBe(30); // three-term inner product
    expect(flopCount(1000, true, 2)).toBe(2000); // GEMM 'abc'
  });
});

describe('contractPath FLOP counts, compared one to one with numpy / opt_einsum', () => {
  // No numpy on the test machine: these numbers follow numpy's rules by hand.
  //   step cost  = (product of the sizes of the indices the step spans)
  //                * (max(1, terms - 1) + (1 if the step sums an index away))
  //   naive cost = the same over all indices and all operands, where "sums"
  //                means some index appears in more than one operand.
  // opt_einsum reports the sum of the steps; numpy.einsum_path prints that sum + 1.

  it("numpy's einsum_path example 'ij,jk,kl->il' (2,2),(2,5),(5,2)", () => {
    const info = contractPath('ij,jk,kl->il', [2, 2], [2, 5], [5, 2], { optimize: 'greedy' });
    expect(info.path).toEqual([
      [1, 2],
      [0, 1],
    ]);
    // jk,kl->jl spans j,k,l: 2*5*2 = 20, summed: x2 = 40; ij,jl->il spans i,j,l: 8, x2 = 16.
    expect(info.optCost).toBe(56);
    // i,j,k,l: 40 points; three operands, j and k shared: x(2 + 1) = 120.
    expect(info.naiveCost).toBe(120);
    expect(info.largestIntermediate).toBe(4);
    expect(info.scaling).toBe(3);
    expect(info.naiveScaling).toBe(4);
  });

  it("'ij,jk,kl->il' (3,4),(4,5),(5,6): greedy 384, optimal 300, naive 1080", () => {
    const shapes = [
      [3, 4],
      [4, 5],
      [5, 6],
    ];
    const greedy = contractPath('ij,jk,kl->il', ...shapes, { optimize: 'greedy' });
    // Greedy shrinks memory most with (1,2): jk,kl->jl = 4*5*6*2 = 240, then ij,jl->il = 3*4*6*2 = 144.
    expect(greedy.path).toEqual([
      [1, 2],
      [0, 1],
    ]);
    expect(greedy.optCost).toBe(384);
    expect(greedy.largestIntermediate).toBe(24);
    // Left to right is cheaper: 3*4*5*2 = 120, then 3*5*6*2 = 180.
    const optimal = contractPath('ij,jk,kl->il', ...shapes, { optimize: 'optimal' });
    expect(optimal.path).toEqual([
      [0, 1],
      [0, 1],
    ]);
    expect(optimal.optCost).toBe(300);
    expect(optimal.largestIntermediate).toBe(18);
    // 3*4*5*6 = 360 points, x3.
    expect(optimal.naiveCost).toBe(1080);
    expect(optimal.speedup).toBeCloseTo(3.6, 12);
  });

  it("numpy's index transformation example 'ea,fb,abcd,gc,hd->efgh', N = 10", () => {
    const C = [10, 10];
    const I = [10, 10, 10, 10];
    const info = contractPath('ea,fb,abcd,gc,hd->efgh', C, C, I, C, C, { optimize: 'greedy' });
    // numpy's and opt_einsum's documented greedy path and steps.
    expect(info.path).toEqual([
      [0, 2],
      [0, 3],
      [0, 2],
      [0, 1],
    ]);
    expect(info.steps.map((s) => s.subscripts)).toEqual(['abcd,ea->bcde', 'bcde,fb->cdef', 'cdef,gc->defg', 'defg,hd->efgh']);
    expect(info.steps.map((s) => `${s.remaining.join(',')}->efgh`)).toEqual([
      'fb,gc,hd,bcde->efgh',
      'gc,hd,cdef->efgh',
      'hd,defg->efgh',
      'efgh->efgh',
    ]);
    // Each step spans 5 indices (1e5 points) and sums one: 2e5, four times.
    expect(info.optCost).toBe(8e5);
    // 8 indices (1e8 points), five operands with shared indices: x(4 + 1).
    expect(info.naiveCost).toBe(5e8);
    expect(info.largestIntermediate).toBe(1e4);
    expect(info.scaling).toBe(5);
    expect(info.naiveScaling).toBe(8);
    for (const o of NAMED) expect(contractPath('ea,fb,abcd,gc,hd->efgh', C, C, I, C, C, { optimize: o }).optCost).toBe(8e5);
  });

  it("opt_einsum issue #254: 'bgk,bkd,bk->bgd' and what opt_einsum 3.4.0 printed", () => {
    const shapes = [
      [64, 8, 4096],
      [64, 4096, 128],
      [64, 4096],
    ];
    // opt_einsum 3.4.0's 'optimal' chose [(1,2),(0,1)]: Naive 8.053e+8,
    // Optimized 5.704e+8, largest intermediate 3.355e+7 elements.
    const theirs = contractPath('bgk,bkd,bk->bgd', ...shapes, { optimize: [[1, 2], [0, 1]] });
    expect(theirs.naiveCost).toBe(805306368); // 64*8*4096*128 * 3
    expect(theirs.optCost).toBe(570425344); // 64*4096*128 + 64*8*4096*128*2
    expect(theirs.largestIntermediate).toBe(33554432);
    // The cheaper path the issue reports, which our 'optimal' finds.
    const ours = contractPath('bgk,bkd,bk->bgd', ...shapes, { optimize: 'optimal' });
    expect(ours.path).toEqual([
      [0, 2],
      [0, 1],
    ]);
    expect(ours.optCost).toBe(538968064); // 64*8*4096 + 64*8*4096*128*2
  });

  it('two operands: one step, as planned by nobody', () => {
    const info = contractPath('ij,jk->ik', [2, 3], [3, 4]);
    expect(info.path).toEqual([[0, 1]]);
    expect(info.method).toBe('none');
    expect(info.optCost).toBe(48);
    expect(info.naiveCost).toBe(48);
    expect(info.speedup).toBe(1);
  });

  it('one operand: a trace costs 2 per element, though numpy calls its naive cost 1', () => {
    const info = contractPath('ii->', [3, 3]);
    expect(info.path).toEqual([[0]]);
    expect(info.optCost).toBe(6);
    expect(info.naiveCost).toBe(3);
    expect(info.steps[0].kind).toBe('REDUCE');
  });

  it('optimize: false contracts everything in one step', () => {
    const info = contractPath('ij,jk,kl->il', [3, 4], [4, 5], [5, 6], { optimize: false });
    expect(info.path).toEqual([[0, 1, 2]]);
    // One step over i,j,k,l with three terms, summing j and k: 360 * 3.
    expect(info.optCost).toBe(1080);
    expect(info.steps[0].subscripts).toBe('kl,jk,ij->il');
  });
});

describe("contractPath reproduces opt_einsum's path tests", () => {
  // opt_einsum/tests/test_paths.py: path_edge_tests. Where the expected path is
  // one of several with the same cost, only the cost is compared.
  const edge: [OptimizerName, string, number[][], boolean][] = [
    ['greedy', 'eb,cb,fb->cef', [[0, 2], [0, 1]], true],
    ['branch-all', 'eb,cb,fb->cef', [[0, 2], [0, 1]], true],
    ['branch-2', 'eb,cb,fb->cef', [[0, 2], [0, 1]], true],
    ['optimal', 'eb,cb,fb->cef', [[0, 2], [0, 1]], true],
    ['dp', 'eb,cb,fb->cef', [[1, 2], [0, 1]], true],
    ['greedy', 'dd,fb,be,cdb->cef', [[0, 3], [0, 1], [0, 1]], true],
    ['branch-all', 'dd,fb,be,cdb->cef', [[0, 3], [0, 1], [0, 1]], true],
    ['branch-2', 'dd,fb,be,cdb->cef', [[0, 3], [0, 1], [0, 1]], true],
    ['optimal', 'dd,fb,be,cdb->cef', [[0, 3], [0, 1], [0, 1]], false],
    ['dp', 'dd,fb,be,cdb->cef', [[0, 3], [0, 2], [0, 1]], true],
    ['greedy', 'bca,cdb,dbf,afc->', [[1, 2], [0, 2], [0, 1]], true],
    ['branch-all', 'bca,cdb,dbf,afc->', [[1, 2], [0, 2], [0, 1]], true],
    ['branch-2', 'bca,cdb,dbf,afc->', [[1, 2], [0, 2], [0, 1]], true],
    ['optimal', 'bca,cdb,dbf,afc->', [[1, 2], [0, 2], [0, 1]], true],
    ['dp', 'bca,cdb,dbf,afc->', [[1, 2], [1, 2], [0, 1]], true],
    ['greedy', 'dcc,fce,ea,dbf->ab', [[1, 2], [0, 1], [0, 1]], true],
    ['branch-all', 'dcc,fce,ea,dbf->ab', [[1, 2], [0, 2], [0, 1]], true],
    ['branch-2', 'dcc,fce,ea,dbf->ab', [[1, 2], [0, 2], [0, 1]], true],
    ['optimal', 'dcc,fce,ea,dbf->ab', [[1, 2], [0, 2], [0, 1]], true],
    ['dp', 'dcc,fce,ea,dbf->ab', [[1, 2], [0, 2], [0, 1]], true],
  ];
  it.each(edge)('%s on %s', (optimize, eq, expected, exact) => {
    const info = contractPath(eq, ...views(eq), { optimize });
    const reference = contractPath(eq, ...views(eq), { optimize: expected });
    if (exact) expect(info.path).toEqual(expected);
    expect(info.optCost).toBe(reference.optCost);
  });

  it('memory limits: everything in one step when no intermediate fits (test_memory_paths)', () => {
    const eq = 'abc,bdef,fghj,cem,mhk,ljk->adgl';
    for (const optimize of ['optimal', 'greedy', 'dp', 'branch-2'] as const) {
      expect(contractPath(eq, ...views(eq), { optimize, memoryLimit: 5 }).path).toEqual([[0, 1, 2, 3, 4, 5]]);
    }
    const unlimited = [[0, 3], [0, 4], [0, 2], [0, 2], [0, 1]];
    expect(contractPath(eq, ...views(eq), { optimize: 'greedy' }).path).toEqual(unlimited);
    expect(contractPath(eq, ...views(eq), { optimize: 'optimal' }).path).toEqual(unlimited);
  });

  it("memory limits: the best partial path, then the rest at once (test_optimal_edge_cases, test_greedy_edge_cases)", () => {
    const e4 = 'a,ac,ab,ad,cd,bd,bc->';
    for (const optimize of ['optimal', 'greedy', 'dp', 'branch-all', 'branch-2'] as const) {
      expect(contractPath(e4, ...all20(e4), { optimize, memoryLimit: 'maxInput' }).path).toEqual([
        [0, 1],
        [0, 1, 2, 3, 4, 5],
      ]);
    }
    const ring = 'abc,cfd,dbe,efa';
    expect(contractPath(ring, ...all20(ring), { optimize: 'greedy', memoryLimit: 'maxInput' }).path).toEqual([[0, 1, 2, 3]]);
    expect(contractPath(ring, ...all20(ring), { optimize: 'greedy' }).path).toEqual([
      [0, 1],
      [0, 2],
      [0, 1],
    ]);
  });

  it('GEMM1 of test_path_optimal / test_path_greedy', () => {
    // Index sets abd, ac, bdc, output empty, a1 b2 c3 d4.
    for (const optimize of ['optimal', 'greedy'] as const) {
      expect(contractPath('abd,ac,bdc->', [1, 2, 4], [1, 3], [2, 4, 3], { optimize, memoryLimit: 5000 }).path).toEqual([
        [0, 2],
        [0, 1],
      ]);
      expect(contractPath('abd,ac,bdc->', [1, 2, 4], [1, 3], [2, 4, 3], { optimize, memoryLimit: 0 }).path).toEqual([[0, 1, 2]]);
    }
  });

  it('outer products when they pay (test_can_optimize_outer_products)', () => {
    const shapes = [
      [10, 10],
      [10, 10],
      [10, 10],
      [10, 2],
    ];
    for (const optimize of NAMED)
      expect(contractPath('ab,cd,ef,fg', ...shapes, { optimize }).path).toEqual([
        [2, 3],
        [0, 2],
        [0, 1],
      ]);
  });

  it("'dp' skips outer products that would pay; 'optimal' does not (test_custom_dp_can_optimize_for_outer_products)", () => {
    const dp = contractPath('a,b,abc->c', [2], [2], [2, 2, 3], { optimize: 'dp' });
    const optimal = contractPath('a,b,abc->c', [2], [2], [2, 2, 3], { optimize: 'optimal' });
    // dp: abc,a->bc (12*2) then bc,b->c (6*2) = 36; optimal: a,b->ab (4) then ab,abc->c (12*2) = 28.
    expect(dp.optCost).toBe(36);
    expect(optimal.optCost).toBe(28);
  });

  it('dp edge cases: all-1 dimensions and indices used once (test_dp_edge_cases_*)', () => {
    expect(contractPath('nlp,nlq,pl->n', [1, 1, 1], [1, 1, 1], [1, 1], { optimize: 'dp' }).scaling).toBe(3);
    expect(contractPath('a,bcd,efg->', [2], [2, 2, 2], [2, 2, 2], { optimize: 'dp' }).scaling).toBe(3);
  });

  it('scalars (path_scalar_tests): one pairwise step per extra operand', () => {
    const cases: [string, number][] = [
      ['a,->a', 1],
      ['ab,->ab', 1],
      [',a,->a', 2],
      [',,a,->a', 3],
      [',,->', 2],
    ];
    for (const [eq, steps] of cases) for (const optimize of NAMED) expect(contractPath(eq, ...views(eq), { optimize }).path).toHaveLength(steps);
  });
});

describe("numpy's greedy, and 'auto' beyond 12 operands", () => {
  // Random networks (bench/suites/einsum-paths.mjs) on which numpy 1.24's
  // einsum_path(optimize=('greedy', 1e10)) returned these paths; opt_einsum's
  // greedy ('greedy') finds costlier ones there.
  const cases = [
    {
      sub: 'fhkmrv,gq,di,cvw,y,hoy,cejlpt,fnu,os,nx,erswx,z,adjmtz,gi,bklpqu->ab',
      shapes: [[3, 5, 7, 3, 3, 2], [6, 7], [4, 3], [7, 2, 4], [8], [5, 6, 8], [7, 2, 6, 2, 7, 6], [3, 5, 8], [6, 7], [5, 3], [2, 3, 7, 4, 3], [5], [6, 4, 6, 3, 6, 5], [6, 3], [7, 7, 2, 7, 7, 8]],
      path: [[11, 12], [1, 12], [10, 12], [1, 10], [2, 3], [4, 6], [7, 8], [3, 4], [0, 5], [0, 5], [3, 4], [1, 3], [0, 2], [0, 1]],
      cost: 3186240,
    },
    {
      sub: 'achor,bijtw,dgmq,mv,lqux,p,kt,djknx,orw,s,ei,y,efpsy,fgn,chluv->ab',
      shapes: [[4, 5, 7, 8, 4], [5, 7, 3, 3, 8], [3, 4, 6, 6], [6, 3], [7, 6, 3, 6], [7], [3, 3], [3, 3, 3, 8, 6], [8, 4, 8], [5], [2, 7], [6], [2, 7, 7, 5, 6], [7, 4, 8], [5, 7, 7, 3, 3]],
      path: [[0, 8], [4, 10], [0, 7], [8, 9], [6, 8], [0, 1], [3, 7], [3, 7], [2, 6], [1, 2], [2, 3], [0, 3], [0, 2], [0, 1]],
      cost: 464924,
    },
  ];
  it.each(cases.map((c) => [c.sub, c] as const))('reproduces numpy on %s', (sub, c) => {
    const p = pathProblem(parseEinsum(sub, c.shapes));
    expect(numpyGreedyPath(p)).toEqual(c.path);
    expect(contractPath(sub, ...c.shapes, { optimize: c.path }).optCost).toBe(c.cost);
    const auto = contractPath(sub, ...c.shapes);
    expect(auto.method).toBe('greedy');
    expect(auto.optCost).toBeLessThanOrEqual(c.cost);
    expect(auto.optCost).toBeLessThanOrEqual(contractPath(sub, ...c.shapes, { optimize: 'greedy' }).optCost);
  });
  it('takes outer products only when no pair shares an index, as numpy does', () => {
    const p = pathProblem(parseEinsum('ab,cd,ef->abcdef', [[2, 3], [4, 5], [6, 7]]));
    expect(numpyGreedyPath(p)).toEqual([[0, 1], [0, 1]]);
  });
});

describe("'optimal' ties", () => {
  it('go to the tree that writes fewer intermediate elements', () => {
    // Both orders cost the same FLOPs; x1 · W first writes 2.1M elements, the outer product x1 x2 4.2M.
    const info = contractPath('bi,oij,bj->bo', [256, 128], [64, 128, 128], [256, 128], { optimize: 'optimal' });
    expect(info.optCost).toBe(contractPath('bi,oij,bj->bo', [256, 128], [64, 128, 128], [256, 128], { optimize: [[0, 2], [0, 1]] }).optCost);
    expect(info.path).toEqual([[0, 1], [0, 1]]);
  });
});

describe('contractPath steps', () => {
  const kind = (eq: string, shapes: number[][], optimize: number[][] | false = [[0, 1]]) =>
    contractPath(eq, ...shapes, { optimize }).steps.map((s) => [s.kind, s.blas]);

  it('classifies each step', () => {
    expect(kind('ij,jk->ik', [[2, 3], [3, 4]])).toEqual([['GEMM', true]]);
    expect(kind('ij,kj->ik', [[2, 3], [4, 3]])).toEqual([['GEMM', true]]);
    expect(kind('ijk,jil->kl', [[2, 3, 4], [3, 2, 5]])).toEqual([['TDOT', true]]);
    expect(kind('i,i->', [[3], [3]])).toEqual([['DOT', true]]);
    expect(kind('ij,ji->', [[2, 3], [3, 2]])).toEqual([['DOT', true]]);
    expect(kind('ij,j->i', [[2, 3], [3]])).toEqual([['GEMV', true]]);
    expect(kind('bij,bjk->bik', [[2, 3, 4], [2, 4, 5]])).toEqual([['BGEMM', true]]);
    expect(kind('i,j->ij', [[2], [3]])).toEqual([['OUTER', false]]);
    expect(kind('ij,ij->ij', [[2, 3], [2, 3]])).toEqual([['HADAMARD', false]]);
    expect(kind('ij,j->ij', [[2, 3], [3]])).toEqual([['HADAMARD', false]]);
    expect(kind('ij,jk->ijk', [[2, 3], [3, 4]])).toEqual([['EINSUM', false]]);
    expect(kind('ij,jk->k', [[2, 3], [3, 4]])).toEqual([['EINSUM', false]]);
    expect(kind('ii,i->', [[3, 3], [3]])).toEqual([['EINSUM', false]]);
    expect(kind('ij->', [[2, 3]], [[0]])).toEqual([['REDUCE', false]]);
    expect(kind('ii->i', [[3, 3]], [[0]])).toEqual([['DIAGONAL', false]]);
    expect(kind('ij->ji', [[2, 3]], [[0]])).toEqual([['TRANSPOSE', false]]);
    expect(kind('ij,jk,kl->il', [[2, 3], [3, 4], [4, 5]], false)).toEqual([['EINSUM', false]]);
  });

  it('records positions (highest first), index numbers, removed indices and sizes', () => {
    const info = contractPath('ij,jk,kl->il', [3, 4], [4, 5], [5, 6], { optimize: [[1, 2], [0, 1]] });
    const [first, second] = info.steps;
    expect(first.operands).toEqual([2, 1]);
    expect(first.subscripts).toBe('kl,jk->lj');
    // Indices: i0 j1 k2 l3.
    expect(first.terms).toEqual([
      [2, 3],
      [1, 2],
    ]);
    expect(first.result).toEqual([3, 1]);
    expect(first.removed).toBe('k');
    expect(first.remaining).toEqual(['ij', 'lj']);
    expect([first.cost, first.size, first.scaling]).toEqual([240, 24, 3]);
    expect(second.subscripts).toBe('lj,ij->il');
    expect(second.remaining).toEqual(['il']);
    expect(info.sizes).toEqual({ i: 3, j: 4, k: 5, l: 6 });
  });

  it('uses stand-in letters for ellipsis dimensions', () => {
    const info = contractPath('...ij,...jk,...kl->...il', [7, 2, 3], [7, 3, 4], [4, 5]);
    expect(info.equation).toBe('Aij,Ajk,kl->Ail');
    expect(info.steps[info.steps.length - 1].subscripts).toMatch(/->Ail$/);
  });

  it('steps that run with the reference reproduce broadcasting, diagonal and ellipsis expressions', () => {
    const cases: [string, number[][]][] = [
      ['...ij,...jk,...kl->...il', [[2, 1, 2, 3], [3, 3, 4], [1, 4, 2]]],
      ['...ij,...jk,...kl', [[2, 3], [5, 3, 4], [4, 2]]],
      ['ii,ij,jk->k', [[3, 3], [1, 4], [4, 2]]],
      ['bij,bjk,bkl,b->bil', [[2, 2, 3], [1, 3, 4], [2, 4, 2], [2]]],
      ['i...,...j,j->...', [[2, 3, 1], [3, 1, 4], [4]]],
      [',ij,,jk->ik', [[], [2, 3], [], [3, 2]]],
    ];
    for (const [eq, shapes] of cases) {
      const operands = shapes.map((shape, k) => ({ data: intData(shape, 7 * k + 1), shape }));
      const direct = einsumReference(eq, ...operands);
      for (const optimize of [...NAMED, false] as const) {
        const out = runPath(contractPath(eq, ...shapes, { optimize }), operands);
        expect({ eq, optimize, data: Array.from(out.data), shape: out.shape }).toEqual({ eq, optimize, data: [...direct.data], shape: direct.shape });
      }
    }
  });

  it("prints opt_einsum's table", () => {
    const info = contractPath('ij,jk,kl->il', [3, 4], [4, 5], [5, 6], { optimize: 'greedy' });
    expect(String(info)).toBe(
      [
        '  Complete contraction:  ij,jk,kl->il',
        '         Naive scaling:  4',
        '     Optimized scaling:  3',
        '      Naive FLOP count:  1.080e+03',
        '  Optimized FLOP count:  3.840e+02',
        '   Theoretical speedup:  2.813',
        '  Largest intermediate:  2.400e+01 elements',
        '-'.repeat(80),
        'scaling        kind                current                             remaining',
        '-'.repeat(80),
        '   3           GEMM              kl,jk->lj                             ij,lj->il',
        '   3           GEMM              lj,ij->il                                il->il',
      ].join('\n'),
    );
  });
});

describe('contractPath options and inputs', () => {
  const chain = (n: number) => {
    const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const terms = Array.from({ length: n }, (_, i) => letters[i] + letters[i + 1]);
    return { eq: `${terms.join(',')}->${letters[0]}${letters[n]}`, shapes: terms.map((_, i) => [2 + (i % 3), 2 + ((i + 1) % 3)]) };
  };

  it("'auto' picks optimal, then dp, then greedy by operand count", () => {
    const method = (n: number) => {
      const { eq, shapes } = chain(n);
      return contractPath(eq, ...shapes).method;
    };
    expect(method(2)).toBe('none');
    expect(method(3)).toBe('optimal');
    expect(method(8)).toBe('optimal');
    expect(method(10)).toBe('optimal');
    expect(method(11)).toBe('dp');
    expect(method(12)).toBe('dp');
    expect(method(13)).toBe('greedy');
    expect(method(51)).toBe('greedy');
  });

  it("names the optimizer that ran; 'branch' is 'branch-2' and true is 'greedy'", () => {
    const { eq, shapes } = chain(4);
    expect(contractPath(eq, ...shapes, { optimize: 'branch' }).method).toBe('branch-2');
    expect(contractPath(eq, ...shapes, { optimize: true }).method).toBe('greedy');
    expect(contractPath(eq, ...shapes, { optimize: [[0, 1], [0, 1], [0, 1]] }).method).toBe('explicit');
    expect(contractPath(eq, ...shapes, { optimize: ['einsum_path', [0, 1], [0, 1], [0, 1]] }).path).toHaveLength(3);
  });

  it('takes tensors, onnxruntime-style dims and the interleaved form', () => {
    const a = { shape: [2, 3], data: new Float32Array(6) };
    const b = { dims: [3, 4] };
    const viaTensors = contractPath('ij,jk->ik', a, b);
    expect(viaTensors.shapes).toEqual([
      [2, 3],
      [3, 4],
    ]);
    const interleaved = contractPath(a, [0, 1], b, [1, 2], [0, 2], { optimize: 'greedy' });
    expect(interleaved.equation).toBe('AB,BC->AC');
    expect(interleaved.optCost).toBe(viaTensors.optCost);
  });

  it('caches plans and shares them frozen', () => {
    clearPathCache();
    const a = contractPath('ij,jk,kl->il', [3, 4], [4, 5], [5, 6]);
    const b = contractPath('ij,jk,kl->il', [3, 4], [4, 5], [5, 6]);
    expect(b).toBe(a);
    expect(contractPath('ij,jk,kl->il', [3, 4], [4, 5], [5, 6], { optimize: 'greedy' })).not.toBe(a);
    expect(contractPath('ij,jk,kl->il', [3, 4], [4, 5], [5, 7])).not.toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(() => (a.path as number[][]).push([0])).toThrow(TypeError);
    expect(() => ((a.steps[0].operands as number[])[0] = 5)).toThrow(TypeError);
    clearPathCache();
    const c = contractPath('ij,jk,kl->il', [3, 4], [4, 5], [5, 6]);
    expect(c).not.toBe(a);
    expect(c.path).toEqual(a.path);
  });

  it('never lets a cached plan stand in for invalid arguments', () => {
    contractPath('ij,jk,kl', [2, 3], [3, 4], [4, 5], { memoryLimit: 5 });
    expect(() => contractPath('ij,jk,kl', [2, 3], [3, 4], [4, 5], { memoryLimit: '5' as never })).toThrow(RangeError);
    expect(() => contractPath('ij,jk,kl', ['2', 3] as never, [3, 4], [4, 5], { memoryLimit: 5 })).toThrow(TypeError);
    contractPath('ij,jk,kl', [2, 3], [3, 4], [4, 5], { optimize: [[0, 1], [0, 1]] });
    expect(() => contractPath('ij,jk,kl', [2, 3], [3, 4], [4, 5], { optimize: [['0', 1], [0, 1]] as never })).toThrow(TypeError);
  });

  it('keeps intermediates within memoryLimit', () => {
    const eq = 'abc,bdef,fghj,cem,mhk,ljk->adgl';
    for (const limit of [20, 100, 500]) {
      const info = contractPath(eq, ...views(eq), { optimize: 'optimal', memoryLimit: limit });
      for (const step of info.steps.slice(0, -1)) expect(step.size).toBeLessThanOrEqual(limit);
    }
  });

  it('rejects unknown optimizers, listing the valid ones', () => {
    const e = (() => {
      try {
        contractPath('ij,jk,kl', [2, 3], [3, 4], [4, 5], { optimize: 'optimall' as never });
      } catch (err) {
        return err as Error;
      }
    })();
    expect(e).toBeInstanceOf(RangeError);
    expect(e?.message).toBe(
      "contractPath: options.optimize 'optimall' is not an optimizer; valid options are 'auto', 'optimal', 'dp', 'greedy', 'branch', 'branch-all', 'branch-2', 'branch-1', true, false or a path",
    );
    expect(() => contractPath('ij,jk,kl', [2, 3], [3, 4], [4, 5], { optimize: 3 as never })).toThrow(TypeError);
  });

  it('rejects unknown options and bad memory limits', () => {
    expect(() => contractPath('ij,jk', [2, 3], [3, 4], { optimise: 'greedy' } as never)).toThrow(
      new TypeError("contractPath: unknown option 'optimise'; valid options are 'optimize', 'memoryLimit'"),
    );
    expect(() => contractPath('ij,jk', [2, 3], [3, 4], { memoryLimit: -1 })).toThrow(RangeError);
    expect(() => contractPath('ij,jk', [2, 3], [3, 4], { memoryLimit: 1.5 })).toThrow(/contractPath: options.memoryLimit must be an integer/);
    expect(() => contractPath('ij,jk', [2, 3], [3, 4], { memoryLimit: 'max' as never })).toThrow(RangeError);
    expect(() => contractPath('ij,jk', [2, 3], [3, 4], { memoryLimit: '5' as never })).toThrow(RangeError);
    expect(() => contractPath('ij,jk', [2, 3], 'x' as never)).toThrow(/contractPath: operand 1 must be a shape/);
  });

  it('validates explicit paths, naming the step and operand', () => {
    const shapes = [
      [2, 3],
      [3, 4],
      [4, 5],
    ];
    const path = (optimize: unknown) => () => contractPath('ij,jk,kl->il', ...shapes, { optimize: optimize as never });
    expect(path([[0, 3], [0, 1]])).toThrow(
      new RangeError('contractPath: options.optimize step 0 ([0, 3]) names operand 3 but only 3 remain (positions 0..2)'),
    );
    expect(path([[0, 1], [0, 2]])).toThrow(/step 1 \(\[0, 2\]\) names operand 2 but only 2 remain/);
    expect(path([[1, 1], [0, 1]])).toThrow(/step 0 \(\[1, 1\]\) names operand 1 twice/);
    expect(path([[0, 1]])).toThrow(/path leaves 2 operands after its last step; it must end with one/);
    expect(path([[0, 1], []])).toThrow(/step 1 is empty/);
    expect(path([])).toThrow(/empty path/);
    expect(path([[0, 1], 'x'])).toThrow(TypeError);
    expect(path([[0, 0.5]])).toThrow(TypeError);
  });

  it('explains operand limits of the exponential optimizers', () => {
    const { eq, shapes } = chain(17);
    expect(() => contractPath(eq, ...shapes, { optimize: 'optimal' })).toThrow(
      new RangeError("contractPath: options.optimize 'optimal' handles at most 16 operands, got 17; use 'dp' or 'greedy'"),
    );
    const long = chain(33);
    expect(() => contractPath(long.eq, ...long.shapes, { optimize: 'dp' })).toThrow(
      "contractPath: options.optimize 'dp' handles at most 31 operands linked by summed indices, got 33; use 'greedy'",
    );
    expect(contractPath(long.eq, ...long.shapes, { optimize: 'greedy' }).path).toHaveLength(32);
  });

  it('reports parse errors with contractPath as the function', () => {
    expect(() => contractPath('ij,jk', [2, 3], [4, 5])).toThrow("contractPath: index 'j' is 3 in operand 0 dim 1 but 4 in operand 1 dim 0");
    expect(() => contractPath('ij,j$', [2, 3], [3, 4])).toThrow(TensorfoldError);
  });
});
