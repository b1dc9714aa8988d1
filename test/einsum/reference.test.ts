import { describe, expect, it } from 'vitest';
import { einsumReference } from '../../lib/einsum/reference';

const t = (data: number[], shape: number[]) => ({ data, shape });
const run = (s: string, ...ops: { data: ArrayLike<number>; shape: number[] }[]) => {
  const r = einsumReference(s, ...ops);
  return { data: [...r.data], shape: r.shape };
};

// A = [[1, 2, 3], [4, 5, 6]], B = [[1, 2], [3, 4], [5, 6]] (row-major).
const A = t([1, 2, 3, 4, 5, 6], [2, 3]);
const B = t([1, 2, 3, 4, 5, 6], [3, 2]);
// M = [[1, 2, 3], [4, 5, 6], [7, 8, 9]].
const M = t([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3]);

describe('einsumReference against hand computations', () => {
  it('matrix product', () => {
    // [1+6+15, 2+8+18; 4+15+30, 8+20+36]
    expect(run('ij,jk->ik', A, B)).toEqual({ data: [22, 28, 49, 64], shape: [2, 2] });
    expect(run('ij,jk', A, B)).toEqual({ data: [22, 28, 49, 64], shape: [2, 2] });
  });

  it('trace, diagonal and sums', () => {
    expect(run('ii', M)).toEqual({ data: [15], shape: [] });
    expect(run('ii->i', M)).toEqual({ data: [1, 5, 9], shape: [3] });
    expect(run('ij->', A)).toEqual({ data: [21], shape: [] });
    expect(run('ij->j', A)).toEqual({ data: [5, 7, 9], shape: [3] });
    // Diagonal of a 3-d tensor: T[i,j,i] with T = 0..17 in shape [3,2,3].
    const T = t(Array.from({ length: 18 }, (_, i) => i), [3, 2, 3]);
    // T[i,j,i] = 6i + 3j + i
    expect(run('iji->ij', T)).toEqual({ data: [0, 3, 7, 10, 14, 17], shape: [3, 2] });
  });

  it('transpose, explicit and implicit', () => {
    expect(run('ij->ji', A)).toEqual({ data: [1, 4, 2, 5, 3, 6], shape: [3, 2] });
    // numpy: einsum('ji', a) is a.T, since the implicit output is sorted.
    expect(run('ji', A)).toEqual({ data: [1, 4, 2, 5, 3, 6], shape: [3, 2] });
  });

  it('outer and Hadamard products', () => {
    expect(run('i,j->ij', t([1, 2], [2]), t([3, 4, 5], [3]))).toEqual({ data: [3, 4, 5, 6, 8, 10], shape: [2, 3] });
    expect(run('ij,ij->ij', A, A)).toEqual({ data: [1, 4, 9, 16, 25, 36], shape: [2, 3] });
    expect(run('i,i->', t([1, 2, 3], [3]), t([4, 5, 6], [3]))).toEqual({ data: [32], shape: [] });
  });

  it('batched matrix product with an ellipsis', () => {
    // Batch 0: A; batch 1: A + 1 = [[2,3,4],[5,6,7]]. Both times B.
    const AA = t([1, 2, 3, 4, 5, 6, 2, 3, 4, 5, 6, 7], [2, 2, 3]);
    // (A+1)·B = A·B + ones·B = [22+9, 28+12; 49+9, 64+12]
    const expected = { data: [22, 28, 49, 64, 31, 40, 58, 76], shape: [2, 2, 2] };
    expect(run('...ij,...jk->...ik', AA, B)).toEqual(expected);
    expect(run('...ij,...jk', AA, B)).toEqual(expected);
    expect(run('bij,jk->bik', AA, B)).toEqual(expected);
  });

  it('broadcasts size-1 dimensions', () => {
    // Row [10, 20, 30] multiplied into each row of A.
    const row = t([10, 20, 30], [1, 3]);
    expect(run('ij,ij->ij', row, A)).toEqual({ data: [10, 40, 90, 40, 100, 180], shape: [2, 3] });
    // A size-1 ellipsis dim against 2 batches.
    const one = t([1, 2, 3, 4, 5, 6], [1, 2, 3]);
    const two = t([1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0], [2, 3, 2]);
    // Batch 0 of `two` is [[1,0],[0,1],[0,0]]: A's first two columns.
    // Batch 1 is [[0,1],[0,0],[1,0]]: A's third column, then its first.
    expect(run('...ij,...jk->...ik', one, two)).toEqual({ data: [1, 2, 4, 5, 3, 1, 6, 4], shape: [2, 2, 2] });
    // A broadcast dimension that is summed: sum_j a[i,0] * b[j].
    expect(run('ij,j->i', t([2, 3], [2, 1]), t([1, 2, 3], [3]))).toEqual({ data: [12, 18], shape: [2] });
  });

  it('scalars', () => {
    expect(run(',->', t([2], []), t([3], []))).toEqual({ data: [6], shape: [] });
    expect(run('i,->i', t([1, 2], [2]), t([5], []))).toEqual({ data: [5, 10], shape: [2] });
    expect(run('', t([7], []))).toEqual({ data: [7], shape: [] });
  });

  it('zero-size indices give zeros of the right shape', () => {
    expect(run('ij,jk->ik', t([], [2, 0]), t([], [0, 2]))).toEqual({ data: [0, 0, 0, 0], shape: [2, 2] });
    expect(run('ij->ji', t([], [0, 3]))).toEqual({ data: [], shape: [3, 0] });
  });

  it('accepts typed arrays and returns float64', () => {
    const r = einsumReference('i->', { data: new Float32Array([0.5, 0.25]), shape: [2] });
    expect(r.data).toBeInstanceOf(Float64Array);
    expect(r.data[0]).toBe(0.75);
  });

  it('checks operands', () => {
    expect(() => einsumReference('ij', t([1, 2, 3], [2, 2]))).toThrow(new RangeError('einsumReference: operand 0 has 3 elements but shape [2, 2] needs 4'));
    expect(() => einsumReference('ij', [1, 2] as never)).toThrow(TypeError);
    expect(() => einsumReference('ij,jk', A)).toThrow(/einsumReference: subscripts 'ij,jk' have 2 input terms/);
  });
});
