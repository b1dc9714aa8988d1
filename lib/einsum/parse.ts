// Subscript parsing for einsum. The rules are numpy's, so an expression moves
// between numpy and tensorfold unchanged: letters a-z and A-Z name indices,
// '...' stands for the leading (broadcast) dimensions, '->' separates the
// output, and without '->' the output is every index used exactly once.
// Parsing looks at shapes only; no data is touched.

import { checkShape, describe } from '../check';
import { TensorfoldError } from '../errors';

/** One index of an expression after ellipsis expansion. */
export interface EinsumIndex {
  /**
   * The letter. An ellipsis dimension gets a stand-in letter that the
   * expression does not use (or a character from U+00C0 on once the 52
   * letters run out), so that intermediate subscripts can be printed.
   */
  readonly char: string;
  /** The extent after broadcasting: size-1 dimensions take the size of the others. */
  readonly size: number;
  /** For an ellipsis dimension its position in the broadcast ellipsis shape, else -1. */
  readonly ellipsisDim: number;
}

/**
 * A parsed expression. Indices are numbered densely: the ellipsis dimensions
 * first (in broadcast order), then the letters by character code, which is
 * numpy's order for an implicit output.
 */
export interface EinsumSpec {
  /** The subscripts as given. */
  readonly subscripts: string;
  /** The explicit form with ellipses expanded, e.g. 'Aij,Ajk->Aik'. */
  readonly equation: string;
  /** True when the output was derived (no '->'). */
  readonly implicit: boolean;
  readonly indices: readonly EinsumIndex[];
  /** Index numbers of each operand, one per dimension; a repeated number is a diagonal. */
  readonly inputs: readonly (readonly number[])[];
  /** Index numbers of the output, one per dimension, never repeated. */
  readonly output: readonly number[];
  readonly shapes: readonly (readonly number[])[];
  readonly outputShape: readonly number[];
  /** Per operand and dimension: a size-1 dimension stretched to a larger (or zero) index size. */
  readonly broadcast: readonly (readonly boolean[])[];
  /** Per operand: the indices it repeats (it is read along their diagonal). */
  readonly diagonals: readonly (readonly number[])[];
  /** Number of dimensions the ellipsis stands for after broadcasting. */
  readonly ellipsisRank: number;
}

/** numpy's interleaved numbering: 0-25 are 'A'-'Z', 26-51 are 'a'-'z'. */
export const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Position of a letter in LETTERS, or -1. Character-code order, as numpy sorts. */
export function letterKey(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 65 && code <= 90) return code - 65;
  if (code >= 97 && code <= 122) return code - 97 + 26;
  return -1;
}

interface Label {
  readonly key: number;
  readonly pos: number;
}

interface Term {
  readonly start: number;
  end: number;
  readonly labels: Label[];
  /** Where among `labels` the ellipsis sits, or -1. */
  ellipsisAt: number;
  ellipsisPos: number;
}

function newTerm(start: number): Term {
  return { start, end: start, labels: [], ellipsisAt: -1, ellipsisPos: -1 };
}

/** A syntax error that shows the subscripts with a caret under the offending character. */
function syntaxError(fn: string, subscripts: string, pos: number, what: string): TensorfoldError {
  return new TensorfoldError(
    'EINSUM_SUBSCRIPTS',
    `${fn}: ${what} at position ${pos} of the subscripts\n  ${subscripts}\n  ${' '.repeat(pos)}^`,
  );
}

function scan(fn: string, s: string): { inputs: Term[]; output: Term | null } {
  const inputs: Term[] = [newTerm(0)];
  let output: Term | null = null;
  let cur = inputs[0];
  for (let p = 0; p < s.length; p++) {
    const c = s[p];
    const key = letterKey(c);
    if (key >= 0) {
      cur.labels.push({ key, pos: p });
    } else if (c === ' ') {
      // numpy ignores spaces.
    } else if (c === ',') {
      if (output) throw syntaxError(fn, s, p, "',' after '->' (the output is a single term)");
      cur.end = p;
      cur = newTerm(p + 1);
      inputs.push(cur);
    } else if (c === '-') {
      if (s[p + 1] !== '>') throw syntaxError(fn, s, p, "'-' not followed by '>'");
      if (output) throw syntaxError(fn, s, p, "a second '->'");
      cur.end = p;
      output = newTerm(p + 2);
      cur = output;
      p++;
    } else if (c === '>') {
      throw syntaxError(fn, s, p, "'>' without '-' before it");
    } else if (c === '.') {
      if (s[p + 1] !== '.' || s[p + 2] !== '.') throw syntaxError(fn, s, p, "a '.' that is not part of an ellipsis '...'");
      if (cur.ellipsisAt >= 0) throw syntaxError(fn, s, p, 'a second ellipsis in one term');
      cur.ellipsisAt = cur.labels.length;
      cur.ellipsisPos = p;
      p += 2;
    } else {
      const cp = s.codePointAt(p) ?? 0;
      throw syntaxError(fn, s, p, `invalid character ${JSON.stringify(String.fromCodePoint(cp))} (indices are the letters a-z and A-Z)`);
    }
  }
  cur.end = s.length;
  return { inputs, output };
}

function termText(s: string, t: Term): string {
  return s.slice(t.start, t.end).trim();
}

/**
 * Parses `subscripts` against the operand shapes. `fn` names the public
 * function in error messages.
 *
 * Throws TensorfoldError `EINSUM_SUBSCRIPTS` for syntax errors (with the
 * position), TensorfoldError `EINSUM_OPERANDS` when the number of terms and
 * operands differ, RangeError when a term's rank or an index's sizes do not
 * fit the shapes, TypeError for arguments of the wrong kind.
 */
export function parseEinsum(subscripts: string, shapes: readonly (readonly number[])[], fn = 'einsum'): EinsumSpec {
  if (typeof subscripts !== 'string') throw new TypeError(`${fn}: subscripts must be a string, got ${describe(subscripts)}`);
  if (!Array.isArray(shapes)) throw new TypeError(`${fn}: shapes must be an array, got ${describe(shapes)}`);
  shapes.forEach((shape, k) => checkShape(shape, `${fn}: operand ${k} shape`));

  const s = subscripts;
  const { inputs, output } = scan(fn, s);

  if (inputs.length !== shapes.length)
    throw new TensorfoldError(
      'EINSUM_OPERANDS',
      `${fn}: subscripts '${s}' have ${inputs.length} input term${inputs.length === 1 ? '' : 's'} but ${shapes.length} operand${shapes.length === 1 ? ' was' : 's were'} given`,
    );

  // How many dimensions each ellipsis covers; ellipses broadcast right-aligned.
  const ellipsisCounts = inputs.map((t, k) => {
    const rank = shapes[k].length;
    const named = t.labels.length;
    if (t.ellipsisAt >= 0) {
      if (rank < named)
        throw new RangeError(
          `${fn}: term '${termText(s, t)}' at position ${t.start} names ${named} dimensions besides '...' but operand ${k} has rank ${rank} (shape [${shapes[k].join(', ')}])`,
        );
      return rank - named;
    }
    if (rank !== named)
      throw new RangeError(
        `${fn}: term '${termText(s, t)}' at position ${t.start} has ${named} ind${named === 1 ? 'ex' : 'ices'} but operand ${k} has rank ${rank} (shape [${shapes[k].join(', ')}])`,
      );
    return 0;
  });
  const ellipsisRank = Math.max(0, ...ellipsisCounts);

  if (output) {
    if (output.ellipsisPos >= 0 && !inputs.some((t) => t.ellipsisAt >= 0))
      throw syntaxError(fn, s, output.ellipsisPos, "an ellipsis in the output but in no input term");
    const seen = new Map<number, number>();
    for (const l of output.labels) {
      if (seen.has(l.key)) throw syntaxError(fn, s, l.pos, `output index '${LETTERS[l.key]}' repeated (first at position ${seen.get(l.key)})`);
      seen.set(l.key, l.pos);
      if (!inputs.some((t) => t.labels.some((m) => m.key === l.key)))
        throw syntaxError(fn, s, l.pos, `output index '${LETTERS[l.key]}' that no input term uses`);
    }
  }

  // Keys before renumbering: letters are 0..51, ellipsis dimension q is 52 + q.
  const E = LETTERS.length;
  const expanded: number[][] = inputs.map((t, k) => {
    const keys = t.labels.map((l) => l.key);
    if (t.ellipsisAt >= 0) {
      const n = ellipsisCounts[k];
      const ell = Array.from({ length: n }, (_, i) => E + ellipsisRank - n + i);
      keys.splice(t.ellipsisAt, 0, ...ell);
    }
    return keys;
  });

  // Sizes. Within one operand a repeated index must match exactly (a
  // diagonal); across operands a size-1 dimension broadcasts.
  const size = new Map<number, number>();
  const origin = new Map<number, [number, number]>();
  const describeKey = (key: number) => (key < E ? `index '${LETTERS[key]}'` : `ellipsis dimension ${key - E}`);
  expanded.forEach((keys, k) => {
    const firstDim = new Map<number, number>();
    keys.forEach((key, d) => {
      const dim = shapes[k][d];
      const first = firstDim.get(key);
      if (first !== undefined) {
        if (shapes[k][first] !== dim)
          throw new RangeError(
            `${fn}: ${describeKey(key)} repeats in operand ${k} (a diagonal) but dim ${first} is ${shapes[k][first]} and dim ${d} is ${dim}`,
          );
        return;
      }
      firstDim.set(key, d);
      const known = size.get(key);
      if (known === undefined || (known === 1 && dim !== 1)) {
        size.set(key, dim);
        origin.set(key, [k, d]);
      } else if (dim !== 1 && dim !== known) {
        const [ok, od] = origin.get(key)!;
        const tail = key < E ? '' : ' (ellipsis dimensions broadcast only against size 1)';
        throw new RangeError(`${fn}: ${describeKey(key)} is ${known} in operand ${ok} dim ${od} but ${dim} in operand ${k} dim ${d}${tail}`);
      }
    });
  });

  // Dense numbering: ellipsis dimensions, then letters by character code.
  const used = [...size.keys()].sort((a, b) => a - b);
  const order = [...used.filter((key) => key >= E), ...used.filter((key) => key < E)];
  const dense = new Map<number, number>();
  order.forEach((key, i) => dense.set(key, i));
  const spare = [...LETTERS].filter((c, key) => !size.has(key));
  let fallback = 0xc0;
  const indices: EinsumIndex[] = order.map((key) => ({
    char: key < E ? LETTERS[key] : (spare.shift() ?? String.fromCharCode(fallback++)),
    size: size.get(key)!,
    ellipsisDim: key < E ? -1 : key - E,
  }));

  const inputIds = expanded.map((keys) => keys.map((key) => dense.get(key)!));
  const ellipsisIds = Array.from({ length: ellipsisRank }, (_, q) => dense.get(E + q)!);

  let outputIds: number[];
  if (output) {
    outputIds = output.labels.map((l) => dense.get(l.key)!);
    if (output.ellipsisAt >= 0) outputIds.splice(output.ellipsisAt, 0, ...ellipsisIds);
  } else {
    // numpy's implicit output: the ellipsis dimensions, then every letter
    // used exactly once (counting repeats within a term), by character code.
    const count = new Map<number, number>();
    for (const t of inputs) for (const l of t.labels) count.set(l.key, (count.get(l.key) ?? 0) + 1);
    const once = [...count].filter(([, c]) => c === 1).map(([key]) => key).sort((a, b) => a - b);
    outputIds = [...ellipsisIds, ...once.map((key) => dense.get(key)!)];
  }

  const sizes = indices.map((x) => x.size);
  const broadcast = inputIds.map((ids, k) => ids.map((id, d) => shapes[k][d] === 1 && sizes[id] !== 1));
  const diagonals = inputIds.map((ids) => ids.filter((id, d) => ids.indexOf(id) !== d).filter((id, i, a) => a.indexOf(id) === i));
  const chars = (ids: readonly number[]) => ids.map((id) => indices[id].char).join('');

  return {
    subscripts,
    equation: `${inputIds.map(chars).join(',')}->${chars(outputIds)}`,
    implicit: output === null,
    indices,
    inputs: inputIds,
    output: outputIds,
    shapes: shapes.map((shape) => [...shape]),
    outputShape: outputIds.map((id) => sizes[id]),
    broadcast,
    diagonals,
    ellipsisRank,
  };
}
