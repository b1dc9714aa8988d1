// Packed binary codes: b bits per token in ceil(b / 64) uint64 words, bit t in
// bit t % 64 of word t / 64 (least significant first), padding bits zero.
import { checkInt, checkOptions, describe } from '../check';
import { native } from '../native';

export const MAX_BITS = 256;

export function checkBits(value: unknown, what: string): number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be an integer, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 1 || value > MAX_BITS)
    throw new RangeError(`${what} must be an integer in [1, ${MAX_BITS}], got ${value}`);
  return value;
}

export function wordsPerCode(bits: number): number {
  return Math.ceil(bits / 64);
}

/** Codes of [batch, heads, seq] tokens. */
export class HashCodes {
  readonly words: BigUint64Array;
  readonly bits: number;
  readonly batch: number;
  readonly heads: number;
  readonly seq: number;

  constructor(words: BigUint64Array, bits: number, batch: number, heads: number, seq: number) {
    checkBits(bits, 'HashCodes: bits');
    if (!(words instanceof BigUint64Array)) throw new TypeError(`HashCodes: words must be a BigUint64Array, got ${describe(words)}`);
    const need = batch * heads * seq * wordsPerCode(bits);
    if (words.length !== need)
      throw new RangeError(`HashCodes: ${batch} x ${heads} x ${seq} codes of ${bits} bits need ${need} words, got ${words.length}`);
    this.words = words;
    this.bits = bits;
    this.batch = batch;
    this.heads = heads;
    this.seq = seq;
  }

  get wordsPerCode(): number {
    return wordsPerCode(this.bits);
  }

  get count(): number {
    return this.batch * this.heads * this.seq;
  }

  /** Bit t of code i (flat over [batch, heads, seq]). */
  bit(i: number, t: number): number {
    return Number((this.words[i * this.wordsPerCode + Math.floor(t / 64)] >> BigInt(t % 64)) & 1n);
  }
}

/**
 * Packs 0/1 values, `bits` per code, row-major over [batch, heads, seq] (a
 * shorter shape is right-aligned: [seq] is one batch of one head).
 */
export function packCodes(values: ArrayLike<number>, options: { bits: number; shape: readonly number[] }): HashCodes {
  const opts = checkOptions(options, 'packCodes', ['bits', 'shape']);
  const bits = checkBits(opts.bits, 'packCodes: options.bits');
  const shape = opts.shape as readonly number[];
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 3)
    throw new TypeError(`packCodes: options.shape must be [seq], [heads, seq] or [batch, heads, seq], got ${describe(shape)}`);
  shape.forEach((d, i) => checkInt(d, `packCodes: options.shape[${i}]`, 0));
  const [batch, heads, seq] = [1, 1, ...shape].slice(-3);
  const count = batch * heads * seq;
  if (values.length !== count * bits)
    throw new RangeError(`packCodes: ${count} codes of ${bits} bits need ${count * bits} values, got ${values.length}`);
  const w = wordsPerCode(bits);
  const words = new BigUint64Array(count * w);
  const part = new Uint32Array(2);
  for (let i = 0; i < count; i++)
    for (let k = 0; k < w; k++) {
      part[0] = part[1] = 0;
      for (let b = 0; b < 64 && 64 * k + b < bits; b++) {
        const x = values[i * bits + 64 * k + b];
        if (x !== 0 && x !== 1) throw new RangeError(`packCodes: values[${i * bits + 64 * k + b}] must be 0 or 1, got ${x}`);
        if (x) part[b >> 5] |= 1 << (b & 31);
      }
      words[i * w + k] = (BigInt(part[1]) << 32n) | BigInt(part[0]);
    }
  return new HashCodes(words, bits, batch, heads, seq);
}

/** The 0/1 values of every code, [count, bits] row-major. */
export function unpackCodes(codes: HashCodes): Uint8Array {
  if (!(codes instanceof HashCodes)) throw new TypeError(`unpackCodes: codes must be HashCodes, got ${describe(codes)}`);
  const { bits } = codes;
  const w = codes.wordsPerCode;
  const out = new Uint8Array(codes.count * bits);
  const halves = new Uint32Array(codes.words.buffer, codes.words.byteOffset, codes.words.length * 2);
  for (let i = 0; i < codes.count; i++)
    for (let t = 0; t < bits; t++) out[i * bits + t] = (halves[2 * (i * w) + (t >> 5)] >>> (t & 31)) & 1;
  return out;
}

export interface HammingDistances {
  /** [batch * heads, na, nb] row-major. */
  dist: Int32Array;
  shape: [number, number, number];
  /** The popcount kernel that ran. */
  kernel: string;
}

/** Hamming distances of every code of a against every code of b, per (batch, head), by XOR + popcount. */
export function hammingDistances(a: HashCodes, b: HashCodes, options?: { portablePopcount?: boolean }): HammingDistances {
  if (!(a instanceof HashCodes)) throw new TypeError(`hammingDistances: a must be HashCodes, got ${describe(a)}`);
  if (!(b instanceof HashCodes)) throw new TypeError(`hammingDistances: b must be HashCodes, got ${describe(b)}`);
  if (a.bits !== b.bits) throw new RangeError(`hammingDistances: a has ${a.bits}-bit codes and b ${b.bits}-bit codes`);
  if (a.batch !== b.batch || a.heads !== b.heads)
    throw new RangeError(`hammingDistances: a is [${a.batch}, ${a.heads}, ${a.seq}] and b [${b.batch}, ${b.heads}, ${b.seq}]: batch and heads must match`);
  const opts = checkOptions(options, 'hammingDistances', ['portablePopcount']);
  const units = a.batch * a.heads;
  const dist = new Int32Array(units * a.seq * b.seq);
  const kernel = native().hashDistances({
    qCodes: a.words,
    kCodes: b.words,
    dist,
    units,
    nq: a.seq,
    nk: b.seq,
    bits: a.bits,
    portablePopcount: opts.portablePopcount === true,
  });
  return { dist, shape: [units, a.seq, b.seq], kernel };
}
