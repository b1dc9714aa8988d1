// Argument checks shared by every public function. Messages name the function,
// the argument and, for shapes, the dimension, so a caller can fix the call
// without reading our source.

/** Largest element count of one tensor: what a Float32Array can hold. */
export const MAX_ELEMENTS = 2 ** 32 - 1;

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array(${value.length})`;
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (typeof value === 'number') return `${value}`;
  return typeof value;
}

/** An integer in [min, max]; `what` reads like "matmul: options.threads". */
export function checkInt(value: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be an integer, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${what} must be an integer in [${min}, ${max}], got ${value}`);
  return value;
}

/** Validates a shape and returns its element count. */
export function checkShape(shape: unknown, what: string): number {
  if (!Array.isArray(shape)) throw new TypeError(`${what} must be an array of dimensions, got ${describe(shape)}`);
  let size = 1;
  shape.forEach((d, i) => {
    if (typeof d !== 'number') throw new TypeError(`${what}[${i}] must be an integer, got ${describe(d)}`);
    if (!Number.isInteger(d) || d < 0)
      throw new RangeError(`${what}[${i}] must be a non-negative integer, got ${d}`);
    size *= d;
    if (size > MAX_ELEMENTS)
      throw new RangeError(`${what} = [${shape.join(', ')}] has more than ${MAX_ELEMENTS} elements`);
  });
  return size;
}

export function isDetached(view: ArrayBufferView): boolean {
  if (view.byteLength !== 0 || view.buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(view.buffer);
    return false;
  } catch {
    return true;
  }
}

export function checkFloat32(data: unknown, what: string): Float32Array {
  if (!(data instanceof Float32Array)) throw new TypeError(`${what} must be a Float32Array, got ${describe(data)}`);
  if (isDetached(data)) throw new TypeError(`${what} is backed by a detached ArrayBuffer`);
  return data;
}

export function checkBool(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${what} must be a boolean, got ${describe(value)}`);
  return value;
}

export function checkObject(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new TypeError(`${what} must be an options object, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

/** `fn`'s options object (undefined: {}), every key one of `names`: a misspelt option is an error, not ignored. */
export function checkOptions(value: unknown, fn: string, names: readonly string[]): Record<string, unknown> {
  const o = checkObject(value, `${fn}: options`);
  for (const k of Object.keys(o))
    if (!names.includes(k)) throw new TypeError(`${fn}: unknown option '${k}'; valid options are ${names.map((n) => `'${n}'`).join(', ')}`);
  return o;
}
