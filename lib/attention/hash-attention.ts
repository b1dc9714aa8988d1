// hashAttention: attention on b-bit codes of the queries and keys, in
// 'linear' mode (linear.ts) or 'hamming-softmax' mode (hamming.ts), with its
// operation counts beside exact softmax attention's and, on request, its
// error against exact softmax attention on the same inputs.
//
// Non-finite q or k is an error (hashing reports the batch, head and token).
// Non-finite v is not checked, and propagates as it would through any
// attention: in linear mode a NaN in one value row reaches every output of
// its head (every later output when causal), because the per-bit sums add
// every row whatever its weight.
import { checkBool, checkInt, checkOptions, describe } from '../check';
import { native, type HashAttentionCall } from '../native';
import { Tensor } from '../tensor';
import { checkBits, type HashCodes } from './codes';
import { attentionError, type AttentionError } from './compare';
import { fitHash } from './fit';
import { checkHashFunction, checkScale, codesOfView, codesOfViewAsync, simhash, type HashFunction } from './hash';
import { hammingCall } from './hamming';
import { checkHeads, outputBuffer, outputLike, qkvViews, type QKV } from './layout';
import { linearCall, type LinearVariant } from './linear';
import { addCounts, hammingOps, hashingOps, linearOps, softmaxOps, type OpCounts } from './ops-accounting';
import { planSoftmax } from './softmax';

export type HashAttentionMode = 'linear' | 'hamming-softmax';

export interface HashAttentionOptions {
  /** Code length, 1..256; may be left out when `hash` is a function (it must then agree). */
  bits?: number;
  /**
   * A hash function (simhash() or fitHash().hash), or 'simhash' (seeded
   * random hyperplanes, the default) or 'kernel' (fitted to these q and k now).
   */
  hash?: HashFunction | 'simhash' | 'kernel';
  /** Seed of a hash made here. */
  seed?: number;
  mode?: HashAttentionMode;
  causal?: boolean;
  /** Splits 3-D [batch, seq, heads * dim] inputs into heads. */
  heads?: number;
  /** linear mode: 'exact' normalised kernel (default) or EcoFormer's released form. */
  variant?: LinearVariant;
  /** hamming-softmax: keep each query's topk nearest keys only. */
  topk?: number;
  /** hamming-softmax: logit scale on the +-1 code dot product (default hash.scale, else 1 / sqrt(bits)). */
  scale?: number;
  threads?: number;
  /** Also run exact softmax attention on the same inputs and report the error against it. */
  compare?: boolean;
  /**
   * Write the output here (a Float32Array of exactly the output's size, not
   * overlapping the inputs) instead of a new array: reusing one buffer across
   * calls saves allocating and first-touching it every time.
   */
  out?: Float32Array;
  /**
   * 'hamming-softmax': count bits with the portable popcount kernel even where
   * the CPU has VPOPCNTDQ (to compare the two; results are identical).
   */
  portablePopcount?: boolean;
}

export interface HashAttentionResult {
  output: Tensor;
  /** The hash function used (fitted here when hash was 'kernel'). */
  hash: HashFunction;
  codes: { q: HashCodes; k: HashCodes };
  /** Hashing plus attention. */
  ops: OpCounts;
  opsBreakdown: { hashing: OpCounts; attention: OpCounts };
  /** Exact softmax attention's counts on the same shapes. */
  softmaxOps: OpCounts;
  error?: AttentionError;
}

const MODES: readonly HashAttentionMode[] = ['linear', 'hamming-softmax'];

interface Plan {
  fn: string;
  views: QKV;
  hash: HashFunction;
  mode: HashAttentionMode;
  causal: boolean;
  variant: LinearVariant;
  topk: number;
  scale: number;
  portablePopcount: boolean;
  threads: number;
  compare: boolean;
  out: Float32Array;
  outShape: number[];
  outStrides: HashAttentionCall['outStrides'];
  heads: number | undefined;
}

function plan(q: unknown, k: unknown, v: unknown, options: unknown, fn: string): Plan {
  const o = checkOptions(options, fn, ['bits', 'hash', 'seed', 'mode', 'causal', 'heads', 'variant', 'topk', 'scale', 'portablePopcount', 'threads', 'compare', 'out']);
  const heads = checkHeads(o.heads, `${fn}: options.heads`);
  const views = qkvViews(q, k, v, heads, fn);
  const mode = (o.mode ?? 'linear') as HashAttentionMode;
  if (!MODES.includes(mode)) throw new RangeError(`${fn}: options.mode must be one of ${MODES.map((m) => `'${m}'`).join(', ')}, got ${typeof o.mode === 'string' ? `'${o.mode}'` : describe(o.mode)}`);
  const causal = o.causal === undefined ? false : checkBool(o.causal, `${fn}: options.causal`);
  const threads = o.threads === undefined ? 0 : checkInt(o.threads, `${fn}: options.threads`, 1, 256);
  const compare = o.compare === undefined ? false : checkBool(o.compare, `${fn}: options.compare`);
  const seed = o.seed === undefined ? 0 : checkInt(o.seed, `${fn}: options.seed`, 0, 2 ** 32 - 1);
  const portablePopcount = o.portablePopcount === undefined ? false : checkBool(o.portablePopcount, `${fn}: options.portablePopcount`);
  const { q: qv, k: kv, v: vv } = views;
  if (causal && qv.seq !== kv.seq)
    throw new RangeError(`${fn}: causal attention needs as many queries as keys, got ${qv.seq} queries and ${kv.seq} keys`);

  let hash: HashFunction;
  const given = o.hash ?? 'simhash';
  if (given === 'simhash' || given === 'kernel') {
    if (o.bits === undefined) throw new TypeError(`${fn}: options.bits is required (1..256) unless options.hash is a hash function`);
    const bits = checkBits(o.bits, `${fn}: options.bits`);
    hash = given === 'simhash'
      ? simhash({ dim: qv.dim, bits, heads: qv.heads, seed })
      : fitHash(qv.tensor, kv.tensor, { bits, seed, heads: qv.layout === 'bsd' ? qv.heads : undefined }).hash;
  } else if (typeof given === 'string') {
    throw new RangeError(`${fn}: options.hash must be a hash function, 'simhash' or 'kernel', got '${given}'`);
  } else {
    hash = checkHashFunction(given, `${fn}: options.hash`);
    if (o.bits !== undefined && checkBits(o.bits, `${fn}: options.bits`) !== hash.bits)
      throw new RangeError(`${fn}: options.bits is ${String(o.bits)} but the hash function makes ${hash.bits}-bit codes`);
    if (hash.dim !== qv.dim)
      throw new RangeError(`${fn}: the hash function is for head dim ${hash.dim} but q [${qv.tensor.shape.join(', ')}] has head dim ${qv.dim}`);
    if (hash.heads !== 1 && hash.heads !== qv.heads)
      throw new RangeError(`${fn}: the hash function has ${hash.heads} heads but q [${qv.tensor.shape.join(', ')}] has ${qv.heads}`);
  }

  let variant: LinearVariant = 'exact';
  let topk = 0;
  let scale = hash.scale ?? 1 / Math.sqrt(hash.bits);
  if (mode === 'linear') {
    if (o.topk !== undefined) throw new RangeError(`${fn}: options.topk applies to mode 'hamming-softmax', not 'linear'`);
    if (o.scale !== undefined) throw new RangeError(`${fn}: options.scale applies to mode 'hamming-softmax', not 'linear'`);
    if (o.variant !== undefined) {
      if (o.variant !== 'exact' && o.variant !== 'ecoformer')
        throw new RangeError(`${fn}: options.variant must be 'exact' or 'ecoformer', got ${describe(o.variant)}`);
      variant = o.variant;
    }
    if (variant === 'ecoformer' && qv.seq !== kv.seq)
      throw new RangeError(`${fn}: variant 'ecoformer' adds each query's own value, so q and k need the same length (got ${qv.seq} and ${kv.seq})`);
  } else {
    if (o.variant !== undefined) throw new RangeError(`${fn}: options.variant applies to mode 'linear', not 'hamming-softmax'`);
    if (o.topk !== undefined) topk = checkInt(o.topk, `${fn}: options.topk`, 1, 2 ** 31 - 1);
    if (o.scale !== undefined) scale = checkScale(o.scale, `${fn}: options.scale`);
  }
  const out = outputLike(qv, qv.seq, vv.dim);
  return {
    fn, views, hash, mode, causal, variant, topk, scale, portablePopcount, threads, compare, heads,
    out: outputBuffer(o.out, out.shape, fn),
    outShape: out.shape,
    outStrides: out.strides,
  };
}

function attentionCall(p: Plan, qc: HashCodes, kc: HashCodes): HashAttentionCall {
  return p.mode === 'linear'
    ? linearCall(qc, kc, p.views.v, p.out, p.outStrides, p.causal, p.variant, p.threads)
    : hammingCall(qc, kc, p.views.v, p.out, p.outStrides, p.causal, p.scale, p.topk, p.threads, p.portablePopcount);
}

function result(p: Plan, qc: HashCodes, kc: HashCodes, reference?: Float32Array, refStrides?: HashAttentionCall['outStrides']): HashAttentionResult {
  const { q, k, v } = p.views;
  const shape = { units: q.batch * q.heads, nq: q.seq, nk: k.seq, dim: q.dim, dimV: v.dim, causal: p.causal };
  const hashing = hashingOps(p.hash, q.seq + k.seq, q.batch * q.heads);
  const attention = p.mode === 'linear' ? linearOps(shape, p.hash.bits, p.variant) : hammingOps(shape, p.hash.bits, p.topk);
  const r: HashAttentionResult = {
    output: new Tensor(p.out, p.outShape),
    hash: p.hash,
    codes: { q: qc, k: kc },
    ops: addCounts(hashing, attention),
    opsBreakdown: { hashing, attention },
    softmaxOps: softmaxOps(shape),
  };
  if (reference && refStrides)
    r.error = attentionError({ data: p.out, strides: p.outStrides }, { data: reference, strides: refStrides }, q.batch, q.heads, q.seq, v.dim);
  return r;
}

function softmaxPlan(p: Plan) {
  const { q, k, v } = p.views;
  return planSoftmax(q.tensor, k.tensor, v.tensor, { causal: p.causal, heads: p.heads, threads: p.threads || undefined }, p.fn);
}

/** Hash attention on the calling thread (see HashAttentionOptions). */
export function hashAttentionSync(q: unknown, k: unknown, v: unknown, options: HashAttentionOptions): HashAttentionResult {
  const p = plan(q, k, v, options, 'hashAttentionSync');
  const qc = codesOfView(p.views.q, p.hash, p.threads, p.fn, 'q');
  const kc = codesOfView(p.views.k, p.hash, p.threads, p.fn, 'k');
  const call = attentionCall(p, qc, kc);
  if (p.mode === 'linear') native().hashLinear(call);
  else native().hashHamming(call);
  if (!p.compare) return result(p, qc, kc);
  const sp = softmaxPlan(p);
  native().softmaxAttention(sp.call);
  return result(p, qc, kc, sp.call.out, sp.call.outStrides);
}

/** Hash attention on the compute pool; the event loop stays free. */
export async function hashAttention(q: unknown, k: unknown, v: unknown, options: HashAttentionOptions): Promise<HashAttentionResult> {
  const p = plan(q, k, v, options, 'hashAttention');
  const [qc, kc] = await Promise.all([
    codesOfViewAsync(p.views.q, p.hash, p.threads, p.fn, 'q'),
    codesOfViewAsync(p.views.k, p.hash, p.threads, p.fn, 'k'),
  ]);
  const call = attentionCall(p, qc, kc);
  if (p.mode === 'linear') await native().hashLinearAsync(call);
  else await native().hashHammingAsync(call);
  if (!p.compare) return result(p, qc, kc);
  const sp = softmaxPlan(p);
  await native().softmaxAttentionAsync(sp.call);
  return result(p, qc, kc, sp.call.out, sp.call.outStrides);
}

export type { AttentionError, OpCounts };
