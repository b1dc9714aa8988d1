// Shared pieces of the einsum tests: random expressions for property tests,
// deterministic integer data (so float64 results are exact), and a runner
// that executes a PathInfo step by step with the reference.

import fc from 'fast-check';
import { PathInfo } from '../../lib/einsum/pathinfo';
import { ReferenceOperand, einsumReference } from '../../lib/einsum/reference';

export interface Expression {
  readonly subscripts: string;
  readonly shapes: number[][];
}

const LETTERS = 'abcdefgh';

/**
 * Expressions over up to 8 letters with `minOps..maxOps` operands of up to 4
 * dimensions each: repeated indices, size-1 (broadcast) dimensions, scalars,
 * explicit or implicit outputs.
 */
export function expressionArb(minOps = 2, maxOps = 7, maxSize = 4): fc.Arbitrary<Expression> {
  return fc.integer({ min: 2, max: LETTERS.length }).chain((L) => {
    const letters = fc.uniqueArray(fc.integer({ min: 0, max: L - 1 }), { minLength: 1, maxLength: 4 });
    // Mostly plain terms; some diagonals (a repeated index) and some scalars.
    const term = fc.oneof(
      { weight: 12, arbitrary: letters },
      { weight: 2, arbitrary: letters.filter((t) => t.length < 4).map((t) => [...t, t[0]]) },
      { weight: 1, arbitrary: fc.constant<number[]>([]) },
    );
    return fc
      .record({
        sizes: fc.array(fc.integer({ min: 1, max: maxSize }), { minLength: L, maxLength: L }),
        terms: fc.array(term, { minLength: minOps, maxLength: maxOps }),
        keep: fc.array(fc.boolean(), { minLength: L, maxLength: L }),
        reverseOutput: fc.boolean(),
        implicit: fc.boolean(),
        squeeze: fc.array(fc.boolean(), { minLength: 4 * maxOps, maxLength: 4 * maxOps }),
      })
      .map(({ sizes, terms, keep, reverseOutput, implicit, squeeze }) => {
        const used = new Set(terms.flat());
        const out = [...used].sort((a, b) => a - b).filter((l) => keep[l]);
        if (reverseOutput) out.reverse();
        const shapes = terms.map((t, k) =>
          t.map((l, d) => {
            // Squeeze to 1 (a broadcast) only where the index is not repeated in this operand.
            const repeated = t.indexOf(l) !== t.lastIndexOf(l);
            return squeeze[4 * k + d] && !repeated && (k + d) % 3 === 0 ? 1 : sizes[l];
          }),
        );
        const lhs = terms.map((t) => t.map((l) => LETTERS[l]).join('')).join(',');
        const subscripts = implicit ? lhs : `${lhs}->${out.map((l) => LETTERS[l]).join('')}`;
        return { subscripts, shapes };
      });
  });
}

/** Small integers from a fixed recurrence: products and sums stay exact in float64. */
export function intData(shape: readonly number[], seed: number): Float64Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = ((s >>> 16) % 7) - 3;
  }
  return out;
}

/** Runs each step of `info` with the reference: the path's own answer. */
export function runPath(info: PathInfo, operands: readonly ReferenceOperand[]): ReferenceOperand {
  const current: ReferenceOperand[] = [...operands];
  for (const step of info.steps) {
    const taken = step.operands.map((pos) => current.splice(pos, 1)[0]);
    current.push(einsumReference(step.subscripts, ...taken));
  }
  if (current.length !== 1) throw new Error(`path left ${current.length} operands`);
  return current[0];
}

/** Checks positional validity: every step names live, distinct operands and one remains. */
export function isValidPath(path: readonly (readonly number[])[], n: number): boolean {
  let count = n;
  for (const step of path) {
    if (step.length === 0 || new Set(step).size !== step.length) return false;
    if (step.some((p) => !Number.isInteger(p) || p < 0 || p >= count)) return false;
    count -= step.length - 1;
  }
  return path.length > 0 && count === 1;
}

/** Every sequence of pairwise contractions of n operands (for brute-force checks on small n). */
export function allPairwisePaths(n: number): number[][][] {
  if (n <= 1) return [[]];
  const out: number[][][] = [];
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) for (const rest of allPairwisePaths(n - 1)) out.push([[i, j], ...rest]);
  return out;
}
