// What every path optimizer works on, and the pieces they share: the FLOP
// model, and the conversion from single-assignment ids to positions.

import { IndexSpace, intersect, isEmpty, minus, union } from './bitset';

/** A contraction path: each step lists positions in the current operand list. */
export type Path = number[][];

/** An expression reduced to index sets: all the planner needs. */
export interface PathProblem {
  readonly space: IndexSpace;
  readonly inputs: readonly Uint32Array[];
  readonly output: Uint32Array;
  /** Largest intermediate allowed, in elements; Infinity when unlimited. */
  readonly memoryLimit: number;
}

/**
 * opt_einsum's and numpy's FLOP model: one multiply per extra term for every
 * point of the index space the step spans, plus one add when some index is
 * summed away. E.g. a matrix product 'ij,jk->ik' costs 2·I·J·K.
 */
export function flopCount(spanSize: number, inner: boolean, terms: number): number {
  return spanSize * (Math.max(1, terms - 1) + (inner ? 1 : 0));
}

/**
 * Cost of one step of a path on index sets: `sets` are the operands taken,
 * `keep` the indices still needed afterwards (the output and every other
 * operand). Returns the result's indices with the step's FLOPs and the
 * number of indices it spans.
 */
export function stepCost(
  space: IndexSpace,
  sets: readonly Uint32Array[],
  keep: Uint32Array,
): { result: Uint32Array; cost: number; span: Uint32Array } {
  let span = space.empty();
  for (const s of sets) span = union(span, s);
  const result = intersect(span, keep);
  const inner = !isEmpty(minus(span, result));
  return { result, cost: flopCount(space.sizeOf(span), inner, sets.length), span };
}

/** Total FLOPs and largest intermediate of a (valid) path. */
export function pathCost(p: PathProblem, path: Path): { cost: number; largest: number } {
  const current = [...p.inputs];
  let cost = 0;
  let largest = 0;
  for (const step of path) {
    const positions = [...step].sort((a, b) => b - a);
    const taken = positions.map((i) => current.splice(i, 1)[0]);
    let keep = p.output;
    for (const s of current) keep = union(keep, s);
    const r = stepCost(p.space, taken, keep);
    cost += r.cost;
    largest = Math.max(largest, p.space.sizeOf(r.result));
    current.push(r.result);
  }
  return { cost, largest };
}

/**
 * Converts a path of single-assignment ids (inputs are 0..n-1, each step's
 * result gets the next id) to opt_einsum's positional form. The operand list
 * always stays sorted by id, so positions keep the ids' order; each step is
 * returned ascending.
 */
export function ssaToLinear(n: number, ssa: readonly (readonly number[])[]): Path {
  const live: number[] = Array.from({ length: n }, (_, i) => i);
  let next = n;
  return ssa.map((step) => {
    const positions = step.map((id) => live.indexOf(id)).sort((a, b) => a - b);
    for (let i = positions.length - 1; i >= 0; i--) live.splice(positions[i], 1);
    live.push(next++);
    return positions;
  });
}

/** A contraction tree: an input, an input with its private indices summed first, or a pair. */
export type Tree = number | { readonly reduce: number } | readonly [Tree, Tree];

/** Flattens a tree into single-assignment steps, children before parents. */
export function treeToSsa(n: number, tree: Tree): number[][] {
  const steps: number[][] = [];
  let next = n;
  const visit = (t: Tree): number => {
    if (typeof t === 'number') return t;
    if (!Array.isArray(t)) {
      steps.push([(t as { reduce: number }).reduce]);
      return next++;
    }
    const [a, b] = t as readonly [Tree, Tree];
    const ia = visit(a);
    const ib = visit(b);
    steps.push([ia, ib]);
    return next++;
  };
  visit(tree);
  return steps;
}
