// y = x · Wᵀ (+ bias) for an N:M sparse W [rows, k] and x [.., k].
import { checkFloat32, checkInt, checkOptions } from '../check';
import { native } from '../native';
import { asTensor, Tensor } from '../tensor';
import { NMSparseMatrix } from './matrix';
import { outputData } from '../memory';

export interface NMMatmulOptions {
  /** [rows] added to every output row. */
  bias?: unknown;
  threads?: number;
  /**
   * Write the result here instead of a new tensor: a Tensor of the result's
   * shape ([..., rows]), not sharing memory with x.
   */
  out?: Tensor;
}

function prepare(xIn: unknown, w: unknown, optsIn: unknown, fn: string) {
  const x = asTensor(xIn, `${fn}: x`);
  if (!(w instanceof NMSparseMatrix)) throw new TypeError(`${fn}: w must be an NMSparseMatrix (see nmCompress)`);
  const opts = checkOptions(optsIn, fn, ['bias', 'threads', 'out']) as NMMatmulOptions;
  const threads = opts.threads === undefined ? 0 : checkInt(opts.threads, `${fn}: options.threads`, 1, 256);
  const [rows, k] = w.shape;
  if (x.rank < 1 || x.shape[x.rank - 1] !== k)
    throw new RangeError(`${fn}: x [${x.shape.join(', ')}] must end in k = ${k} (w is [${rows}, ${k}])`);
  let bias: Float32Array | undefined;
  if (opts.bias !== undefined) {
    const b = asTensor(opts.bias, `${fn}: options.bias`);
    checkFloat32(b.data, `${fn}: options.bias`);
    if (b.size !== rows) throw new RangeError(`${fn}: options.bias has ${b.size} elements, w has ${rows} rows`);
    bias = b.data;
  }
  const tokens = k === 0 ? x.shape.slice(0, -1).reduce((p, d) => p * d, 1) : x.size / k;
  const shape = [...x.shape.slice(0, -1), rows];
  const y = outputData(opts.out, shape, fn);
  const call = { w: w.handle, x: x.data, tokens, y, bias, threads };
  return { call, shape, out: opts.out };
}

export function nmMatmulSync(x: unknown, w: NMSparseMatrix, options?: NMMatmulOptions): Tensor {
  const p = prepare(x, w, options, 'nmMatmulSync');
  native().nmMatmul(p.call);
  return p.out ?? new Tensor(p.call.y, p.shape);
}

export async function nmMatmul(x: unknown, w: NMSparseMatrix, options?: NMMatmulOptions): Promise<Tensor> {
  const p = prepare(x, w, options, 'nmMatmul');
  await native().nmMatmulAsync(p.call);
  return p.out ?? new Tensor(p.call.y, p.shape);
}
