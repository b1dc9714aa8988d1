// Streaming decode with linear hash attention. The state keeps, per (batch,
// head), the running per-bit sums: P[t] = sum_j bit_t(k_j) v_j, the counts
// C[t] = sum_j bit_t(k_j), sum v_j, sum popcount(k_j) v_j and the length (the
// +-1 sums sum_j h_j v_j^T and sum_j h_j of the formulation are 2P - sum v and
// 2C - length). Appending a token costs O(bits * dim) additions, and so does
// attending a query, so decoding is O(bits * dim) per step whatever the
// context length; step() equals the causal computation over the whole
// sequence exactly (same sums in the same order).
import { checkInt, checkOptions, describe } from '../check';
import { native, type HashStateCall } from '../native';
import { Tensor } from '../tensor';
import { checkHashFunction, codesOfView, type HashFunction } from './hash';
import { checkHeads, headsView, outputLike, type HeadsView } from './layout';
import type { LinearVariant } from './linear';

export interface HashAttentionStateOptions {
  hash: HashFunction;
  heads: number;
  batch?: number;
  /** Width of the values (default the hash's dim). */
  dimV?: number;
  variant?: LinearVariant;
  threads?: number;
}

export class HashAttentionState {
  readonly hash: HashFunction;
  readonly batch: number;
  readonly heads: number;
  readonly dimV: number;
  readonly variant: LinearVariant;
  private readonly threads: number;
  private readonly p: Float32Array;
  private readonly vsum: Float32Array;
  private readonly wsum: Float32Array;
  private readonly counts: Int32Array;
  private readonly lengths: Float64Array;

  constructor(options: HashAttentionStateOptions) {
    const fn = 'HashAttentionState';
    const o = checkOptions(options, fn, ['hash', 'heads', 'batch', 'dimV', 'variant', 'threads']);
    this.hash = checkHashFunction(o.hash, `${fn}: options.hash`);
    this.heads = checkInt(o.heads, `${fn}: options.heads`, 1, 2 ** 16);
    this.batch = o.batch === undefined ? 1 : checkInt(o.batch, `${fn}: options.batch`, 1, 2 ** 16);
    this.dimV = o.dimV === undefined ? this.hash.dim : checkInt(o.dimV, `${fn}: options.dimV`, 1, 2 ** 20);
    this.threads = o.threads === undefined ? 0 : checkInt(o.threads, `${fn}: options.threads`, 1, 256);
    if (o.variant !== undefined && o.variant !== 'exact' && o.variant !== 'ecoformer')
      throw new RangeError(`${fn}: options.variant must be 'exact' or 'ecoformer', got ${describe(o.variant)}`);
    this.variant = (o.variant as LinearVariant | undefined) ?? 'exact';
    if (this.hash.heads !== 1 && this.hash.heads !== this.heads)
      throw new RangeError(`${fn}: the hash function has ${this.hash.heads} heads but options.heads is ${this.heads}`);
    const units = this.batch * this.heads, bits = this.hash.bits;
    this.p = new Float32Array(units * bits * this.dimV);
    this.vsum = new Float32Array(units * this.dimV);
    this.wsum = new Float32Array(units * this.dimV);
    this.counts = new Int32Array(units * bits);
    this.lengths = new Float64Array(units);
  }

  /** Tokens appended so far. */
  get length(): number {
    return this.lengths[0];
  }

  reset(): void {
    this.p.fill(0);
    this.vsum.fill(0);
    this.wsum.fill(0);
    this.counts.fill(0);
    this.lengths.fill(0);
  }

  private view(x: unknown, what: string, fn: string, dim: number, heads: number | undefined): HeadsView {
    const v = headsView(x, `${fn}: ${what}`, heads);
    if (v.batch !== this.batch || v.heads !== this.heads)
      throw new RangeError(`${fn}: ${what} [${v.tensor.shape.join(', ')}] has batch ${v.batch} and ${v.heads} heads; the state has ${this.batch} and ${this.heads}`);
    if (v.dim !== dim) throw new RangeError(`${fn}: ${what} [${v.tensor.shape.join(', ')}] has head dim ${v.dim}, expected ${dim}`);
    return v;
  }

  private base(n: number): HashStateCall {
    return {
      p: this.p, vsum: this.vsum, wsum: this.wsum, counts: this.counts, length: this.lengths,
      batch: this.batch, heads: this.heads, dim: this.dimV, bits: this.hash.bits, n,
      variant: this.variant === 'ecoformer' ? 1 : 0, threads: this.threads,
    };
  }

  private keys(k: unknown, v: unknown, heads: number | undefined, fn: string): { kv: HeadsView; vv: HeadsView; call: HashStateCall } {
    const kv = this.view(k, 'k', fn, this.hash.dim, heads);
    const vv = this.view(v, 'v', fn, this.dimV, heads);
    if (kv.seq !== vv.seq) throw new RangeError(`${fn}: k has ${kv.seq} tokens but v has ${vv.seq}`);
    const kc = codesOfView(kv, this.hash, this.threads, fn, 'k');
    return { kv, vv, call: { ...this.base(kv.seq), kCodes: kc.words, v: vv.tensor.data, vStrides: vv.strides } };
  }

  /** Appends tokens (k, v as [batch, heads, n, dim], or 3-D with options.heads) without attending. */
  append(k: unknown, v: unknown, options?: { heads?: number }): void {
    const fn = 'HashAttentionState.append';
    const o = checkOptions(options, fn, ['heads']);
    native().hashState(this.keys(k, v, checkHeads(o.heads, `${fn}: options.heads`), fn).call);
  }

  /**
   * Appends n tokens and attends each of the n queries to every token up to
   * and including its own: causal attention continued from the state.
   */
  step(q: unknown, k: unknown, v: unknown, options?: { heads?: number }): Tensor {
    const fn = 'HashAttentionState.step';
    const o = checkOptions(options, fn, ['heads']);
    const heads = checkHeads(o.heads, `${fn}: options.heads`);
    const { kv, call } = this.keys(k, v, heads, fn);
    const qv = this.view(q, 'q', fn, this.hash.dim, heads);
    if (qv.seq !== kv.seq) throw new RangeError(`${fn}: q has ${qv.seq} tokens but k has ${kv.seq}; a step appends and attends the same tokens`);
    const qc = codesOfView(qv, this.hash, this.threads, fn, 'q');
    const out = outputLike(qv, qv.seq, this.dimV);
    const data = new Float32Array(out.shape.reduce((a, b) => a * b, 1));
    native().hashState({ ...call, qCodes: qc.words, out: data, outStrides: out.strides });
    return new Tensor(data, out.shape);
  }

  /** Attends queries to every token in the state, appending nothing. */
  attend(q: unknown, options?: { heads?: number }): Tensor {
    const fn = 'HashAttentionState.attend';
    const o = checkOptions(options, fn, ['heads']);
    if (this.variant === 'ecoformer')
      throw new RangeError(`${fn}: variant 'ecoformer' needs each query's own token; use step()`);
    const qv = this.view(q, 'q', fn, this.hash.dim, checkHeads(o.heads, `${fn}: options.heads`));
    const qc = codesOfView(qv, this.hash, this.threads, fn, 'q');
    const out = outputLike(qv, qv.seq, this.dimV);
    const data = new Float32Array(out.shape.reduce((a, b) => a * b, 1));
    native().hashState({ ...this.base(qv.seq), qCodes: qc.words, out: data, outStrides: out.strides });
    return new Tensor(data, out.shape);
  }
}
