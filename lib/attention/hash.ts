// Hash functions that map query and key vectors to b-bit codes, and hashing
// a tensor with one (natively, on the compute pool).
//  - simhash: random hyperplanes; bit t = [x . r_t > 0], so two codes agree on
//    a bit with probability 1 - angle(x, y) / pi.
//  - kernel: EcoFormer's kernelized hashing; RBF features against m anchor
//    points drawn from the keys, centred, then a learned projection to b bits
//    (fitHash in fit.ts learns it).
import { checkBool, checkInt, checkOptions, describe } from '../check';
import { native, type NativeHashFunction } from '../native';
import { randn } from '../tensor';
import { checkBits, HashCodes, wordsPerCode } from './codes';
import { checkHeads, headsView, type HeadsView } from './layout';

interface HashBase {
  readonly bits: number;
  /** Head dim of the vectors hashed. */
  readonly dim: number;
  /** 1: one function for every head; otherwise one per head. */
  readonly heads: number;
  /**
   * Logit scale for 'hamming-softmax' mode: softmax over scale * (the +-1 code
   * dot product). fitHash sets it by regression on the exact logits.
   */
  readonly scale?: number;
}

export interface SimHashFunction extends HashBase {
  readonly kind: 'simhash';
  readonly seed: number;
  /** [heads, dim, bits] hyperplane normals. */
  readonly planes: Float32Array;
}

export interface KernelHashFunction extends HashBase {
  readonly kind: 'kernel';
  readonly anchors: number;
  /** [heads, anchors, dim] anchor points (unit length when normalize). */
  readonly centers: Float32Array;
  /** [heads, bits, anchors] projection of the features. */
  readonly weights: Float32Array;
  /** [heads, anchors] feature means subtracted before projecting. */
  readonly mean: Float32Array;
  /** [heads] RBF width: phi = exp(-gamma |x - c|^2). */
  readonly gamma: Float32Array;
  /** Scale each vector to unit length before the features (as EcoFormer). */
  readonly normalize: boolean;
}

export type HashFunction = SimHashFunction | KernelHashFunction;
export type HashKind = HashFunction['kind'];

export interface SimhashOptions {
  dim: number;
  bits: number;
  heads?: number;
  seed?: number;
  scale?: number;
}

/** A seeded random-hyperplane hash (Charikar's SimHash). */
export function simhash(options: SimhashOptions): SimHashFunction {
  const o = checkOptions(options, 'simhash', ['dim', 'bits', 'heads', 'seed', 'scale']);
  const dim = checkInt(o.dim, 'simhash: options.dim', 1, 2 ** 20);
  const bits = checkBits(o.bits, 'simhash: options.bits');
  const heads = o.heads === undefined ? 1 : checkInt(o.heads, 'simhash: options.heads', 1, 2 ** 16);
  const seed = o.seed === undefined ? 0 : checkInt(o.seed, 'simhash: options.seed', 0, 2 ** 32 - 1);
  const scale = o.scale === undefined ? undefined : checkScale(o.scale, 'simhash: options.scale');
  const planes = randn([heads, dim, bits], seed).data;
  return Object.freeze({ kind: 'simhash' as const, bits, dim, heads, seed, planes, ...(scale === undefined ? {} : { scale }) });
}

export function checkScale(value: unknown, what: string): number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value) || value < 0 || value > 1e6) throw new RangeError(`${what} must be in [0, 1e6], got ${value}`);
  return value;
}

function f32(value: unknown, what: string, length: number): Float32Array {
  if (!(value instanceof Float32Array)) throw new TypeError(`${what} must be a Float32Array, got ${describe(value)}`);
  if (value.length !== length) throw new RangeError(`${what} must have ${length} elements, got ${value.length}`);
  return value;
}

/** Validates a hash function object (from simhash, fitHash or JSON) field by field. */
export function checkHashFunction(fn: unknown, what: string): HashFunction {
  if (fn === null || typeof fn !== 'object') throw new TypeError(`${what} must be a hash function (simhash() or fitHash().hash), got ${describe(fn)}`);
  const h = fn as Record<string, unknown>;
  const bits = checkBits(h.bits, `${what}.bits`);
  const dim = checkInt(h.dim, `${what}.dim`, 1, 2 ** 20);
  const heads = checkInt(h.heads, `${what}.heads`, 1, 2 ** 16);
  if (h.scale !== undefined) checkScale(h.scale, `${what}.scale`);
  if (h.kind === 'simhash') {
    f32(h.planes, `${what}.planes`, heads * dim * bits);
    return fn as SimHashFunction;
  }
  if (h.kind === 'kernel') {
    const m = checkInt(h.anchors, `${what}.anchors`, 2, 2 ** 20);
    f32(h.centers, `${what}.centers`, heads * m * dim);
    f32(h.weights, `${what}.weights`, heads * bits * m);
    f32(h.mean, `${what}.mean`, heads * m);
    const gamma = f32(h.gamma, `${what}.gamma`, heads);
    gamma.forEach((g, i) => {
      if (!(g > 0 && Number.isFinite(g))) throw new RangeError(`${what}.gamma[${i}] must be positive and finite, got ${g}`);
    });
    checkBool(h.normalize, `${what}.normalize`);
    return fn as KernelHashFunction;
  }
  throw new RangeError(`${what}.kind must be 'simhash' or 'kernel', got ${describe(h.kind)}`);
}

export function nativeHashFunction(fn: HashFunction): NativeHashFunction {
  if (fn.kind === 'simhash') return { kind: 'simhash', bits: fn.bits, dim: fn.dim, heads: fn.heads, planes: fn.planes };
  const { bits, dim, heads, anchors, centers, weights, mean, gamma, normalize } = fn;
  return { kind: 'kernel', bits, dim, heads, anchors, centers, weights, mean, gamma, normalize };
}

export interface HashCodesOptions {
  /** Splits a 3-D [batch, seq, heads * dim] input into heads. */
  heads?: number;
  threads?: number;
}

interface CodesPlan {
  view: HeadsView;
  fn: HashFunction;
  codes: BigUint64Array;
  threads: number;
}

function plan(x: unknown, fnIn: unknown, options: unknown, fn: string): CodesPlan {
  const what = 'x';
  const o = checkOptions(options, fn, ['heads', 'threads']);
  const view = headsView(x, `${fn}: ${what}`, checkHeads(o.heads, `${fn}: options.heads`));
  const hf = checkHashFunction(fnIn, `${fn}: hash`);
  const threads = o.threads === undefined ? 0 : checkInt(o.threads, `${fn}: options.threads`, 1, 256);
  if (hf.dim !== view.dim)
    throw new RangeError(`${fn}: the hash function is for dim ${hf.dim} but ${what} [${view.tensor.shape.join(', ')}] has head dim ${view.dim}`);
  if (hf.heads !== 1 && hf.heads !== view.heads)
    throw new RangeError(`${fn}: the hash function has ${hf.heads} heads but ${what} [${view.tensor.shape.join(', ')}] has ${view.heads}`);
  const codes = new BigUint64Array(view.batch * view.heads * view.seq * wordsPerCode(hf.bits));
  return { view, fn: hf, codes, threads };
}

function call(p: CodesPlan) {
  const { view } = p;
  return {
    x: view.tensor.data,
    xStrides: view.strides,
    batch: view.batch,
    heads: view.heads,
    seq: view.seq,
    dim: view.dim,
    fn: nativeHashFunction(p.fn),
    codes: p.codes,
    threads: p.threads,
  };
}

function finish(p: CodesPlan, bad: number, fn: string, what: string): HashCodes {
  const { view } = p;
  if (bad >= 0) {
    const s = bad % view.seq, bh = Math.floor(bad / view.seq);
    const b = Math.floor(bh / view.heads), h = bh % view.heads;
    throw new RangeError(
      `${fn}: ${what} has a NaN or infinite value (or one so large its projection overflows) at batch ${b}, head ${h}, token ${s}`,
    );
  }
  return new HashCodes(p.codes, p.fn.bits, view.batch, view.heads, view.seq);
}

/** Codes of every token of x, [batch, heads, seq]; x as in hashAttention. Throws on NaN or infinite input. */
export function hashCodes(x: unknown, hash: HashFunction, options?: HashCodesOptions): HashCodes {
  const p = plan(x, hash, options, 'hashCodes');
  return finish(p, native().hashCodes(call(p)), 'hashCodes', 'x');
}

/** hashCodes on the compute pool. */
export async function hashCodesAsync(x: unknown, hash: HashFunction, options?: HashCodesOptions): Promise<HashCodes> {
  const p = plan(x, hash, options, 'hashCodesAsync');
  return finish(p, await native().hashCodesAsync(call(p)), 'hashCodesAsync', 'x');
}

/** For the attention entry points: codes of an already checked view, naming the operand in errors. */
export function codesOfView(view: HeadsView, hash: HashFunction, threads: number, fn: string, what: string): HashCodes {
  const p: CodesPlan = { view, fn: hash, codes: new BigUint64Array(view.batch * view.heads * view.seq * wordsPerCode(hash.bits)), threads };
  return finish(p, native().hashCodes(call(p)), fn, what);
}

export async function codesOfViewAsync(view: HeadsView, hash: HashFunction, threads: number, fn: string, what: string): Promise<HashCodes> {
  const p: CodesPlan = { view, fn: hash, codes: new BigUint64Array(view.batch * view.heads * view.seq * wordsPerCode(hash.bits)), threads };
  return finish(p, await native().hashCodesAsync(call(p)), fn, what);
}

