import { describe, expect, it } from 'vitest';
import { ELLIPSIS, interleavedToSubscripts } from '../../lib/einsum/interleaved';

describe('interleavedToSubscripts', () => {
  const a = { shape: [2, 3] };
  const b = { shape: [3, 4] };

  it('numbers indices as numpy does: 0-25 are A-Z, 26-51 are a-z', () => {
    expect(interleavedToSubscripts([a, [0, 1], b, [1, 2], [0, 2]])).toEqual({ subscripts: 'AB,BC->AC', operands: [a, b] });
    expect(interleavedToSubscripts([a, [26, 51]]).subscripts).toBe('az');
  });

  it('leaves the output implicit without a trailing sublist', () => {
    expect(interleavedToSubscripts([a, [0, 1], b, [1, 2]]).subscripts).toBe('AB,BC');
  });

  it('accepts the ELLIPSIS symbol or the string "..."', () => {
    expect(interleavedToSubscripts([a, [ELLIPSIS, 0], b, ['...', 0], [ELLIPSIS]]).subscripts).toBe('...A,...A->...');
  });

  it('accepts scalars and empty outputs', () => {
    expect(interleavedToSubscripts([1, [], 2, [], []]).subscripts).toBe(',->');
  });

  it('names the argument and entry at fault', () => {
    expect(() => interleavedToSubscripts([a, [0, 52]])).toThrow(new RangeError('einsum: argument 1 (sublist of operand 0)[1] must be an integer in [0, 52), got 52'));
    expect(() => interleavedToSubscripts([a, [0, 1], b, [1, 'x']])).toThrow(TypeError);
    expect(() => interleavedToSubscripts([a, [0, 1], b, [1, 'x']])).toThrow(/argument 3 \(sublist of operand 1\)\[1\] must be an index number/);
    expect(() => interleavedToSubscripts([a, [0, 1.5]])).toThrow(RangeError);
    expect(() => interleavedToSubscripts([a, 'ij'])).toThrow(/argument 1 \(sublist of operand 0\) must be an array/);
    expect(() => interleavedToSubscripts([a, [0], [0, -1]], 'contractPath')).toThrow(/contractPath: argument 2 \(output sublist\)\[1\]/);
    expect(() => interleavedToSubscripts([a])).toThrow(TypeError);
  });
});
