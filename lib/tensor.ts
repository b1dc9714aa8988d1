// The one tensor type: float32 data, contiguous and row-major, with a shape.
// Other libraries' tensors come in duck-typed (neither onnxruntime nor tfjs is
// a dependency) and share memory where the layout allows.
import { longLivedArray } from './arrays';
import { checkFloat32, checkInt, checkShape, describe, MAX_ELEMENTS } from './check';

export type Shape = readonly number[];

/** An onnxruntime-common tensor as far as we need it. */
export interface OrtTensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
  readonly type: string;
}

/** A tfjs tensor as far as we need it. */
export interface TfjsTensorLike {
  readonly shape: readonly number[];
  readonly dtype?: string;
  dataSync(): ArrayLike<number>;
}

export type TensorLike = Tensor | OrtTensorLike | TfjsTensorLike;

export class Tensor {
  readonly data: Float32Array;
  readonly shape: Shape;

  /** Wraps `data` without copying; `data.length` must equal the shape's size. */
  constructor(data: Float32Array, shape: Shape) {
    checkFloat32(data, 'Tensor: data');
    const size = checkShape(shape, 'Tensor: shape');
    if (data.length !== size)
      throw new RangeError(`Tensor: data has ${data.length} elements but shape [${shape.join(', ')}] needs ${size}`);
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** A view with another shape of the same size (no copy); one dim may be -1. */
  reshape(shape: readonly number[]): Tensor {
    const unknown = shape.indexOf(-1);
    let dims = [...shape];
    if (unknown >= 0) {
      const rest = shape.reduce((p, d, i) => (i === unknown ? p : p * d), 1);
      if (rest === 0 || this.size % rest !== 0)
        throw new RangeError(`reshape: cannot infer dim ${unknown} of [${shape.join(', ')}] for ${this.size} elements`);
      dims[unknown] = this.size / rest;
    }
    return new Tensor(this.data, dims);
  }

  /**
   * As an onnxruntime tensor. Pass `ort.Tensor` to get a real one; without it
   * a plain `{ type, data, dims }` object is returned. Shares memory.
   */
  toOrt<T = OrtTensorLike>(TensorClass?: new (type: 'float32', data: Float32Array, dims: readonly number[]) => T): T {
    if (TensorClass) return new TensorClass('float32', this.data, this.shape);
    return { type: 'float32', data: this.data, dims: this.shape } as unknown as T;
  }

  /** Nested arrays, for printing and small checks. */
  toArray(): unknown {
    if (this.rank === 0) return this.data[0];
    const build = (offset: number, dim: number): unknown => {
      const n = this.shape[dim];
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      const out: unknown[] = [];
      for (let i = 0; i < n; i++)
        out.push(dim === this.rank - 1 ? this.data[offset + i] : build(offset + i * stride, dim + 1));
      return out;
    };
    return build(0, 0);
  }
}

function isOrt(x: unknown): x is OrtTensorLike {
  return typeof x === 'object' && x !== null && 'dims' in x && 'data' in x && 'type' in x;
}

function isTfjs(x: unknown): x is TfjsTensorLike {
  return typeof x === 'object' && x !== null && typeof (x as TfjsTensorLike).dataSync === 'function' && 'shape' in x;
}

function toFloat32(data: unknown, what: string): Float32Array {
  if (data instanceof Float32Array) return checkFloat32(data, what);
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    if (typeof (data as unknown as BigInt64Array)[0] === 'bigint')
      return Float32Array.from(data as unknown as BigInt64Array, Number);
    return Float32Array.from(data as unknown as ArrayLike<number>);
  }
  if (Array.isArray(data)) {
    data.forEach((v, i) => {
      if (typeof v !== 'number') throw new TypeError(`${what}[${i}] must be a number, got ${describe(v)}`);
    });
    return Float32Array.from(data);
  }
  throw new TypeError(`${what} must be a Float32Array, a typed array or an array of numbers, got ${describe(data)}`);
}

/** Nested number arrays → flat data and shape. */
function flattenNested(value: unknown[], what: string): { data: number[]; shape: number[] } {
  const shape: number[] = [];
  for (let v: unknown = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  const data: number[] = [];
  const walk = (v: unknown, dim: number, path: string) => {
    if (dim === shape.length) {
      if (typeof v !== 'number') throw new TypeError(`${what}${path} must be a number, got ${describe(v)}`);
      data.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim])
      throw new RangeError(`${what}${path} must be an array of length ${shape[dim]} (ragged nested arrays)`);
    v.forEach((x, i) => walk(x, dim + 1, `${path}[${i}]`));
  };
  walk(value, 0, '');
  return { data, shape };
}

/**
 * Makes a Tensor from a Float32Array (shared), another typed array or number
 * array (copied), nested arrays (shape inferred), an onnxruntime tensor or a
 * tfjs tensor. A shape given with a tensor-like input reshapes it.
 */
export function tensor(data: unknown, shape?: readonly number[]): Tensor {
  if (data instanceof Tensor) return shape ? new Tensor(data.data, shape) : data;
  if (isOrt(data)) {
    if (data.type !== 'float32' && data.type !== 'float64' && !/^u?int(8|16|32|64)$/.test(data.type))
      throw new TypeError(`tensor: onnxruntime tensor of type '${data.type}' is not numeric`);
    return new Tensor(toFloat32(data.data, 'tensor: ort tensor data'), shape ?? data.dims);
  }
  if (isTfjs(data)) return new Tensor(toFloat32(data.dataSync(), 'tensor: tfjs data'), shape ?? data.shape);
  if (Array.isArray(data) && shape === undefined) {
    const flat = flattenNested(data, 'tensor: data');
    return new Tensor(Float32Array.from(flat.data), flat.shape);
  }
  const arr = toFloat32(data, 'tensor: data');
  return new Tensor(arr, shape ?? [arr.length]);
}

/** Accepts anything `tensor()` does, for op arguments. */
export function asTensor(value: unknown, what: string): Tensor {
  if (value instanceof Tensor) {
    checkFloat32(value.data, `${what}.data`);
    return value;
  }
  if (isOrt(value) || isTfjs(value)) return tensor(value);
  throw new TypeError(`${what} must be a Tensor, an onnxruntime tensor or a tfjs tensor, got ${describe(value)}`);
}

export function zeros(shape: readonly number[]): Tensor {
  const size = checkShape(shape, 'zeros: shape');
  return new Tensor(longLivedArray(size), shape);
}

/**
 * Standard normal samples from a seeded generator (xoshiro128** seeded by
 * splitmix32, Box-Muller), identical on every platform for a given seed.
 */
export function randn(shape: readonly number[], seed = 0): Tensor {
  const size = checkShape(shape, 'randn: shape');
  checkInt(seed, 'randn: seed', 0, 2 ** 32 - 1);
  const next = xoshiro128(seed);
  const out = longLivedArray(size);
  for (let i = 0; i < size; i += 2) {
    const u1 = (next() + 1) / 4294967297; // (0, 1): log never sees 0
    const u2 = next() / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < size) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return new Tensor(out, shape);
}

/** A uint32 generator; exported for deterministic test data. */
export function xoshiro128(seed: number): () => number {
  let x = seed >>> 0;
  const splitmix = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix(), b = splitmix(), c = splitmix(), d = splitmix();
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
}

function rotl(v: number, k: number): number {
  return ((v << k) | (v >>> (32 - k))) >>> 0;
}

export { MAX_ELEMENTS };
