// Index orders for new intermediates. A GEMM or reduce can write its result
// in several orders at the same cost; the right one is the order its
// consumer, a later step, can read without a copy. The consumer is known
// from the path, so each candidate order is scored by how the consuming
// step would see it.

import { View, contiguousStrides, fusedStride, memoryOrder } from './view';

/** How a later step will read an intermediate. */
export interface Consumer {
  /** Indices of the other operands of the consuming step. */
  readonly others: readonly (readonly number[])[];
  /** Their views, where they already exist when the intermediate is made. */
  readonly known: readonly (View | null)[];
  /** Indices the consuming step keeps. */
  readonly result: readonly number[];
  /** The output's index order when the consuming step is the last. */
  readonly output: readonly number[] | null;
}

/** The consumer's index groups for an intermediate holding `ids` (pairwise steps only). */
function groupsAt(ids: readonly number[], c: Consumer): number[][] | null {
  if (c.others.length !== 1) return null;
  const other = new Set(c.others[0]);
  const keep = new Set(c.result);
  const batch = ids.filter((id) => other.has(id) && keep.has(id));
  const free = ids.filter((id) => !other.has(id));
  const summed = ids.filter((id) => other.has(id) && !keep.has(id));
  return [batch, free, summed].filter((g) => g.length > 0);
}

/**
 * Higher is better: each consumer group the layout can walk as one strided
 * dimension, in the order the output or the other (existing) operand walks
 * it too; on a tie, a unit stride where the output has its own, so that a
 * group read through offset tables still copies contiguous runs.
 */
export function layoutScore(layout: readonly number[], c: Consumer | null, sizes: readonly number[]): number {
  if (!c) return 0;
  const groups = groupsAt(layout, c);
  if (!groups) return 0;
  const v: View = { buf: { kind: 'arena' }, offset: 0, ids: layout, strides: contiguousStrides(layout, sizes) };
  const other = c.known[0];
  let score = c.output && c.output[c.output.length - 1] === layout[layout.length - 1] ? 0.5 : 0;
  for (const g of groups) {
    const order = memoryOrder(v, g);
    if (fusedStride(v, order, sizes) === null) continue;
    score += 4;
    if (c.output && g.every((id) => c.output!.includes(id))) {
      const want = c.output.filter((id) => g.includes(id));
      if (want.join() === order.join()) score += 2;
    }
    if (other && g.every((id) => other.ids.includes(id))) {
      const theirs = memoryOrder(other, g);
      if (fusedStride(other, theirs, sizes) !== null && theirs.join() === order.join()) score += 1;
    }
  }
  return score;
}

/**
 * The order the consumer would like best for `ids`: its groups as blocks
 * (kept-both, free, summed), each ordered as the output or the existing
 * other operand has it, else as `fallback` does.
 */
export function consumerOrder(ids: readonly number[], fallback: readonly number[], c: Consumer | null): number[] {
  if (!c) return [...fallback];
  const groups = groupsAt(ids, c);
  if (!groups) return [...fallback];
  const other = c.known[0];
  const out: number[] = [];
  for (const g of groups) {
    const byFallback = fallback.filter((id) => g.includes(id));
    let order = byFallback;
    if (c.output && g.every((id) => c.output!.includes(id))) order = c.output.filter((id) => g.includes(id));
    else if (other && g.every((id) => other.ids.includes(id))) order = memoryOrder(other, g);
    out.push(...order);
  }
  return out;
}

/** The best-scoring candidate; ties go to the earliest. */
export function bestLayout(candidates: readonly (readonly number[])[], c: Consumer | null, sizes: readonly number[]): number[] {
  let best = candidates[0];
  let bestScore = layoutScore(best, c, sizes);
  for (const cand of candidates.slice(1)) {
    const s = layoutScore(cand, c, sizes);
    if (s > bestScore) {
      best = cand;
      bestScore = s;
    }
  }
  return [...best];
}
