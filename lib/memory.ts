// Output memory for kernels: options.out checked, or a fresh array by the
// policy in arrays.ts.
import { uninitialized } from './arrays';
import { Tensor } from './tensor';

export { HUGE_PAGE_MIN_ELEMENTS, longLivedArray, outputArray, uninitialized } from './arrays';

/**
 * An op's output memory: options.out (a Tensor of exactly `shape`) checked,
 * or a new uninitialized array — only for ops whose kernels write every
 * output element (their tests poison `out` to prove it). Reusing one output
 * across calls saves allocating, and first touching, fresh memory each time.
 */
export function outputData(out: unknown, shape: readonly number[], fn: string): Float32Array {
  if (out === undefined) return uninitialized(shape.reduce((p, d) => p * d, 1));
  if (!(out instanceof Tensor)) throw new TypeError(`${fn}: options.out must be a Tensor`);
  if (out.shape.length !== shape.length || out.shape.some((d, i) => d !== shape[i]))
    throw new RangeError(`${fn}: options.out has shape [${out.shape.join(', ')}], the result is [${shape.join(', ')}]`);
  return out.data;
}
