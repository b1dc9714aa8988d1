// Runs a program on real arrays: each instruction becomes one addon call,
// made in turn by the sync form; the async form hands them all to the addon
// as one sequence, one job on the compute pool, which holds the arrays until
// it settles (a Promise per call cost an event-loop turn each).

import { native, type GemmCall, type NativeBinding, type SequenceCall, type StridedView } from '../native';
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
    ...(ins.a.groups ? { aGroups: ins.a.groups } : {}),
    ...(ins.b.groups ? { bGroups: ins.b.groups } : {}),
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

function runCall(nat: NativeBinding, c: SequenceCall): void {
  switch (c.kind) {
    case 'permute':
      return nat.permute(c.args);
    case 'multiply':
      return nat.multiply(c.args);
    case 'sumProduct':
      return nat.sumProduct(c.args);
    default:
      return nat.gemm(c.args);
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
    // Call by call: on the JS thread that is a little cheaper than a
    // sequence, which checks every call before running any.
    const nat = native();
    for (const ins of p.instrs) runCall(nat, toCall(ins, arrays, threads));
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
