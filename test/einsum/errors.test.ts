// Bad einsum calls throw errors that name the argument, operand and
// dimension; the async form rejects with the same errors.
import { describe, expect, it } from 'vitest';
import { einsum, einsumSync, Tensor, TensorfoldError, zeros } from '../../lib/index';

const m = (r: number, c: number) => zeros([r, c]);

describe('einsum rejects bad input', () => {
  it('subscript syntax errors, with the position', () => {
    expect(() => einsumSync('ij,jk->i$', m(2, 3), m(3, 4))).toThrow(TensorfoldError);
    expect(() => einsumSync('ij,jk->i$', m(2, 3), m(3, 4))).toThrow(/einsumSync: invalid character "\$" .* at position 8/);
    expect(() => einsumSync('ij->ii', m(2, 2))).toThrow(/output index 'i' repeated/);
    expect(() => einsumSync('ij->k', m(2, 2))).toThrow(/output index 'k' that no input term uses/);
  });
  it('operand count', () => {
    const err = (() => {
      try {
        einsumSync('ij,jk->ik', m(2, 3));
      } catch (e) {
        return e as TensorfoldError;
      }
    })();
    expect(err?.code).toBe('EINSUM_OPERANDS');
    expect(err?.message).toMatch(/2 input terms but 1 operand was given/);
  });
  it('ranks and sizes that do not fit the subscripts', () => {
    expect(() => einsumSync('ijk', m(2, 3))).toThrow(/term 'ijk' at position 0 has 3 indices but operand 0 has rank 2/);
    expect(() => einsumSync('ij,jk', m(2, 3), m(4, 5))).toThrow(/index 'j' is 3 in operand 0 dim 1 but 4 in operand 1 dim 0/);
    expect(() => einsumSync('ii', m(2, 3))).toThrow(/index 'i' repeats in operand 0 \(a diagonal\) but dim 0 is 2 and dim 1 is 3/);
    expect(() => einsumSync('...i,...i', zeros([2, 3]), zeros([4, 3]))).toThrow(/ellipsis dimension 0 is 2 in operand 0 dim 0 but 4 in operand 1 dim 0/);
  });
  it('operands that are not tensors', () => {
    expect(() => einsumSync('i', [1, 2, 3] as never)).toThrow(TypeError);
    expect(() => einsumSync('i,i', zeros([2]), 'x' as never)).toThrow(/einsumSync: operand 1 must be a Tensor/);
    expect(() => einsumSync()).toThrow(/einsumSync: expected subscripts and operands/);
  });
  it('interleaved sublists', () => {
    expect(() => einsumSync(m(2, 2), [0, 99])).toThrow(/argument 1 \(sublist of operand 0\)\[1\] must be an integer in \[0, 52\), got 99/);
    expect(() => einsumSync(m(2, 2), 'ij' as never)).toThrow(TypeError);
  });
  it('options', () => {
    const a = m(2, 2);
    expect(() => einsumSync('ij', a, { threads: 0 })).toThrow(/einsumSync: options.threads must be an integer in \[1, 256\], got 0/);
    expect(() => einsumSync('ij', a, { bogus: 1 } as never)).toThrow(/unknown option 'bogus'; valid options are 'optimize', 'memoryLimit', 'threads'/);
    expect(() => einsumSync('ij,jk,kl', a, a, a, { optimize: 'fastest' as never })).toThrow(/options.optimize 'fastest' is not an optimizer; valid options are/);
    expect(() => einsumSync('ij', a, { memoryLimit: -1 })).toThrow(/options.memoryLimit must be an integer/);
    expect(() => einsumSync('ij,jk,kl', a, a, a, { optimize: [[0, 5]] })).toThrow(/names operand 5 but only 3 remain/);
  });
  it('detached data', () => {
    const t = new Tensor(new Float32Array(4), [2, 2]);
    structuredClone(t.data.buffer, { transfer: [t.data.buffer] });
    expect(() => einsumSync('ij', t)).toThrow(/detached ArrayBuffer/);
  });
  it('the async form rejects instead of throwing', async () => {
    await expect(einsum('ij,jk', m(2, 3), m(4, 5))).rejects.toThrow(RangeError);
    await expect(einsum('ij,jk->i$', m(2, 3), m(3, 4))).rejects.toThrow(TensorfoldError);
  });
});
