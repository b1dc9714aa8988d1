// Attention operands as [batch, heads, seq, dim] views: 4-D tensors are taken
// as they are, 3-D tensors [batch, seq, heads * dim] are split by the `heads`
// option without copying (the kernels read them by strides), and 2-D
// [seq, dim] is one batch of one head.
import { checkFloat32, checkInt, describe } from '../check';
import type { HeadStrides } from '../native';
import { asTensor, Tensor } from '../tensor';
import { outputArray } from '../memory';

export interface HeadsView {
  tensor: Tensor;
  batch: number;
  heads: number;
  seq: number;
  dim: number;
  strides: HeadStrides;
  /** How the tensor was laid out, so results can be given back the same way. */
  layout: 'bhsd' | 'bsd' | 'sd';
}

export function checkHeads(value: unknown, what: string): number | undefined {
  return value === undefined ? undefined : checkInt(value, what, 1, 2 ** 20);
}

export function headsView(value: unknown, what: string, heads: number | undefined): HeadsView {
  const t = asTensor(value, what);
  const s = t.shape;
  if (t.rank === 4) {
    const [batch, h, seq, dim] = s;
    if (heads !== undefined && heads !== h)
      throw new RangeError(`${what} [${s.join(', ')}] has ${h} heads in dim 1 but options.heads is ${heads}`);
    return { tensor: t, batch, heads: h, seq, dim, strides: [h * seq * dim, seq * dim, dim], layout: 'bhsd' };
  }
  if (t.rank === 3) {
    if (heads === undefined)
      throw new RangeError(`${what} [${s.join(', ')}] is 3-D: pass options.heads to split its width ${s[2]} (dim 2) into heads`);
    const [batch, seq, width] = s;
    if (width % heads !== 0)
      throw new RangeError(`options.heads = ${heads} does not divide the width ${width} of ${what} [${s.join(', ')}] (dim 2)`);
    const dim = width / heads;
    return { tensor: t, batch, heads, seq, dim, strides: [seq * width, dim, width], layout: 'bsd' };
  }
  if (t.rank === 2) {
    if (heads !== undefined && heads !== 1)
      throw new RangeError(`${what} [${s.join(', ')}] is 2-D ([seq, dim], one head) but options.heads is ${heads}`);
    const [seq, dim] = s;
    return { tensor: t, batch: 1, heads: 1, seq, dim, strides: [seq * dim, seq * dim, dim], layout: 'sd' };
  }
  throw new RangeError(
    `${what} must be [batch, heads, seq, dim], [batch, seq, heads * dim] with options.heads, or [seq, dim]; got ${describe(s)} [${s.join(', ')}]`,
  );
}

/** Output shape and strides for `seq` rows of width `dim` in the layout of `like`. */
export function outputLike(like: HeadsView, seq: number, dim: number): { shape: number[]; strides: HeadStrides } {
  const { batch, heads } = like;
  if (like.layout === 'bsd')
    return { shape: [batch, seq, heads * dim], strides: [seq * heads * dim, dim, heads * dim] };
  if (like.layout === 'sd') return { shape: [seq, dim], strides: [seq * dim, seq * dim, dim] };
  return { shape: [batch, heads, seq, dim], strides: [heads * seq * dim, seq * dim, dim] };
}

/** q, k and v of one attention call, checked against each other. */
export interface QKV {
  q: HeadsView;
  k: HeadsView;
  v: HeadsView;
}

export function qkvViews(q: unknown, k: unknown, v: unknown, heads: number | undefined, fn: string): QKV {
  const qv = headsView(q, `${fn}: q`, heads);
  const kv = headsView(k, `${fn}: k`, heads);
  const vv = headsView(v, `${fn}: v`, heads);
  const shape = (x: HeadsView) => `[${x.tensor.shape.join(', ')}]`;
  if (qv.layout !== kv.layout || qv.layout !== vv.layout)
    throw new RangeError(`${fn}: q ${shape(qv)}, k ${shape(kv)} and v ${shape(vv)} must have the same layout (rank)`);
  for (const [name, x] of [['k', kv], ['v', vv]] as const) {
    if (x.batch !== qv.batch)
      throw new RangeError(`${fn}: ${name} ${shape(x)} has batch ${x.batch} but q ${shape(qv)} has ${qv.batch} (dim 0)`);
    if (x.heads !== qv.heads)
      throw new RangeError(`${fn}: ${name} ${shape(x)} has ${x.heads} heads but q ${shape(qv)} has ${qv.heads}`);
  }
  if (kv.dim !== qv.dim)
    throw new RangeError(`${fn}: q ${shape(qv)} and k ${shape(kv)} must have the same head dim, got ${qv.dim} and ${kv.dim}`);
  if (vv.seq !== kv.seq)
    throw new RangeError(`${fn}: k ${shape(kv)} and v ${shape(vv)} must have the same sequence length, got ${kv.seq} and ${vv.seq}`);
  return { q: qv, k: kv, v: vv };
}

/** The caller's output buffer (checked against the shape), or a new one. */
export function outputBuffer(out: unknown, shape: readonly number[], fn: string): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (out === undefined) return outputArray(size);
  const buf = checkFloat32(out, `${fn}: options.out`);
  if (buf.length !== size)
    throw new RangeError(`${fn}: options.out has ${buf.length} elements but the output [${shape.join(', ')}] has ${size}`);
  return buf;
}
