import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clearPathCache, contractPath, OptimizeOption } from '../../lib/einsum/paths';
import { parseEinsum } from '../../lib/einsum/parse';
import { einsumReference } from '../../lib/einsum/reference';
import { allPairwisePaths, expressionArb, intData, isValidPath, runPath } from './helpers';

const PAIRWISE = ['dp', 'greedy', 'branch-all', 'branch-2', 'branch-1'] as const;
const EVERY: OptimizeOption[] = ['optimal', ...PAIRWISE, 'auto', false];

describe('contractPath on random expressions', () => {
  it('every optimizer returns a valid path that ends in the output', () => {
    fc.assert(
      fc.property(expressionArb(2, 7), ({ subscripts, shapes }) => {
        for (const optimize of EVERY) {
          const info = contractPath(subscripts, ...shapes, { optimize });
          expect(isValidPath(info.path, shapes.length)).toBe(true);
          const last = info.steps[info.steps.length - 1];
          expect(last.remaining).toHaveLength(1);
          expect(`${last.remaining[0]}`).toBe(info.equation.split('->')[1]);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("'optimal' costs no more than any other pairwise optimizer", () => {
    fc.assert(
      fc.property(expressionArb(3, 7), ({ subscripts, shapes }) => {
        const best = contractPath(subscripts, ...shapes, { optimize: 'optimal' }).optCost;
        for (const optimize of PAIRWISE) expect(best).toBeLessThanOrEqual(contractPath(subscripts, ...shapes, { optimize }).optCost);
      }),
      { numRuns: 150 },
    );
  });

  it("'optimal' is no worse than every sequence of pairwise contractions (brute force, up to 5 operands)", () => {
    fc.assert(
      fc.property(expressionArb(3, 5), ({ subscripts, shapes }) => {
        const best = contractPath(subscripts, ...shapes, { optimize: 'optimal' }).optCost;
        let brute = Infinity;
        for (const path of allPairwisePaths(shapes.length))
          brute = Math.min(brute, contractPath(subscripts, ...shapes, { optimize: path }).optCost);
        expect(best).toBeLessThanOrEqual(brute);
      }),
      { numRuns: 40 },
    );
  });

  it('running any path step by step gives the direct result', () => {
    fc.assert(
      fc.property(expressionArb(2, 6, 3), fc.integer({ min: 0, max: 1000 }), ({ subscripts, shapes }, seed) => {
        const operands = shapes.map((shape, k) => ({ data: intData(shape, seed + k), shape }));
        const direct = einsumReference(subscripts, ...operands);
        for (const optimize of ['optimal', 'dp', 'greedy', 'branch-2', false] as const) {
          const viaPath = runPath(contractPath(subscripts, ...shapes, { optimize }), operands);
          // Small integers: float64 is exact, so the results must be identical.
          expect(Array.from(viaPath.data)).toEqual([...direct.data]);
          expect(viaPath.shape).toEqual(direct.shape);
        }
      }),
      { numRuns: 80 },
    );
  });

  it("with memoryLimit 'maxInput' no intermediate outgrows the largest operand or output", () => {
    fc.assert(
      fc.property(expressionArb(3, 7), ({ subscripts, shapes }) => {
        // Sizes as the planner counts them: index sizes after broadcasting.
        const spec = parseEinsum(subscripts, shapes);
        const sizeOf = (idx: readonly number[]) => [...new Set(idx)].reduce((a, i) => a * spec.indices[i].size, 1);
        const limit = Math.max(sizeOf(spec.output), ...spec.inputs.map(sizeOf));
        for (const optimize of ['optimal', 'dp', 'greedy', 'branch-2', 'branch-all'] as const) {
          const info = contractPath(subscripts, ...shapes, { optimize, memoryLimit: 'maxInput' });
          expect(isValidPath(info.path, shapes.length)).toBe(true);
          for (const step of info.steps.slice(0, -1)) expect(step.size).toBeLessThanOrEqual(limit);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('plans do not depend on the cache', () => {
    fc.assert(
      fc.property(expressionArb(2, 7), ({ subscripts, shapes }) => {
        const first = contractPath(subscripts, ...shapes, { optimize: 'auto' });
        clearPathCache();
        const second = contractPath(subscripts, ...shapes, { optimize: 'auto' });
        expect(second).not.toBe(first);
        expect(second.path).toEqual(first.path);
        expect(second.optCost).toBe(first.optCost);
      }),
      { numRuns: 50 },
    );
  });
});
