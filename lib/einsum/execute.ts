// Runs a program on real arrays: its instructions become one sequence of
// addon calls, checked and run in a single trip into the addon (one job on
// the compute pool for the async form, which then holds the arrays until it
// settles).

import { native, type GemmCall, type SequenceCall, type StridedView } from '../native';
import { uninitialized } from '../memory';
import { ArenaPool } from './arenas';
import { Instr, MatrixArg, Program, StridedArg } from './program';
import { BufferRef } from './view';

interface Arrays {
  readonly inputs: readonly Float32Array[];
  readonly arena: Float32Array;
  readonly output: Float32Array;
}

function resolve(buf: BufferRef, arrays: Arrays): Float32Array {
  return buf.kind === 'input' ? arrays.inputs[buf.index] : buf.kind === 'arena' ? arrays.arena : arrays.output;
}

function view(a: StridedArg, arrays: Arrays): StridedView {
  return { data: resolve(a.buf, arrays), offset: a.offset, strides: a.strides };
}

function gemmCall(ins: Extract<Instr, { op: 'gemm' }>, arrays: Arrays, threads: number): GemmCall {
  const mat = (x: MatrixArg) => resolve(x.buf, arrays);
  return {
    a: mat(ins.a),
    b: mat(ins.b),
    c: mat(ins.c),
    m: ins.m,
    n: ins.n,
    k: ins.k,
    batch: ins.batch,
    aOffset: ins.a.offset,
    bOffset: ins.b.offset,
    cOffset: ins.c.offset,
    strideA: ins.a.bs,
    strideB: ins.b.bs,
    strideC: ins.c.bs,
    rsA: ins.a.rs,
    csA: ins.a.cs,
    rsB: ins.b.rs,
    csB: ins.b.cs,
    rsC: ins.c.rs,
    threads,
    ...(ins.a.rows ? { aRows: ins.a.rows, aCols: ins.a.cols } : {}),
    ...(ins.b.rows ? { bRows: ins.b.rows, bCols: ins.b.cols } : {}),
  };
}

function toCall(ins: Instr, arrays: Arrays, threads: number): SequenceCall {
  switch (ins.op) {
    case 'permute':
      return { kind: 'permute', args: { shape: ins.shape, src: view(ins.src, arrays), dst: view(ins.dst, arrays), threads } };
    case 'multiply':
      return { kind: 'multiply', args: { shape: ins.shape, a: view(ins.a, arrays), b: view(ins.b, arrays), dst: view(ins.dst, arrays), threads } };
    case 'sumProduct':
      return { kind: 'sumProduct', args: { shape: ins.shape, ops: ins.ops.map((o) => view(o, arrays)), dst: view(ins.dst, arrays), threads } };
    default:
      return { kind: 'gemm', args: gemmCall(ins, arrays, threads) };
  }
}

/** Up to 256 MiB of intermediates stays allocated between calls (clearEinsumCache releases it). */
const arenas = new ArenaPool(2, 1 << 26);

/** Releases the arrays kept for intermediates. */
export function releaseArenas(): void {
  arenas.clear();
}

function allocate(elements: number, what: string, take: (n: number) => Float32Array): Float32Array {
  try {
    return take(elements);
  } catch {
    throw new RangeError(`${what}: cannot allocate ${elements} float32 elements; a smaller options.memoryLimit lowers the intermediates' size`);
  }
}

const pooled = (n: number) => arenas.take(n);

/**
 * The output array: the caller's (checked by einsum), or a new one. A
 * program's last step writes every element of it, so it need not be zeroed;
 * a program without instructions (an index of size 0) leaves the zeros it
 * must hold.
 */
function outputFor(p: Program, fn: string, given?: Float32Array): Float32Array {
  if (given) return p.instrs.length > 0 ? given : given.fill(0);
  return allocate(p.outputSize, `${fn}: output`, p.instrs.length > 0 ? uninitialized : (n) => new Float32Array(n));
}

/** Runs `p` on the calling thread; returns the output data (`out` where given). */
export function runSync(p: Program, inputs: readonly Float32Array[], threads: number, fn: string, out?: Float32Array): Float32Array {
  const output = outputFor(p, fn, out);
  if (p.instrs.length === 0) return output;
  const arena = allocate(p.arenaSize, `${fn}: intermediates`, pooled);
  const arrays: Arrays = { inputs, arena, output };
  try {
    native().runSequence(p.instrs.map((ins) => toCall(ins, arrays, threads)));
  } finally {
    arenas.give(arena);
  }
  return output;
}

/** Runs `p` on the compute pool, without blocking the event loop. */
export async function runAsync(
  p: Program,
  inputs: readonly Float32Array[],
  threads: number,
  fn: string,
  out?: Float32Array,
): Promise<Float32Array> {
  const output = outputFor(p, fn, out);
  if (p.instrs.length === 0) return output;
  // The arena is this call's alone until it is given back: concurrent einsums never share one.
  const arena = allocate(p.arenaSize, `${fn}: intermediates`, pooled);
  const arrays: Arrays = { inputs, arena, output };
  try {
    await native().runSequenceAsync(p.instrs.map((ins) => toCall(ins, arrays, threads)));
  } finally {
    arenas.give(arena);
  }
  return output;
}
