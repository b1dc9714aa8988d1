import { describe, expect, it } from 'vitest';
import { TensorfoldError } from '../../lib/errors';
import { EinsumSpec, parseEinsum } from '../../lib/einsum/parse';

/** The spec's terms written back with its index characters. */
function terms(spec: EinsumSpec): { inputs: string[]; output: string } {
  const chars = (ids: readonly number[]) => ids.map((id) => spec.indices[id].char).join('');
  return { inputs: spec.inputs.map(chars), output: chars(spec.output) };
}

function sizes(spec: EinsumSpec): Record<string, number> {
  return Object.fromEntries(spec.indices.map((x) => [x.char, x.size]));
}

/** Runs `f`, expecting a throw; returns the error for closer checks. */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('parseEinsum: syntax', () => {
  it('parses an explicit matrix product', () => {
    const spec = parseEinsum('ij,jk->ik', [
      [2, 3],
      [3, 4],
    ]);
    expect(spec.equation).toBe('ij,jk->ik');
    expect(spec.implicit).toBe(false);
    expect(terms(spec)).toEqual({ inputs: ['ij', 'jk'], output: 'ik' });
    expect(sizes(spec)).toEqual({ i: 2, j: 3, k: 4 });
    expect(spec.outputShape).toEqual([2, 4]);
    expect(spec.inputs).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });

  it('numbers indices densely: ellipsis dimensions first, then letters by character code', () => {
    const spec = parseEinsum('...b,aB', [[5, 2], [3, 4]]);
    expect(spec.indices.map((x) => [x.char, x.ellipsisDim])).toEqual([
      ['A', 0],
      ['B', -1],
      ['a', -1],
      ['b', -1],
    ]);
  });

  it('derives the implicit output like numpy: indices used once, by character code', () => {
    const implicit = (s: string, shapes: number[][]) => terms(parseEinsum(s, shapes)).output;
    expect(implicit('ij,jk', [[2, 3], [3, 4]])).toBe('ik');
    // 'ji' alone is a transpose: the output is sorted, the input is not.
    expect(implicit('ji', [[2, 3]])).toBe('ij');
    expect(implicit('ii', [[3, 3]])).toBe('');
    expect(implicit('iij', [[3, 3, 2]])).toBe('j');
    // Upper case sorts before lower case, as in numpy.
    expect(implicit('bA', [[2, 3]])).toBe('Ab');
    expect(implicit('aB', [[2, 3]])).toBe('Ba');
    expect(implicit('ij,ij', [[2, 3], [2, 3]])).toBe('');
    expect(parseEinsum('ij,jk', [[2, 3], [3, 4]]).implicit).toBe(true);
  });

  it('ignores spaces', () => {
    expect(parseEinsum(' ij , jk -> ik ', [[2, 3], [3, 4]]).equation).toBe('ij,jk->ik');
  });

  it('handles scalars', () => {
    const a = parseEinsum(',->', [[], []]);
    expect(a.equation).toBe(',->');
    expect(a.outputShape).toEqual([]);
    const b = parseEinsum('i,->i', [[4], []]);
    expect(terms(b)).toEqual({ inputs: ['i', ''], output: 'i' });
    expect(parseEinsum('', [[]]).equation).toBe('->');
  });

  it('handles single operands: transpose, diagonal, trace', () => {
    expect(terms(parseEinsum('ij->ji', [[2, 3]])).output).toBe('ji');
    const diag = parseEinsum('ii->i', [[3, 3]]);
    expect(diag.diagonals).toEqual([[0]]);
    expect(diag.outputShape).toEqual([3]);
    const trace = parseEinsum('ii', [[3, 3]]);
    expect(trace.output).toEqual([]);
    expect(parseEinsum('iji->j', [[2, 5, 2]]).diagonals).toEqual([[0]]);
  });

  it('expands ellipses right-aligned, with implicit output ellipsis first', () => {
    const spec = parseEinsum('...ij,...jk', [[5, 2, 3], [3, 4]]);
    expect(spec.ellipsisRank).toBe(1);
    expect(spec.equation).toBe('Aij,jk->Aik');
    expect(spec.outputShape).toEqual([5, 2, 4]);

    // Operand 0 has two ellipsis dims, operand 1 one: it lines up with the last.
    const b = parseEinsum('...ij,...jk->...ik', [[2, 1, 3, 4], [5, 4, 6]]);
    expect(b.ellipsisRank).toBe(2);
    expect(terms(b)).toEqual({ inputs: ['ABij', 'Bjk'], output: 'ABik' });
    expect(sizes(b)).toMatchObject({ A: 2, B: 5 });
    expect(b.broadcast).toEqual([
      [false, true, false, false],
      [false, false, false],
    ]);
    expect(b.outputShape).toEqual([2, 5, 3, 6]);
  });

  it('places an ellipsis anywhere in a term, and may stand for no dimensions', () => {
    expect(parseEinsum('i...j->j...i', [[2, 7, 8, 3]]).equation).toBe('iABj->jABi');
    expect(parseEinsum('...ij->...ji', [[2, 3]]).equation).toBe('ij->ji');
    expect(parseEinsum('...', [[]]).equation).toBe('->');
  });

  it('sums ellipsis dimensions an explicit output leaves out', () => {
    const spec = parseEinsum('...ij->ij', [[4, 2, 3]]);
    expect(spec.equation).toBe('Aij->ij');
    expect(spec.outputShape).toEqual([2, 3]);
  });

  it('picks stand-ins for ellipsis dimensions among unused letters', () => {
    expect(parseEinsum('...AB', [[2, 3, 4]]).equation).toBe('CAB->CAB');
    const all = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    const spec = parseEinsum(`...${all}`, [[2, ...new Array(52).fill(1)]]);
    expect(spec.indices[0].char).toBe('\u00c0');
  });

  it('broadcasts size-1 dimensions of named indices', () => {
    const spec = parseEinsum('ij,ij->ij', [[1, 3], [2, 3]]);
    expect(sizes(spec)).toEqual({ i: 2, j: 3 });
    expect(spec.broadcast).toEqual([
      [true, false],
      [false, false],
    ]);
    // 1 broadcasts to 0 as well.
    const zero = parseEinsum('i,i->i', [[1], [0]]);
    expect(zero.outputShape).toEqual([0]);
    expect(zero.broadcast).toEqual([[true], [false]]);
    // All size 1: nothing is stretched.
    expect(parseEinsum('i,i', [[1], [1]]).broadcast).toEqual([[false], [false]]);
  });

  it('accepts zero-size dimensions', () => {
    expect(parseEinsum('ij,jk->ik', [[2, 0], [0, 3]]).outputShape).toEqual([2, 3]);
  });
});

describe('parseEinsum: errors', () => {
  function syntax(subscripts: string, shapes: number[][], position: number, words: RegExp): void {
    const e = thrown(() => parseEinsum(subscripts, shapes));
    expect(e).toBeInstanceOf(TensorfoldError);
    expect((e as TensorfoldError).code).toBe('EINSUM_SUBSCRIPTS');
    expect(e.message).toContain(`at position ${position} of the subscripts`);
    expect(e.message).toMatch(words);
    // The caret sits under the offending character.
    const [, shown, caret] = e.message.split('\n');
    expect(caret.indexOf('^') - 2).toBe(position);
    expect(shown.trim()).toBe(subscripts.trim());
  }

  it('rejects unknown characters, naming them and their position', () => {
    syntax('ij,j%k->ik', [[2, 3], [3, 4]], 4, /invalid character "%"/);
    syntax('i1', [[2, 3]], 1, /invalid character "1"/);
    syntax('ij,jk->iκ', [[2, 3], [3, 4]], 8, /invalid character "κ"/);
  });

  it("rejects a second '->' and stray '-' or '>'", () => {
    syntax('ij->j->i', [[2, 3]], 5, /second '->'/);
    syntax('i-j', [[2, 3]], 1, /'-' not followed by '>'/);
    syntax('ij>i', [[2, 3]], 2, /'>' without '-'/);
    syntax('ij->i,j', [[2, 3]], 5, /',' after '->'/);
  });

  it('rejects output indices that are missing from the inputs or repeated', () => {
    syntax('ij->ik', [[2, 3]], 5, /output index 'k' that no input term uses/);
    syntax('ij,jk->iki', [[2, 3], [3, 4]], 9, /output index 'i' repeated \(first at position 7\)/);
  });

  it('rejects misused ellipses', () => {
    syntax('i..j', [[2, 3]], 1, /not part of an ellipsis/);
    syntax('....ij', [[2, 3]], 3, /not part of an ellipsis/);
    syntax('...i...', [[2, 3]], 4, /second ellipsis in one term/);
    syntax('ij->...ij', [[2, 3]], 4, /ellipsis in the output but in no input term/);
  });

  it('rejects a wrong number of operands', () => {
    const e = thrown(() => parseEinsum('ij,jk->ik', [[2, 3]]));
    expect(e).toBeInstanceOf(TensorfoldError);
    expect((e as TensorfoldError).code).toBe('EINSUM_OPERANDS');
    expect(e.message).toBe("einsum: subscripts 'ij,jk->ik' have 2 input terms but 1 operand was given");
    expect(thrown(() => parseEinsum('ij', [[2, 3], [3]])).message).toContain('1 input term but 2 operands were given');
  });

  it('rejects terms whose rank differs from their operand', () => {
    const e = thrown(() => parseEinsum('ij,jkl->ik', [[2, 3], [3, 4]], 'contractPath'));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe("contractPath: term 'jkl' at position 3 has 3 indices but operand 1 has rank 2 (shape [3, 4])");
    const f = thrown(() => parseEinsum('...ijk', [[2, 3]]));
    expect(f).toBeInstanceOf(RangeError);
    expect(f.message).toContain("term '...ijk' at position 0 names 3 dimensions besides '...' but operand 0 has rank 2");
  });

  it('names both operands and dimensions when an index has two sizes', () => {
    const e = thrown(() => parseEinsum('ij,jk->ik', [[2, 3], [4, 5]]));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe("einsum: index 'j' is 3 in operand 0 dim 1 but 4 in operand 1 dim 0");
    // A size-1 dimension does not count as the origin once a larger one appears.
    expect(thrown(() => parseEinsum('i,i,i', [[1], [3], [4]])).message).toBe(
      "einsum: index 'i' is 3 in operand 1 dim 0 but 4 in operand 2 dim 0",
    );
  });

  it('rejects a diagonal over dimensions of different sizes, even size 1', () => {
    const e = thrown(() => parseEinsum('ii', [[2, 3]]));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe("einsum: index 'i' repeats in operand 0 (a diagonal) but dim 0 is 2 and dim 1 is 3");
    expect(() => parseEinsum('ii', [[1, 3]])).toThrow(RangeError);
  });

  it('rejects ellipsis dimensions that do not broadcast', () => {
    const e = thrown(() => parseEinsum('...i,...i', [[2, 3], [4, 3]]));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe(
      'einsum: ellipsis dimension 0 is 2 in operand 0 dim 0 but 4 in operand 1 dim 0 (ellipsis dimensions broadcast only against size 1)',
    );
    // Right alignment: operand 1's only ellipsis dim meets operand 0's second.
    expect(thrown(() => parseEinsum('...i,...i', [[2, 5, 3], [4, 3]])).message).toContain(
      'ellipsis dimension 1 is 5 in operand 0 dim 1 but 4 in operand 1 dim 0',
    );
  });

  it('rejects arguments of the wrong kind', () => {
    expect(() => parseEinsum(3 as unknown as string, [])).toThrow(TypeError);
    expect(() => parseEinsum('i', 'x' as unknown as number[][])).toThrow(TypeError);
    expect(() => parseEinsum('i', [3 as unknown as number[]])).toThrow(/einsum: operand 0 shape must be an array/);
    expect(() => parseEinsum('i', [[-1]])).toThrow(RangeError);
    expect(() => parseEinsum('i', [[1.5]])).toThrow(/operand 0 shape\[0\] must be a non-negative integer/);
  });
});
