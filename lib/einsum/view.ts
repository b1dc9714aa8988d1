// Strided views: how the executor sees an operand, an intermediate or the
// output. A view lists the indices it varies along and one element stride
// for each, so a transpose is a reordering, a diagonal is the sum of two
// strides, and a broadcast or size-1 dimension is simply left out (the data
// does not change along it). Nothing here touches data.

import { Region } from './arena';

/** Which array a view reads: an einsum operand, the arena of intermediates, or the result. */
export type BufferRef = { readonly kind: 'input'; readonly index: number } | { readonly kind: 'arena' } | { readonly kind: 'output' };

export interface View {
  readonly buf: BufferRef;
  readonly offset: number;
  /** Index numbers (EinsumSpec.indices), each once, each of size > 1. */
  readonly ids: readonly number[];
  readonly strides: readonly number[];
  /** The arena region this view owns, freed once the view is consumed. */
  readonly region?: Region;
}

/** Row-major strides for `ids` in that order. */
export function contiguousStrides(ids: readonly number[], sizes: readonly number[]): number[] {
  const strides = new Array<number>(ids.length);
  let s = 1;
  for (let d = ids.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= sizes[ids[d]];
  }
  return strides;
}

/**
 * Operand `index` of an einsum, a contiguous row-major array with one index
 * per dimension (`dimIds`). Size-1 dimensions drop out; an index repeated
 * within the operand reads the diagonal, the sum of its strides.
 */
export function operandView(index: number, shape: readonly number[], dimIds: readonly number[]): View {
  const ids: number[] = [];
  const strides: number[] = [];
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1) {
      const at = ids.indexOf(dimIds[d]);
      if (at >= 0) strides[at] += s;
      else {
        ids.push(dimIds[d]);
        strides.push(s);
      }
    }
    s *= shape[d];
  }
  return { buf: { kind: 'input', index }, offset: 0, ids: ids.reverse(), strides: strides.reverse() };
}

/** The result array: contiguous in the output's index order. */
export function outputView(output: readonly number[], sizes: readonly number[]): View {
  const kept = output.filter((id) => sizes[id] !== 1);
  return { buf: { kind: 'output' }, offset: 0, ids: kept, strides: contiguousStrides(kept, sizes) };
}

export function strideOf(v: View, id: number): number {
  const at = v.ids.indexOf(id);
  return at < 0 ? 0 : v.strides[at];
}

/** Number of elements the view spans. */
export function countOf(ids: readonly number[], sizes: readonly number[]): number {
  return ids.reduce((p, id) => p * sizes[id], 1);
}

/** The indices of `group` that `v` has, in its memory order (largest stride first). */
export function memoryOrder(v: View, group: readonly number[]): number[] {
  return group.filter((id) => v.ids.includes(id)).sort((a, b) => strideOf(v, b) - strideOf(v, a));
}

/**
 * The single stride with which `order` (outermost first) walks `v` as one
 * flattened dimension, or null when the strides do not chain. An empty
 * group is a dimension of size 1: stride 0.
 */
export function fusedStride(v: View, order: readonly number[], sizes: readonly number[]): number | null {
  if (order.length === 0) return 0;
  for (let i = 0; i + 1 < order.length; i++)
    if (strideOf(v, order[i]) !== strideOf(v, order[i + 1]) * sizes[order[i + 1]]) return null;
  return strideOf(v, order[order.length - 1]);
}

/**
 * An index order for a new intermediate holding `ids`: the memory order of
 * the largest source view first, then the others', so that the new array
 * runs along the same contiguous dimension its largest input does.
 */
export function preferredOrder(ids: readonly number[], from: readonly View[], sizes: readonly number[]): number[] {
  const wanted = new Set(ids);
  const bySize = [...from].sort((a, b) => countOf(b.ids, sizes) - countOf(a.ids, sizes));
  const order: number[] = [];
  for (const v of bySize)
    for (const id of memoryOrder(v, v.ids)) if (wanted.has(id) && !order.includes(id)) order.push(id);
  for (const id of ids) if (!order.includes(id)) order.push(id);
  return order;
}
