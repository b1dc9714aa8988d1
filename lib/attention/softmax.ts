// softmaxAttention: exact attention softmax(q k^T * scale) v, our baseline.
// The kernel is blocked with an online softmax, so the score matrix is never
// formed, and both products run on the GEMM kernels.
import { checkBool, checkInt, checkOptions } from '../check';
import { native, type SoftmaxAttentionCall } from '../native';
import { Tensor } from '../tensor';
import { attentionError, type AttentionError } from './compare';
import { checkHeads, outputBuffer, outputLike, qkvViews, type QKV } from './layout';
import { softmaxOps, type OpCounts } from './ops-accounting';

export interface SoftmaxAttentionOptions {
  causal?: boolean;
  /** Splits 3-D [batch, seq, heads * dim] inputs into heads. */
  heads?: number;
  /** Logit scale (default 1 / sqrt(head dim)). */
  scale?: number;
  threads?: number;
  /** Also report the error against a float64 evaluation in JavaScript (slow: for small inputs). */
  compare?: boolean;
  /** Write the output here (exactly its size, not overlapping the inputs) instead of a new array. */
  out?: Float32Array;
}

export interface SoftmaxAttentionResult {
  output: Tensor;
  ops: OpCounts;
  error?: AttentionError;
}

interface Plan {
  views: QKV;
  call: SoftmaxAttentionCall;
  shape: number[];
  compare: boolean;
  ops: OpCounts;
}

export function planSoftmax(q: unknown, k: unknown, v: unknown, options: unknown, fn: string): Plan {
  const o = checkOptions(options, fn, ['causal', 'heads', 'scale', 'threads', 'compare', 'out']);
  const views = qkvViews(q, k, v, checkHeads(o.heads, `${fn}: options.heads`), fn);
  const causal = o.causal === undefined ? false : checkBool(o.causal, `${fn}: options.causal`);
  const threads = o.threads === undefined ? 0 : checkInt(o.threads, `${fn}: options.threads`, 1, 256);
  const compare = o.compare === undefined ? false : checkBool(o.compare, `${fn}: options.compare`);
  let scale = 1 / Math.sqrt(Math.max(1, views.q.dim));
  if (o.scale !== undefined) {
    if (typeof o.scale !== 'number' || !Number.isFinite(o.scale)) throw new RangeError(`${fn}: options.scale must be a finite number, got ${String(o.scale)}`);
    scale = o.scale;
  }
  const { q: qv, k: kv, v: vv } = views;
  if (causal && qv.seq !== kv.seq)
    throw new RangeError(`${fn}: causal attention needs as many queries as keys, got ${qv.seq} queries and ${kv.seq} keys`);
  const out = outputLike(qv, qv.seq, vv.dim);
  const data = outputBuffer(o.out, out.shape, fn);
  const call: SoftmaxAttentionCall = {
    q: qv.tensor.data, qStrides: qv.strides,
    k: kv.tensor.data, kStrides: kv.strides,
    v: vv.tensor.data, vStrides: vv.strides,
    out: data, outStrides: out.strides,
    batch: qv.batch, heads: qv.heads, nq: qv.seq, nk: kv.seq, dim: qv.dim, dimV: vv.dim,
    causal, scale, threads,
  };
  const ops = softmaxOps({ units: qv.batch * qv.heads, nq: qv.seq, nk: kv.seq, dim: qv.dim, dimV: vv.dim, causal });
  return { views, call, shape: out.shape, compare, ops };
}

/** softmax(q k^T * scale) v in float64, straightforwardly: the reference. */
export function softmaxReference(views: QKV, causal: boolean, scale: number): Float64Array {
  const { q, k, v } = views;
  const out = new Float64Array(q.batch * q.heads * q.seq * v.dim);
  const s = new Float64Array(k.seq);
  for (let b = 0; b < q.batch; b++)
    for (let h = 0; h < q.heads; h++)
      for (let i = 0; i < q.seq; i++) {
        const lim = causal ? i + 1 : k.seq;
        let mx = -Infinity;
        const qo = b * q.strides[0] + h * q.strides[1] + i * q.strides[2];
        for (let j = 0; j < lim; j++) {
          const ko = b * k.strides[0] + h * k.strides[1] + j * k.strides[2];
          let x = 0;
          for (let d = 0; d < q.dim; d++) x += q.tensor.data[qo + d] * k.tensor.data[ko + d];
          s[j] = x * scale;
          mx = Math.max(mx, s[j]);
        }
        let den = 0;
        const o = ((b * q.heads + h) * q.seq + i) * v.dim;
        for (let j = 0; j < lim; j++) {
          const w = Math.exp(s[j] - mx);
          den += w;
          const vo = b * v.strides[0] + h * v.strides[1] + j * v.strides[2];
          for (let d = 0; d < v.dim; d++) out[o + d] += w * v.tensor.data[vo + d];
        }
        for (let d = 0; d < v.dim; d++) out[o + d] = den > 0 ? out[o + d] / den : 0;
      }
  return out;
}

function finish(p: Plan): SoftmaxAttentionResult {
  const output = new Tensor(p.call.out, p.shape);
  if (!p.compare) return { output, ops: p.ops };
  const { q, v } = p.views;
  const ref = softmaxReference(p.views, p.call.causal === true, p.call.scale as number);
  const error = attentionError({ data: p.call.out, strides: p.call.outStrides },
    { data: ref, strides: [q.heads * q.seq * v.dim, q.seq * v.dim, v.dim] }, q.batch, q.heads, q.seq, v.dim);
  return { output, ops: p.ops, error };
}

/** Exact softmax attention on the calling thread. NaN inputs give NaN outputs (where they are attended). */
export function softmaxAttentionSync(q: unknown, k: unknown, v: unknown, options?: SoftmaxAttentionOptions): SoftmaxAttentionResult {
  const p = planSoftmax(q, k, v, options, 'softmaxAttentionSync');
  native().softmaxAttention(p.call);
  return finish(p);
}

/** Exact softmax attention on the compute pool. */
export async function softmaxAttention(q: unknown, k: unknown, v: unknown, options?: SoftmaxAttentionOptions): Promise<SoftmaxAttentionResult> {
  const p = planSoftmax(q, k, v, options, 'softmaxAttention');
  await native().softmaxAttentionAsync(p.call);
  return finish(p);
}
