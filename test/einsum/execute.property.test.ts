// Random expressions (repeated indices, broadcast size-1 dims, scalars,
// ellipses, explicit and implicit outputs) executed natively against the
// float64 reference, under several optimizers and memory limits.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { einsum, einsumSync } from '../../lib/einsum/einsum';
import { parseEinsum } from '../../lib/einsum/parse';
import { OptimizeOption } from '../../lib/einsum/paths';
import { boundRatio, inexact, intOperands, operands } from './bound';
import { expressionArb } from './helpers';

const OPTIMIZERS: OptimizeOption[] = ['auto', 'greedy', 'dp', 'branch-1', false];

/** Expressions with an ellipsis in some terms; leading dims broadcast (size 1 or missing). */
const ellipsisArb = fc
  .record({
    ell: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 3 }),
    terms: fc.array(
      fc.record({
        letters: fc.uniqueArray(fc.constantFrom(...'abcde'), { minLength: 0, maxLength: 3 }),
        at: fc.nat(3),
        drop: fc.nat(3),
        ones: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        hasEllipsis: fc.boolean(),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    sizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 5, maxLength: 5 }),
    implicit: fc.boolean(),
    outAt: fc.nat(5),
    keep: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
  })
  .map(({ ell, terms, sizes, implicit, outAt, keep }) => {
    const withEll = terms.map((t, k) => ({ ...t, hasEllipsis: t.hasEllipsis || k === 0 }));
    const shapes = withEll.map((t) => {
      const lead = t.hasEllipsis ? ell.slice(Math.min(t.drop, ell.length)).map((d, i) => (t.ones[i] ? 1 : d)) : [];
      const dims = t.letters.map((l) => sizes['abcde'.indexOf(l)]);
      const at = Math.min(t.at, dims.length);
      return [...dims.slice(0, at), ...lead, ...dims.slice(at)];
    });
    const lhs = withEll.map((t) => {
      if (!t.hasEllipsis) return t.letters.join('');
      const at = Math.min(t.at, t.letters.length);
      return t.letters.slice(0, at).join('') + '...' + t.letters.slice(at).join('');
    });
    const used = [...new Set(withEll.flatMap((t) => t.letters))].sort().filter((l) => keep['abcde'.indexOf(l)]);
    const at = Math.min(outAt, used.length);
    const out = used.slice(0, at).join('') + '...' + used.slice(at).join('');
    return { subscripts: implicit ? lhs.join(',') : `${lhs.join(',')}->${out}`, shapes };
  });

function checkAll(subscripts: string, shapes: number[][], seed: number, optimize: OptimizeOption): void {
  const ops = operands(shapes, seed);
  const got = einsumSync(subscripts, ...ops, { optimize });
  const { ratio, shape } = boundRatio(subscripts, ops, got.data);
  expect(got.shape).toEqual(shape);
  expect(ratio, `${subscripts} ${JSON.stringify(shapes)} optimize ${String(optimize)}`).toBeLessThanOrEqual(1);
  const ints = intOperands(shapes, seed);
  expect(inexact(subscripts, ints, einsumSync(subscripts, ...ints, { optimize }).data), `${subscripts} exact`).toEqual([]);
}

describe('einsum on random expressions', () => {
  it('matches the reference under every optimizer', () => {
    fc.assert(
      fc.property(expressionArb(1, 6, 4), fc.nat(1000), ({ subscripts, shapes }, seed) => {
        for (const optimize of OPTIMIZERS) checkAll(subscripts, shapes, seed, optimize);
      }),
      { numRuns: 150 },
    );
  });

  it('matches the reference on larger sizes (threads, tiles, GEMM blocking)', () => {
    // Only expressions whose full index space the reference can loop over quickly.
    const small = ({ subscripts, shapes }: { subscripts: string; shapes: number[][] }) =>
      parseEinsum(subscripts, shapes).indices.reduce((p, x) => p * x.size, 1) <= 300_000;
    fc.assert(
      fc.property(expressionArb(1, 3, 40).filter(small), fc.nat(1000), ({ subscripts, shapes }, seed) => {
        checkAll(subscripts, shapes, seed, 'auto');
      }),
      { numRuns: 80 },
    );
  });

  it('matches the reference with memory limits (steps over three or more operands)', () => {
    fc.assert(
      fc.property(expressionArb(3, 6, 4), fc.nat(1000), fc.integer({ min: 1, max: 64 }), ({ subscripts, shapes }, seed, memoryLimit) => {
        const ops = operands(shapes, seed);
        const got = einsumSync(subscripts, ...ops, { optimize: 'greedy', memoryLimit });
        expect(boundRatio(subscripts, ops, got.data).ratio).toBeLessThanOrEqual(1);
      }),
      { numRuns: 60 },
    );
  });

  it('matches the reference with ellipses and broadcast leading dims', () => {
    fc.assert(
      fc.property(ellipsisArb, fc.nat(1000), ({ subscripts, shapes }, seed) => {
        checkAll(subscripts, shapes, seed, 'auto');
      }),
      { numRuns: 150 },
    );
  });

  it('the async form gives the sync result, bit for bit', async () => {
    await fc.assert(
      fc.asyncProperty(expressionArb(1, 5, 4), fc.nat(1000), async ({ subscripts, shapes }, seed) => {
        const ops = operands(shapes, seed);
        const a = einsumSync(subscripts, ...ops);
        const b = await einsum(subscripts, ...ops);
        expect(b.shape).toEqual(a.shape);
        expect(Array.from(b.data)).toEqual(Array.from(a.data));
      }),
      { numRuns: 60 },
    );
  });
});
