// The exact optimizer: dynamic programming over subsets of operands.
//
// The cost of a pairwise contraction tree does not depend on the order its
// steps run in: the indices an intermediate for operand set S keeps are those
// of S that the output or some operand outside S still needs. So the cheapest
// way to build each S follows from the cheapest ways to build its two halves,
// and 3^n split checks find the best tree (opt_einsum's 'optimal' walks
// orderings instead, n! of them). Each input may also have its private
// indices summed first, as opt_einsum's 'dp' does, so the result is never
// worse than any pairwise optimizer's. Among trees of equal cost the one
// that writes the fewest intermediate elements wins: e.g. for a bilinear
// form 'bi,oij,bj->bo' contracting x1 with W first writes half the elements
// the outer product of x1 and x2 would, for the same FLOPs.

import { IndexSpace } from './bitset';
import { Path, PathProblem, ssaToLinear } from './problem';

/** 3^16 split checks take well under a second; beyond that use 'dp' or 'greedy'. */
export const OPTIMAL_MAX_OPERANDS = 16;

/** Partition searches stop after this many candidate parts (memory-limited fallback only). */
const PARTITION_BUDGET = 2_000_000;

/**
 * Cheapest pairwise path within `p.memoryLimit`. `upperBound` (a known
 * path's cost) prunes the search. When no pairwise order keeps every
 * intermediate within the limit, the cheapest split into parts that do is
 * contracted in one final step, as opt_einsum does.
 */
export function optimalPath(p: PathProblem, upperBound = Infinity): Path {
  const n = p.inputs.length;
  if (n === 1) return [[0]];
  if (n > OPTIMAL_MAX_OPERANDS) throw new RangeError(`the 'optimal' optimizer handles at most ${OPTIMAL_MAX_OPERANDS} operands, got ${n}`);
  const { space } = p;
  const W = space.words;
  const N = 1 << n;
  const full = N - 1;
  const limit = p.memoryLimit;

  // uni[S]: all indices of S; legs[S]: those S's intermediate keeps.
  const uni = new Uint32Array(N * W);
  for (let s = 1; s < N; s++) {
    const low = s & -s;
    const k = 31 - Math.clz32(low);
    const prev = (s ^ low) * W;
    for (let w = 0; w < W; w++) uni[s * W + w] = uni[prev + w] | p.inputs[k][w];
  }
  const legs = new Uint32Array(N * W);
  const legSize = new Float64Array(N);
  for (let s = 1; s < N; s++) {
    const rest = (full ^ s) * W;
    for (let w = 0; w < W; w++) legs[s * W + w] = uni[s * W + w] & (p.output[w] | uni[rest + w]);
    legSize[s] = space.sizeOf(legs, s * W);
  }

  // A leaf is its input as given, or (at a cost) with its private indices
  // summed away first, which leaves exactly legs[{k}].
  const reduceCost = new Float64Array(n).fill(Infinity);
  for (let k = 0; k < n; k++) {
    const s = 1 << k;
    let changed = false;
    for (let w = 0; w < W; w++) if (legs[s * W + w] !== p.inputs[k][w]) changed = true;
    if (changed && legSize[s] <= limit) reduceCost[k] = 2 * space.sizeOf(p.inputs[k]);
  }

  const cost = new Float64Array(N).fill(Infinity);
  // Elements the cheapest tree for S writes: its intermediates and result.
  const written = new Float64Array(N);
  const split = new Int32Array(N);
  const choice = new Uint8Array(N); // bit 0: left leaf reduced first, bit 1: right leaf
  for (let k = 0; k < n; k++) cost[1 << k] = 0;
  const bound = upperBound * (1 + 1e-12);
  const span = new Uint32Array(W);

  for (let s = 3; s < N; s++) {
    if ((s & (s - 1)) === 0) continue;
    if (s !== full && legSize[s] > limit) continue;
    const low = s & -s;
    const rest = s ^ low;
    let best = Infinity;
    let bestWritten = Infinity;
    // Each unordered split once: the left part holds the lowest operand.
    for (let t = rest; ; t = (t - 1) & rest) {
      const a = t | low;
      if (a !== s) {
        const b = s ^ a;
        const base = cost[a] + cost[b];
        if (base < best && base <= bound) {
          const aLeaf = (a & (a - 1)) === 0;
          const bLeaf = (b & (b - 1)) === 0;
          const aOpts = aLeaf && reduceCost[31 - Math.clz32(a)] < Infinity ? 2 : 1;
          const bOpts = bLeaf && reduceCost[31 - Math.clz32(b)] < Infinity ? 2 : 1;
          for (let oa = 0; oa < aOpts; oa++) {
            for (let ob = 0; ob < bOpts; ob++) {
              let extra = 0;
              let wrote = written[a] + written[b] + legSize[s];
              const aSet = aLeaf && oa === 0 ? p.inputs[31 - Math.clz32(a)] : null;
              const bSet = bLeaf && ob === 0 ? p.inputs[31 - Math.clz32(b)] : null;
              if (oa === 1) {
                extra += reduceCost[31 - Math.clz32(a)];
                wrote += legSize[a];
              }
              if (ob === 1) {
                extra += reduceCost[31 - Math.clz32(b)];
                wrote += legSize[b];
              }
              let inner = false;
              for (let w = 0; w < W; w++) {
                const x = (aSet ? aSet[w] : legs[a * W + w]) | (bSet ? bSet[w] : legs[b * W + w]);
                span[w] = x;
                if ((x & ~legs[s * W + w]) !== 0) inner = true;
              }
              const total = base + extra + space.sizeOf(span) * (inner ? 2 : 1);
              if (total < best || (total === best && wrote < bestWritten)) {
                best = total;
                bestWritten = wrote;
                split[s] = a;
                choice[s] = oa | (ob << 1);
              }
            }
          }
        }
      }
      if (t === 0) break;
    }
    cost[s] = best;
    written[s] = bestWritten;
  }

  const ssa: number[][] = [];
  let next = n;
  const build = (s: number, reduceLeaf: boolean): number => {
    if ((s & (s - 1)) === 0) {
      const k = 31 - Math.clz32(s);
      if (!reduceLeaf) return k;
      ssa.push([k]);
      return next++;
    }
    const a = split[s];
    const ia = build(a, (choice[s] & 1) !== 0);
    const ib = build(s ^ a, (choice[s] & 2) !== 0);
    ssa.push([ia, ib]);
    return next++;
  };

  if (cost[full] < Infinity) {
    build(full, false);
    return ssaToLinear(n, ssa);
  }

  const parts = bestPartition(p, space, cost, legs);
  const ids = parts.map((part) => build(part, false));
  ssa.push(ids);
  return ssaToLinear(n, ssa);
}

/**
 * The memory-limited fallback: split the operands into parts that can each be
 * built pairwise within the limit, minimising the parts' cost plus one final
 * contraction of all parts.
 */
function bestPartition(p: PathProblem, space: IndexSpace, cost: Float64Array, legs: Uint32Array): number[] {
  const n = p.inputs.length;
  const W = space.words;
  const full = (1 << n) - 1;
  let bestCost = Infinity;
  let bestParts: number[] = Array.from({ length: n }, (_, k) => 1 << k);
  let budget = PARTITION_BUDGET;
  const chosen: number[] = [];
  const span = new Uint32Array(W);

  const finalCost = (): number => {
    span.fill(0);
    for (const part of chosen) {
      const leaf = (part & (part - 1)) === 0;
      for (let w = 0; w < W; w++) span[w] |= leaf ? p.inputs[31 - Math.clz32(part)][w] : legs[part * W + w];
    }
    let inner = false;
    for (let w = 0; w < W; w++) if ((span[w] & ~p.output[w]) !== 0) inner = true;
    return space.sizeOf(span) * (Math.max(1, chosen.length - 1) + (inner ? 1 : 0));
  };

  const search = (remaining: number, acc: number): void => {
    if (remaining === 0) {
      const total = acc + finalCost();
      // Ties go to the parts with the lowest operands, as opt_einsum's order would.
      if (total < bestCost || (total === bestCost && lexLess(chosen, bestParts))) {
        bestCost = total;
        bestParts = [...chosen];
      }
      return;
    }
    const low = remaining & -remaining;
    const rest = remaining ^ low;
    // Larger parts first: they usually leave a cheaper final step.
    for (let t = rest; budget > 0; t = (t - 1) & rest) {
      budget--;
      const part = t | low;
      const c = (part & (part - 1)) === 0 ? 0 : cost[part];
      // A finite cost means the part was built within the limit.
      if (c < Infinity && acc + c <= bestCost) {
        chosen.push(part);
        search(remaining ^ part, acc + c);
        chosen.pop();
      }
      if (t === 0) break;
    }
  };
  search(full, 0);
  return bestParts;
}

/** Lexicographic order on parts listed as the search picks them (by lowest operand). */
function lexLess(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i];
  return a.length < b.length;
}
