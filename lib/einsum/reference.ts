// The float64 einsum oracle for tests: one loop over every combination of
// index values, no path, no cleverness, so it is easy to trust. It costs the
// product of all index sizes times the number of operands: small cases only.

import { describe } from '../check';
import { parseEinsum } from './parse';

export interface ReferenceOperand {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
}

export interface ReferenceResult {
  readonly data: Float64Array;
  readonly shape: number[];
}

/** Row-major strides of a shape. */
function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

export function einsumReference(subscripts: string, ...operands: ReferenceOperand[]): ReferenceResult {
  const fn = 'einsumReference';
  operands.forEach((op, k) => {
    if (op === null || typeof op !== 'object' || !('data' in op) || !('shape' in op))
      throw new TypeError(`${fn}: operand ${k} must be an object with data and shape, got ${describe(op)}`);
    if (typeof op.data?.length !== 'number') throw new TypeError(`${fn}: operand ${k} data must be array-like, got ${describe(op.data)}`);
  });
  const spec = parseEinsum(subscripts, operands.map((op) => op.shape), fn);
  operands.forEach((op, k) => {
    const n = op.shape.reduce((a, b) => a * b, 1);
    if (op.data.length !== n)
      throw new RangeError(`${fn}: operand ${k} has ${op.data.length} elements but shape [${op.shape.join(', ')}] needs ${n}`);
  });

  const sizes = spec.indices.map((x) => x.size);
  const nIdx = sizes.length;
  // How far each operand's offset moves per step of each index: the sum of
  // the strides of the dimensions that index names (several for a diagonal),
  // nothing for a broadcast size-1 dimension.
  const step = spec.inputs.map((ids, k) => {
    const strides = stridesOf(spec.shapes[k]);
    const per = new Array<number>(nIdx).fill(0);
    ids.forEach((id, d) => {
      if (!spec.broadcast[k][d]) per[id] += strides[d];
    });
    return per;
  });
  const outStrides = stridesOf(spec.outputShape);
  const outStep = new Array<number>(nIdx).fill(0);
  spec.output.forEach((id, d) => (outStep[id] = outStrides[d]));

  const out = new Float64Array(spec.outputShape.reduce((a, b) => a * b, 1));
  const total = sizes.reduce((a, b) => a * b, 1);
  const value = new Array<number>(nIdx).fill(0);
  for (let flat = 0; flat < total; flat++) {
    let rest = flat;
    for (let i = nIdx - 1; i >= 0; i--) {
      value[i] = rest % sizes[i];
      rest = Math.floor(rest / sizes[i]);
    }
    let product = 1;
    for (let k = 0; k < operands.length; k++) {
      let off = 0;
      for (let i = 0; i < nIdx; i++) off += value[i] * step[k][i];
      product *= operands[k].data[off];
    }
    let o = 0;
    for (let i = 0; i < nIdx; i++) o += value[i] * outStep[i];
    out[o] += product;
  }
  return { data: out, shape: [...spec.outputShape] };
}
