// An einsum lowered to native calls on strided views: what runs, on which
// arrays, in which order. Built from shapes alone, so one program serves
// every call with the same subscripts, shapes and options.

import type { OffsetGroups } from '../native';
import { ArenaPlanner } from './arena';
import { BufferRef, View, contiguousStrides, countOf, strideOf } from './view';

/** A view as a kernel argument: its strides along the instruction's loop dims. */
export interface StridedArg {
  readonly buf: BufferRef;
  readonly offset: number;
  readonly strides: readonly number[];
}

/**
 * A batch of matrices: element (t, i, j) at offset + t*bs + i*rs + j*cs, or,
 * when groups are given (rows and cols as flattened [size, stride] pairs of
 * several index dims, outermost first), at offset + t*bs + row(i) + col(j).
 */
export interface MatrixArg {
  readonly buf: BufferRef;
  readonly offset: number;
  readonly bs: number;
  readonly rs: number;
  readonly cs: number;
  readonly groups?: OffsetGroups;
}

export type Instr =
  | { readonly op: 'permute'; readonly shape: readonly number[]; readonly src: StridedArg; readonly dst: StridedArg }
  | { readonly op: 'multiply'; readonly shape: readonly number[]; readonly a: StridedArg; readonly b: StridedArg; readonly dst: StridedArg }
  | { readonly op: 'sumProduct'; readonly shape: readonly number[]; readonly ops: readonly StridedArg[]; readonly dst: StridedArg }
  | {
      readonly op: 'gemm';
      readonly m: number;
      readonly n: number;
      readonly k: number;
      readonly batch: number;
      readonly a: MatrixArg;
      readonly b: MatrixArg;
      readonly c: MatrixArg;
    };

export interface Program {
  readonly instrs: readonly Instr[];
  /** Elements of the one buffer every intermediate lives in. */
  readonly arenaSize: number;
  readonly outputShape: readonly number[];
  readonly outputSize: number;
}

/** Collects instructions and places intermediates in the arena. */
export class ProgramBuilder {
  private readonly instrs: Instr[] = [];
  private readonly arena = new ArenaPlanner();

  constructor(readonly sizes: readonly number[]) {}

  count(ids: readonly number[]): number {
    return countOf(ids, this.sizes);
  }

  /** A new contiguous intermediate with indices in the order given. */
  fresh(ids: readonly number[]): View {
    const region = this.arena.alloc(this.count(ids));
    return { buf: { kind: 'arena' }, offset: region.offset, ids: [...ids], strides: contiguousStrides(ids, this.sizes), region };
  }

  /** The view's data is not read again: its region may be reused. */
  release(v: View): void {
    if (v.region) this.arena.release(v.region);
  }

  private arg(v: View, loop: readonly number[]): StridedArg {
    return { buf: v.buf, offset: v.offset, strides: loop.map((id) => strideOf(v, id)) };
  }

  /** dst = src; both span the same indices. */
  permute(src: View, dst: View): void {
    const loop = dst.ids;
    this.instrs.push({ op: 'permute', shape: loop.map((id) => this.sizes[id]), src: this.arg(src, loop), dst: this.arg(dst, loop) });
  }

  /** dst = a ⊙ b, each broadcast along the indices it lacks. */
  multiply(a: View, b: View, dst: View): void {
    const loop = dst.ids;
    this.instrs.push({ op: 'multiply', shape: loop.map((id) => this.sizes[id]), a: this.arg(a, loop), b: this.arg(b, loop), dst: this.arg(dst, loop) });
  }

  /** dst = Σ over the indices dst lacks of Π ops. */
  sumProduct(ops: readonly View[], dst: View): void {
    const loop = [...dst.ids];
    for (const v of ops) for (const id of v.ids) if (!loop.includes(id)) loop.push(id);
    this.instrs.push({
      op: 'sumProduct',
      shape: loop.map((id) => this.sizes[id]),
      ops: ops.map((v) => this.arg(v, loop)),
      dst: this.arg(dst, loop),
    });
  }

  gemm(m: number, n: number, k: number, batch: number, a: MatrixArg, b: MatrixArg, c: MatrixArg): void {
    this.instrs.push({ op: 'gemm', m, n, k, batch, a, b, c });
  }

  finish(outputShape: readonly number[]): Program {
    return {
      instrs: this.instrs,
      arenaSize: this.arena.size,
      outputShape,
      outputSize: outputShape.reduce((p, d) => p * d, 1),
    };
  }
}
