// options.out: einsum writes every element of a given output (poisoned
// first), returns that tensor, and refuses one of the wrong shape or one
// that shares memory with an operand.
import { describe, expect, it } from 'vitest';
import { einsum, einsumSync, Tensor, zeros } from '../../lib/index';
import { boundRatio, operands } from './bound';

const CASES: [string, number[][]][] = [
  ['ij,jk,kl->il', [[7, 11], [11, 5], [5, 13]]], // a chain: intermediates, then the output
  ['bij,bjk->bik', [[3, 4, 6], [3, 6, 5]]], // one batched GEMM
  ['ij->ji', [[9, 4]]], // a permute straight from an operand
  ['ij,ij->', [[5, 6], [5, 6]]], // a scalar
  ['bi,oij,bj->bo', [[4, 8], [3, 8, 8], [4, 8]]],
];

function poisoned(shape: number[]): Tensor {
  const t = zeros(shape);
  t.data.fill(NaN);
  return t;
}

describe('einsum options.out', () => {
  it.each(CASES)('%s writes every element of out and returns it (sync and async)', async (sub, shapes) => {
    const ops = operands(shapes, 3);
    const want = einsumSync(sub, ...ops);
    const out = poisoned([...want.shape]);
    expect(einsumSync(sub, ...ops, { out })).toBe(out);
    expect(boundRatio(sub, ops, out.data).ratio).toBeLessThanOrEqual(1);
    expect(Array.from(out.data)).toEqual(Array.from(want.data));
    out.data.fill(NaN);
    expect(await einsum(sub, ...ops, { out })).toBe(out);
    expect(Array.from(out.data)).toEqual(Array.from(want.data));
  });

  it('reuses one output across calls with different operands', () => {
    const out = zeros([7, 13]);
    for (const seed of [1, 2, 3]) {
      const ops = operands([[7, 11], [11, 5], [5, 13]], seed);
      einsumSync('ij,jk,kl->il', ...ops, { out });
      expect(boundRatio('ij,jk,kl->il', ops, out.data).ratio).toBeLessThanOrEqual(1);
    }
  });

  it('fills out with zeros where a summed index has size 0', () => {
    const ops = [zeros([3, 0]), zeros([0, 4])];
    const out = poisoned([3, 4]);
    einsumSync('ij,jk->ik', ...ops, { out });
    expect(Array.from(out.data)).toEqual(new Array(12).fill(0));
  });

  it('accepts out in the same buffer as an operand where they do not overlap', () => {
    const buf = new Float32Array(6 * 4 + 4 * 6);
    const a = new Tensor(buf.subarray(0, 24), [6, 4]);
    a.data.set(operands([[6, 4]], 5)[0].data);
    const out = new Tensor(buf.subarray(24), [4, 6]);
    einsumSync('ij->ji', a, { out });
    expect(boundRatio('ij->ji', [a], out.data).ratio).toBeLessThanOrEqual(1);
  });

  it('rejects a bad out with a clear error', async () => {
    const [a, b] = operands([[4, 5], [5, 6]], 1);
    expect(() => einsumSync('ij,jk->ik', a, b, { out: zeros([4, 5]) })).toThrow(
      /einsumSync: options.out has shape \[4, 5\], the result is \[4, 6\]/,
    );
    expect(() => einsumSync('ij,jk->ik', a, b, { out: new Float32Array(24) as never })).toThrow(/einsumSync: options.out must be a Tensor/);
    await expect(einsum('ij,jk->ik', a, b, { out: zeros([6, 4]) })).rejects.toThrow(/einsum: options.out has shape \[6, 4\]/);
    // The result written over an operand it is still reading.
    const sq = operands([[5, 5]], 2)[0];
    expect(() => einsumSync('ij,jk->ik', sq, sq, { out: sq })).toThrow(/einsumSync: options.out shares memory with operand 0/);
    const view = new Tensor(sq.data.subarray(0, 5), [5]);
    expect(() => einsumSync('ij->i', sq, { out: view })).toThrow(/options.out shares memory with operand 0/);
    expect(() => einsumSync('i,i->i', zeros([5]), view, { out: new Tensor(sq.data.subarray(3, 8), [5]) })).toThrow(
      /options.out shares memory with operand 1/,
    );
  });
});
