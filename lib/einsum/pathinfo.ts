// What a contraction path does, step by step, with opt_einsum's cost
// figures (and its printout), so plans compare one to one with
// numpy.einsum_path and opt_einsum.contract_path.

import { EinsumSpec } from './parse';
import { Path, flopCount } from './problem';

/**
 * How a step can run. BLAS-like kinds map onto a GEMM call after at most a
 * permute: DOT (everything summed), GEMV (one side keeps nothing), GEMM (the
 * summed indices already form a block at one end of each term), TDOT (they
 * must be permuted together first), BGEMM (a GEMM per value of the indices
 * both sides keep). The others: OUTER and HADAMARD products (nothing summed),
 * REDUCE, DIAGONAL and TRANSPOSE of a single operand, EINSUM for the rest
 * (repeated indices in a pair, indices summed from one side only, three or
 * more operands).
 */
export type StepKind =
  | 'DOT'
  | 'GEMV'
  | 'GEMM'
  | 'TDOT'
  | 'BGEMM'
  | 'OUTER'
  | 'HADAMARD'
  | 'REDUCE'
  | 'DIAGONAL'
  | 'TRANSPOSE'
  | 'EINSUM';

const BLAS_KINDS: ReadonlySet<StepKind> = new Set<StepKind>(['DOT', 'GEMV', 'GEMM', 'TDOT', 'BGEMM']);

export interface PathStep {
  /** Positions in the current operand list, highest first: the order of the terms in `subscripts`. */
  readonly operands: readonly number[];
  /** The step as an einsum, e.g. 'jk,ij->ik'. */
  readonly subscripts: string;
  /** Index numbers (see EinsumSpec.indices) of each operand taken, and of the result. */
  readonly terms: readonly (readonly number[])[];
  readonly result: readonly number[];
  /** Indices summed away in this step. */
  readonly removed: string;
  /** The operand list after the step; its result is last. */
  readonly remaining: readonly string[];
  /** FLOPs, opt_einsum's model. */
  readonly cost: number;
  /** Elements of the result. */
  readonly size: number;
  /** Number of distinct indices the step spans. */
  readonly scaling: number;
  readonly kind: StepKind;
  /** True when `kind` maps onto a GEMM-family call. */
  readonly blas: boolean;
}

function sameSeq(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function classifyStep(terms: readonly (readonly number[])[], removed: ReadonlySet<number>): StepKind {
  const repeats = terms.some((t) => new Set(t).size !== t.length);
  if (terms.length === 1) {
    if (removed.size > 0) return 'REDUCE';
    return repeats ? 'DIAGONAL' : 'TRANSPOSE';
  }
  if (terms.length > 2 || repeats) return 'EINSUM';
  const [left, right] = terms;
  const inLeft = new Set(left);
  const inRight = new Set(right);
  if (removed.size === 0) {
    if (left.every((i) => !inRight.has(i))) return 'OUTER';
    if (left.every((i) => inRight.has(i)) || right.every((i) => inLeft.has(i))) return 'HADAMARD';
    return 'EINSUM';
  }
  for (const i of removed) if (!inLeft.has(i) || !inRight.has(i)) return 'EINSUM';
  const keepLeft = left.filter((i) => !removed.has(i));
  const keepRight = right.filter((i) => !removed.has(i));
  if (keepLeft.some((i) => inRight.has(i))) return 'BGEMM';
  if (keepLeft.length === 0 && keepRight.length === 0) return 'DOT';
  if (keepLeft.length === 0 || keepRight.length === 0) return 'GEMV';
  const rs = removed.size;
  const head = (t: readonly number[]) => t.slice(0, rs);
  const tail = (t: readonly number[]) => t.slice(t.length - rs);
  if (
    sameSeq(tail(left), head(right)) ||
    sameSeq(head(left), tail(right)) ||
    sameSeq(tail(left), tail(right)) ||
    sameSeq(head(left), head(right))
  )
    return 'GEMM';
  return 'TDOT';
}

/** numpy's '{:.3e}': at least two exponent digits. */
function sci(x: number): string {
  return x.toExponential(3).replace(/e([+-])(\d)$/, 'e$10$2');
}

function pad(s: string | number, width: number): string {
  return String(s).padStart(width);
}

/** A contraction path with its costs; `toString()` prints opt_einsum's table. */
export class PathInfo {
  /** The subscripts as given. */
  readonly subscripts: string;
  /** Explicit form, ellipses expanded: the indices that `steps` use. */
  readonly equation: string;
  readonly path: readonly (readonly number[])[];
  readonly steps: readonly PathStep[];
  /** FLOPs of one einsum over all operands at once (numpy's estimate). */
  readonly naiveCost: number;
  /** Sum of the steps' FLOPs. numpy.einsum_path prints this plus one. */
  readonly optCost: number;
  readonly speedup: number;
  /** Elements of the largest step result (the output included). */
  readonly largestIntermediate: number;
  /** Most indices any step spans. */
  readonly scaling: number;
  /** Number of distinct indices: the scaling of the naive einsum. */
  readonly naiveScaling: number;
  readonly shapes: readonly (readonly number[])[];
  /** Size of each index, by its character in `equation`. */
  readonly sizes: Readonly<Record<string, number>>;
  /** The optimizer that produced the path: 'optimal', 'dp', 'greedy', 'branch-2', ..., 'explicit' or 'none'. */
  readonly method: string;

  constructor(spec: EinsumSpec, path: Path, method: string) {
    const sizes = spec.indices.map((x) => x.size);
    const chars = (ids: readonly number[]) => ids.map((id) => spec.indices[id].char).join('');
    const sizeOf = (ids: Iterable<number>) => {
      let p = 1;
      for (const id of ids) p *= sizes[id];
      return p;
    };

    const current: (readonly number[])[] = [...spec.inputs];
    const steps: PathStep[] = path.map((step, s) => {
      const operands = [...step].sort((a, b) => b - a);
      const terms = operands.map((pos) => current.splice(pos, 1)[0]);
      const span = new Set(terms.flat());
      const needed = new Set(spec.output);
      for (const t of current) for (const id of t) needed.add(id);
      const kept = [...span].filter((id) => needed.has(id));
      const removed = new Set([...span].filter((id) => !needed.has(id)));
      // The last step produces the output in its order; earlier ones keep the
      // order indices first appear in, which saves transposes (opt_einsum's choice).
      const all = terms.flat();
      const result = s === path.length - 1 ? [...spec.output] : kept.sort((a, b) => all.indexOf(a) - all.indexOf(b));
      current.push(result);
      const kind = classifyStep(terms, removed);
      return {
        operands,
        subscripts: `${terms.map(chars).join(',')}->${chars(result)}`,
        terms,
        result,
        removed: chars([...removed].sort((a, b) => a - b)),
        remaining: current.map(chars),
        cost: flopCount(sizeOf(span), removed.size > 0, terms.length),
        size: sizeOf(result),
        scaling: span.size,
        kind,
        blas: BLAS_KINDS.has(kind),
      };
    });

    const distinctPerTerm = spec.inputs.reduce((n, t) => n + new Set(t).size, 0);
    this.subscripts = spec.subscripts;
    this.equation = spec.equation;
    this.path = path.map((step) => [...step]);
    this.steps = steps;
    this.naiveCost = flopCount(sizeOf(spec.indices.keys()), distinctPerTerm > spec.indices.length, spec.inputs.length);
    this.optCost = steps.reduce((c, st) => c + st.cost, 0);
    this.speedup = this.optCost > 0 ? this.naiveCost / this.optCost : this.naiveCost > 0 ? Infinity : 1;
    this.largestIntermediate = Math.max(0, ...steps.map((st) => st.size));
    this.scaling = Math.max(0, ...steps.map((st) => st.scaling));
    this.naiveScaling = spec.indices.length;
    this.shapes = spec.shapes;
    this.sizes = Object.fromEntries(spec.indices.map((x) => [x.char, x.size]));
    this.method = method;
  }

  toString(): string {
    const output = this.equation.slice(this.equation.indexOf('->') + 2);
    const rule = '-'.repeat(80);
    const lines = [
      `  Complete contraction:  ${this.equation}`,
      `         Naive scaling:  ${this.naiveScaling}`,
      `     Optimized scaling:  ${this.scaling}`,
      `      Naive FLOP count:  ${sci(this.naiveCost)}`,
      `  Optimized FLOP count:  ${sci(this.optCost)}`,
      `   Theoretical speedup:  ${this.speedup.toFixed(3)}`,
      `  Largest intermediate:  ${sci(this.largestIntermediate)} elements`,
      rule,
      `${pad('scaling', 6)} ${pad('kind', 11)} ${pad('current', 22)} ${pad('remaining', 37)}`,
      rule,
    ];
    for (const st of this.steps) {
      lines.push(`${pad(st.scaling, 4)} ${pad(st.kind, 14)} ${pad(st.subscripts, 22)} ${pad(`${st.remaining.join(',')}->${output}`, 37)}`);
    }
    return lines.join('\n');
  }
}
