// einsum and einsumSync: numpy.einsum on the native kernels. Arguments are
// checked and the expression planned from shapes (cached), then the program
// runs on the operands' data.

import { checkInt, checkOptions } from '../check';
import { outputData } from '../memory';
import { Tensor, TensorLike, asTensor } from '../tensor';
import { releaseArenas, runAsync, runSync } from './execute';
import { SublistItem, interleavedToSubscripts } from './interleaved';
import { lower } from './lower';
import { Lru } from './lru';
import { parseEinsum } from './parse';
import { PathInfo } from './pathinfo';
import { ContractPathOptions, memoryLimitOf, optimizeKey, planPath, OptimizeOption } from './paths';
import { Program } from './program';

export interface EinsumOptions extends ContractPathOptions {
  /** At most this many threads of the compute pool (default: all). */
  readonly threads?: number;
  /**
   * Write the result here and return this tensor: exactly the result's
   * shape, sharing no memory with any operand. Reusing one output across
   * calls saves allocating, and first touching, fresh memory each time.
   */
  readonly out?: Tensor;
}

const OPTION_NAMES = ['optimize', 'memoryLimit', 'threads', 'out'];

interface Compiled {
  readonly info: PathInfo;
  readonly program: Program;
}

const programs = new Lru<string, Compiled>(128);

/** Forget cached einsum programs, and release the memory kept for their intermediates. */
export function clearEinsumCache(): void {
  programs.clear();
  releaseArenas();
}

/** An options object, as opposed to an operand or a sublist. */
function isOptions(x: unknown): boolean {
  return (
    x !== null &&
    typeof x === 'object' &&
    !Array.isArray(x) &&
    !ArrayBuffer.isView(x) &&
    !(x instanceof Tensor) &&
    !('shape' in x) &&
    !('dims' in x) &&
    !('dataSync' in x)
  );
}

interface Prepared {
  readonly program: Program;
  readonly inputs: Float32Array[];
  readonly threads: number;
  readonly out?: Tensor;
}

/** Whether two arrays share any byte of memory. */
function sharesMemory(a: Float32Array, b: Float32Array): boolean {
  if (a.buffer !== b.buffer || a.length === 0 || b.length === 0) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/** options.out checked against the program's result and the operands. */
function checkOut(out: unknown, program: Program, inputs: readonly Float32Array[], fn: string): Tensor | undefined {
  if (out === undefined) return undefined;
  const shape = program.outputShape;
  const data = outputData(out, shape, fn); // a Tensor of exactly `shape`, or a clear error
  inputs.forEach((x, k) => {
    if (sharesMemory(data, x)) throw new RangeError(`${fn}: options.out shares memory with operand ${k}`);
  });
  return out as Tensor;
}

function prepare(args: readonly unknown[], fn: string): Prepared {
  if (args.length === 0) throw new TypeError(`${fn}: expected subscripts and operands, got no arguments`);
  const list = [...args];
  const rawOpts = list.length > 1 && isOptions(list[list.length - 1]) ? list.pop() : undefined;
  const opts = checkOptions(rawOpts, fn, OPTION_NAMES);
  const threads = opts.threads === undefined ? 0 : checkInt(opts.threads, `${fn}: options.threads`, 1, 256);

  let subscripts: string;
  let operands: unknown[];
  if (typeof list[0] === 'string') {
    subscripts = list[0];
    operands = list.slice(1);
  } else {
    ({ subscripts, operands } = interleavedToSubscripts<unknown>(list, fn));
  }
  const tensors = operands.map((x, k) => asTensor(x, `${fn}: operand ${k}`));
  const shapes = tensors.map((t) => t.shape);
  const optimize = (opts.optimize ?? 'auto') as OptimizeOption;

  const optKey = optimizeKey(optimize);
  // JSON keeps the parts apart whatever characters a (possibly invalid) subscripts string holds.
  const key = optKey === null ? null : JSON.stringify([subscripts, shapes, optKey, `${typeof opts.memoryLimit}:${String(opts.memoryLimit)}`]);
  let compiled = key === null ? undefined : programs.get(key);
  if (!compiled) {
    const spec = parseEinsum(subscripts, shapes, fn);
    const memoryLimit = memoryLimitOf(opts.memoryLimit, shapes, spec, fn);
    const { path, method } = planPath(spec, optimize, memoryLimit, fn);
    const info = new PathInfo(spec, path, method);
    compiled = { info, program: lower(spec, info) };
    if (key !== null) programs.set(key, compiled);
  }
  const inputs = tensors.map((t) => t.data);
  return { program: compiled.program, inputs, threads, out: checkOut(opts.out, compiled.program, inputs, fn) };
}

/**
 * numpy.einsum on the calling thread (fine for small work):
 * `einsumSync('bij,bjk->bik', a, b)`, or the interleaved form
 * `einsumSync(a, [0, 1], b, [1, 2], [0, 2])`; an options object may come last.
 */
export function einsumSync(subscripts: string, ...operands: (TensorLike | EinsumOptions)[]): Tensor;
export function einsumSync(...interleaved: (TensorLike | readonly SublistItem[] | EinsumOptions)[]): Tensor;
export function einsumSync(...args: unknown[]): Tensor {
  const fn = 'einsumSync';
  const p = prepare(args, fn);
  const data = runSync(p.program, p.inputs, p.threads, fn, p.out?.data);
  return p.out ?? new Tensor(data, p.program.outputShape);
}

/** numpy.einsum on the compute pool; the event loop stays free between and during steps. */
export function einsum(subscripts: string, ...operands: (TensorLike | EinsumOptions)[]): Promise<Tensor>;
export function einsum(...interleaved: (TensorLike | readonly SublistItem[] | EinsumOptions)[]): Promise<Tensor>;
export async function einsum(...args: unknown[]): Promise<Tensor> {
  const fn = 'einsum';
  const p = prepare(args, fn);
  const data = await runAsync(p.program, p.inputs, p.threads, fn, p.out?.data);
  return p.out ?? new Tensor(data, p.program.outputShape);
}

