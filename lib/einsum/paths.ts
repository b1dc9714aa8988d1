// contractPath: plan the order in which an einsum contracts its operands,
// from shapes alone. Optimizers follow opt_einsum; plans are cached.

import { checkInt, checkShape, describe, checkOptions } from '../check';
import { IndexSpace } from './bitset';
import { interleavedToSubscripts } from './interleaved';
import { Lru } from './lru';
import { EinsumSpec, parseEinsum } from './parse';
import { branchPath } from './path-branch';
import { dpPath } from './path-dp';
import { greedyPath } from './path-greedy';
import { numpyGreedyPath } from './path-greedy-numpy';
import { OPTIMAL_MAX_OPERANDS, optimalPath } from './path-optimal';
import { PathInfo } from './pathinfo';
import { Path, PathProblem, pathCost } from './problem';

export const OPTIMIZERS = ['auto', 'optimal', 'dp', 'greedy', 'branch', 'branch-all', 'branch-2', 'branch-1'] as const;

/**
 * 'optimal': the cheapest pairwise path (exact, exponential: up to 16 operands).
 * 'dp': opt_einsum's dynamic programming, no outer products unless needed.
 * 'greedy': opt_einsum's greedy heuristic, for any number of operands.
 * 'branch-all' / 'branch-2' ('branch') / 'branch-1': branch and bound, trying every, two or one candidate per step.
 * 'auto': 'optimal' up to 10 operands, 'dp' up to 12, beyond that the cheaper of
 * 'greedy' and numpy's greedy.
 */
export type OptimizerName = (typeof OPTIMIZERS)[number];

/**
 * An optimizer name; `true` ('greedy', as numpy); `false` (no planning: one
 * step over all operands); or an explicit path, opt_einsum style, e.g.
 * [[1, 2], [0, 1]] (a leading 'einsum_path', as numpy writes it, is accepted).
 */
export type OptimizeOption = OptimizerName | boolean | readonly (readonly number[] | 'einsum_path')[];

export interface ContractPathOptions {
  /** Default 'auto'. */
  readonly optimize?: OptimizeOption;
  /** Largest intermediate in elements; 'maxInput' is the largest operand or output. Default: unlimited. */
  readonly memoryLimit?: number | 'maxInput';
}

/** An operand for planning: a shape, or anything with a `shape` (or onnxruntime's `dims`). */
export type ShapeLike = readonly number[] | { readonly shape: readonly number[] } | { readonly dims: readonly number[] };

/**
 * 'auto' is exact up to 10 operands (numpy's 'optimal' range): well under a
 * millisecond up to 8, a few at 10.
 */
export const AUTO_OPTIMAL_MAX = 10;
export const AUTO_DP_MAX = 12;

const cache = new Lru<string, PathInfo>(128);

/** Forget cached plans. */
export function clearPathCache(): void {
  cache.clear();
}

/** The planner's view of a parsed expression. */
export function pathProblem(spec: EinsumSpec, memoryLimit = Infinity): PathProblem {
  const space = new IndexSpace(spec.indices.map((x) => x.size));
  return { space, inputs: spec.inputs.map((ids) => space.of(ids)), output: space.of(spec.output), memoryLimit };
}

function checkExplicitPath(raw: readonly unknown[], n: number, fn: string): Path {
  const steps = raw.length > 0 && raw[0] === 'einsum_path' ? raw.slice(1) : raw;
  const what = `${fn}: options.optimize`;
  if (steps.length === 0) throw new RangeError(`${what} is an empty path; a path needs at least one step`);
  let count = n;
  return steps.map((step, s) => {
    if (!Array.isArray(step)) throw new TypeError(`${what} step ${s} must be an array of operand positions, got ${describe(step)}`);
    if (step.length === 0) throw new RangeError(`${what} step ${s} is empty`);
    step.forEach((pos: unknown, i) => {
      if (typeof pos !== 'number' || !Number.isInteger(pos))
        throw new TypeError(`${what} step ${s} entry ${i} must be an integer position, got ${describe(pos)}`);
      if (pos < 0 || pos >= count)
        throw new RangeError(`${what} step ${s} ([${step.join(', ')}]) names operand ${pos} but only ${count} remain (positions 0..${count - 1})`);
      if (step.indexOf(pos) !== i) throw new RangeError(`${what} step ${s} ([${step.join(', ')}]) names operand ${pos} twice`);
    });
    count -= step.length - 1;
    if (s === steps.length - 1 && count !== 1)
      throw new RangeError(`${what} path leaves ${count} operands after its last step; it must end with one`);
    return [...(step as number[])];
  });
}

/** Picks a path for a parsed expression; `method` names the optimizer that ran. */
export function planPath(spec: EinsumSpec, optimize: OptimizeOption = 'auto', memoryLimit = Infinity, fn = 'contractPath'): { path: Path; method: string } {
  const n = spec.inputs.length;
  const all = [Array.from({ length: n }, (_, i) => i)];
  if (Array.isArray(optimize)) return { path: checkExplicitPath(optimize, n, fn), method: 'explicit' };
  if (optimize === false) return { path: all, method: 'none' };
  const name = optimize === true ? 'greedy' : optimize;
  if (typeof name !== 'string')
    throw new TypeError(`${fn}: options.optimize must be an optimizer name, a boolean or a path, got ${describe(optimize)}`);
  if (!(OPTIMIZERS as readonly string[]).includes(name))
    throw new RangeError(`${fn}: options.optimize '${name}' is not an optimizer; valid options are ${OPTIMIZERS.map((o) => `'${o}'`).join(', ')}, true, false or a path`);
  // Nothing to order with one or two operands.
  if (n <= 2) return { path: all, method: 'none' };

  const p = pathProblem(spec, memoryLimit);
  let method: string = name === 'branch' ? 'branch-2' : name;
  if (method === 'auto' && n > AUTO_DP_MAX) return { path: autoGreedy(p), method: 'greedy' };
  if (method === 'auto') method = n <= AUTO_OPTIMAL_MAX ? 'optimal' : 'dp';
  switch (method) {
    case 'optimal': {
      if (n > OPTIMAL_MAX_OPERANDS)
        throw new RangeError(`${fn}: options.optimize 'optimal' handles at most ${OPTIMAL_MAX_OPERANDS} operands, got ${n}; use 'dp' or 'greedy'`);
      // On larger problems a greedy path's cost prunes the search; below
      // that it costs more than it saves. With a memory limit the greedy path
      // may not be pairwise, so it bounds nothing.
      const bound = n > AUTO_OPTIMAL_MAX && memoryLimit === Infinity ? pathCost(p, greedyPath(p)).cost : Infinity;
      return { path: optimalPath(p, bound), method };
    }
    case 'dp': {
      try {
        const path = dpPath(p);
        // With a memory limit no pairwise order may fit; fall back as 'greedy' does.
        return path ? { path, method } : { path: branchPath(p, 1), method: 'branch-1' };
      } catch (e) {
        if (e instanceof RangeError) throw new RangeError(`${fn}: options.optimize ${e.message}; use 'greedy'`);
        throw e;
      }
    }
    case 'greedy':
      return { path: greedyPath(p), method };
    case 'branch-all':
      return { path: branchPath(p, Infinity), method };
    case 'branch-2':
      return { path: branchPath(p, 2), method };
    default:
      return { path: branchPath(p, 1), method };
  }
}

/**
 * opt_einsum's greedy or numpy's, whichever path is cheaper: on random
 * networks of 13-30 operands each was the cheaper on about a third of them
 * (by up to 10x), and both together still plan 30 operands in a few
 * milliseconds. With a memory limit 'greedy' alone (it is then branch-1).
 */
function autoGreedy(p: PathProblem): Path {
  const a = greedyPath(p);
  if (p.memoryLimit < Infinity) return a;
  const b = numpyGreedyPath(p);
  return pathCost(p, b).cost < pathCost(p, a).cost ? b : a;
}

function isOptions(x: unknown): x is ContractPathOptions {
  return x !== null && typeof x === 'object' && !Array.isArray(x) && !ArrayBuffer.isView(x) && !('shape' in x) && !('dims' in x);
}

function shapeOf(x: unknown, k: number, fn: string): readonly number[] {
  if (Array.isArray(x)) return x;
  if (x !== null && typeof x === 'object') {
    const o = x as { shape?: unknown; dims?: unknown };
    if (Array.isArray(o.shape)) return o.shape;
    if (Array.isArray(o.dims)) return o.dims;
  }
  throw new TypeError(`${fn}: operand ${k} must be a shape (array of dimensions) or a tensor with a shape, got ${describe(x)}`);
}

/** options.memoryLimit in elements (Infinity when unlimited). */
export function memoryLimitOf(value: unknown, shapes: readonly (readonly number[])[], spec: EinsumSpec, fn: string): number {
  if (value === undefined || value === Infinity) return Infinity;
  if (value === 'maxInput') {
    // Sized as the planner sizes intermediates: with broadcast index sizes
    // (a size-1 dim counts at the size it stretches to), so the limit and
    // the steps it bounds are measured alike.
    const sizeOf = (idx: readonly number[]) => [...new Set(idx)].reduce((a, i) => a * spec.indices[i].size, 1);
    return Math.max(...spec.inputs.map(sizeOf), sizeOf(spec.output));
  }
  if (typeof value === 'string') throw new RangeError(`${fn}: options.memoryLimit must be a number of elements or 'maxInput', got '${value}'`);
  return checkInt(value, `${fn}: options.memoryLimit`, 0);
}

/**
 * Plans an einsum from shapes: `contractPath('ij,jk,kl->il', [2, 3], [3, 4], [4, 5])`,
 * tensors in place of shapes, or numpy's interleaved form
 * `contractPath(a, [0, 1], b, [1, 2], [0, 2])`; options last.
 */
export function contractPath(subscripts: string, ...operands: (ShapeLike | ContractPathOptions)[]): PathInfo;
export function contractPath(...interleaved: (ShapeLike | readonly unknown[] | ContractPathOptions)[]): PathInfo;
export function contractPath(...args: unknown[]): PathInfo {
  const fn = 'contractPath';
  const last = args[args.length - 1];
  const rawOpts = args.length > 1 && isOptions(last) ? (args.pop() as Record<string, unknown>) : undefined;
  const opts = checkOptions(rawOpts, fn, ['optimize', 'memoryLimit']);

  let subscripts: string;
  let operands: unknown[];
  if (typeof args[0] === 'string') {
    subscripts = args[0];
    operands = args.slice(1);
  } else {
    ({ subscripts, operands } = interleavedToSubscripts<unknown>(args, fn));
  }
  // Shapes are checked before the cache is consulted: a key built from
  // invalid dimensions could otherwise match a valid plan.
  const shapes = operands.map((x, k) => shapeOf(x, k, fn));
  shapes.forEach((shape, k) => checkShape(shape, `${fn}: operand ${k} shape`));
  const optimize = (opts.optimize ?? 'auto') as OptimizeOption;

  const optKey = optimizeKey(optimize);
  const key = optKey === null ? null : [subscripts, shapes.map((s) => s.join(',')).join(';'), optKey, `${typeof opts.memoryLimit}:${String(opts.memoryLimit)}`].join('|');
  const hit = key === null ? undefined : cache.get(key);
  if (hit) return hit;

  const spec = parseEinsum(subscripts, shapes, fn);
  const memoryLimit = memoryLimitOf(opts.memoryLimit, shapes, spec, fn);
  const { path, method } = planPath(spec, optimize, memoryLimit, fn);
  const info = deepFreeze(new PathInfo(spec, path, method));
  if (key !== null) cache.set(key, info);
  return info;
}

/** A cache key for the optimize option, or null for values that planning will reject. */
export function optimizeKey(o: unknown): string | null {
  if (typeof o === 'string' || typeof o === 'boolean') return `${typeof o}:${o}`;
  const isStep = (s: unknown) => s === 'einsum_path' || (Array.isArray(s) && s.every((x) => typeof x === 'number'));
  if (Array.isArray(o) && o.every(isStep)) return JSON.stringify(o);
  return null;
}

/** Cached plans are shared, so they must not change. */
function deepFreeze<T>(x: T): T {
  if (x !== null && typeof x === 'object' && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x)) deepFreeze(v);
  }
  return x;
}
