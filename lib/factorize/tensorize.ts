// Tensorizations: the ways to write a dimension N as a product of d factors,
// the candidates a planner chooses a layer's shape from. Factors of 1 add
// nothing to a tensorized layer, so only factors >= 2 are listed.
import { checkBool, checkInt, checkObject } from '../check';

export interface TensorizationOptions {
  /** Number of factors (default 2). */
  readonly factors?: number;
  /** List every ordering of each multiset of factors, not just the non-decreasing one (default false). */
  readonly permutations?: boolean;
  /** At most this many results (default: all). */
  readonly limit?: number;
}

/** Spread of a factorization: log of largest over smallest factor; 0 is perfectly balanced. */
function spread(f: readonly number[]): number {
  return Math.log(Math.max(...f) / Math.min(...f));
}

function permutationsOf(f: readonly number[]): number[][] {
  if (f.length <= 1) return [[...f]];
  const out: number[][] = [];
  const seen = new Set<number>();
  f.forEach((x, i) => {
    if (seen.has(x)) return;
    seen.add(x);
    for (const rest of permutationsOf([...f.slice(0, i), ...f.slice(i + 1)])) out.push([x, ...rest]);
  });
  return out;
}

/**
 * Candidate factorizations of `n` into d factors (each >= 2), the most
 * balanced first (smallest largest-to-smallest ratio, then lexicographic):
 * `tensorizations(768, { factors: 3 })` starts [8, 8, 12].
 */
export function tensorizations(n: number, options?: TensorizationOptions | number): number[][] {
  const fn = 'tensorizations';
  checkInt(n, `${fn}: n`, 1, 2 ** 31);
  const opts = typeof options === 'number' ? { factors: options } : (checkObject(options, `${fn}: options`) as TensorizationOptions);
  const d = opts.factors === undefined ? 2 : checkInt(opts.factors, `${fn}: options.factors`, 1, 16);
  const all = opts.permutations === undefined ? false : checkBool(opts.permutations, `${fn}: options.permutations`);
  const limit = opts.limit === undefined ? Infinity : checkInt(opts.limit, `${fn}: options.limit`, 1);
  const out: number[][] = [];
  const walk = (rest: number, min: number, acc: number[]) => {
    if (acc.length === d - 1) {
      if (rest >= min) out.push([...acc, rest]);
      return;
    }
    for (let f = min; f * f <= rest || (acc.length === d - 2 && f <= rest); f++) {
      if (rest % f !== 0) continue;
      // The remaining d - acc.length - 1 factors are all >= f.
      if (Math.pow(f, d - acc.length - 1) > rest / f) break;
      acc.push(f);
      walk(rest / f, f, acc);
      acc.pop();
    }
  };
  if (d === 1) out.push([n]);
  else if (n >= 2) walk(n, 2, []);
  out.sort((a, b) => spread(a) - spread(b) || a.join(',').localeCompare(b.join(','), 'en', { numeric: true }));
  const listed = all ? out.flatMap(permutationsOf) : out;
  return listed.slice(0, limit);
}
