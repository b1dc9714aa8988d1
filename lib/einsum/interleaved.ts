// numpy's interleaved einsum form, einsum(a, [0, 1], b, [1, 2], [0, 2]),
// rewritten as a subscripts string so that one parser serves both forms.

import { describe } from '../check';
import { LETTERS } from './parse';

/** Marks an ellipsis in a sublist (numpy's `Ellipsis`); the string '...' works too. */
export const ELLIPSIS: unique symbol = Symbol.for('tensorfold.einsum.ellipsis');

/** One entry of a sublist: an index number in [0, 52) or an ellipsis. */
export type SublistItem = number | typeof ELLIPSIS | '...';

function sublistToTerm(list: unknown, what: string, fn: string): string {
  if (!Array.isArray(list))
    throw new TypeError(`${fn}: ${what} must be an array of index numbers in [0, 52) or ELLIPSIS, got ${describe(list)}`);
  return list
    .map((item: unknown, i) => {
      if (item === ELLIPSIS || item === '...') return '...';
      if (typeof item !== 'number')
        throw new TypeError(`${fn}: ${what}[${i}] must be an index number or ELLIPSIS, got ${describe(item)}`);
      if (!Number.isInteger(item) || item < 0 || item >= LETTERS.length)
        throw new RangeError(`${fn}: ${what}[${i}] must be an integer in [0, 52), got ${item}`);
      // numpy numbers the indices as its C parser does: 0-25 'A'-'Z', 26-51 'a'-'z'.
      return LETTERS[item];
    })
    .join('');
}

/**
 * Converts `(op0, sub0, op1, sub1, ..., [out])` to a subscripts string and the
 * operand list. With an odd number of arguments the last is the output sublist;
 * without it the output is implicit, as in numpy.
 */
export function interleavedToSubscripts<T>(args: readonly unknown[], fn = 'einsum'): { subscripts: string; operands: T[] } {
  if (!Array.isArray(args)) throw new TypeError(`${fn}: interleaved arguments must be an array, got ${describe(args)}`);
  if (args.length < 2)
    throw new TypeError(`${fn}: the interleaved form needs at least one operand followed by its sublist, got ${args.length} argument${args.length === 1 ? '' : 's'}`);
  const pairs = Math.floor(args.length / 2);
  const operands: T[] = [];
  const terms: string[] = [];
  for (let k = 0; k < pairs; k++) {
    operands.push(args[2 * k] as T);
    terms.push(sublistToTerm(args[2 * k + 1], `argument ${2 * k + 1} (sublist of operand ${k})`, fn));
  }
  let subscripts = terms.join(',');
  if (args.length % 2 === 1) subscripts += '->' + sublistToTerm(args[args.length - 1], `argument ${args.length - 1} (output sublist)`, fn);
  return { subscripts, operands };
}
