// opt_einsum's branch-and-bound optimizer ('branch-all', 'branch-2',
// 'branch-1'): depth first over pairwise contractions, trying at each step
// the `nbranch` pairs that shrink memory the most, and abandoning a branch
// once it costs more than the best complete path, or more than `cutoff`
// times the best cost seen at the same depth. Outer products are tried only
// when no pair shares an index. A pair whose result would exceed the memory
// limit ends its branch with one contraction of everything left.

import { intersects, isEmpty, minus, union } from './bitset';
import { Path, PathProblem, flopCount, ssaToLinear } from './problem';

interface Candidate {
  readonly heuristic: number;
  readonly flops12: number;
  readonly flops: number;
  readonly size: number;
  readonly i: number;
  readonly j: number;
  readonly result: Uint32Array;
  readonly resultSize: number;
}

function compare(a: Candidate, b: Candidate): number {
  return a.heuristic - b.heuristic || a.flops12 - b.flops12 || a.flops - b.flops || a.size - b.size || a.i - b.i || a.j - b.j;
}

export function branchPath(p: PathProblem, nbranch = Infinity, cutoff = 4): Path {
  const n = p.inputs.length;
  if (n === 1) return [[0]];
  const { space } = p;
  // Single-assignment operands of the branch being explored (a stack).
  const sets: Uint32Array[] = [...p.inputs];
  const sizes: number[] = p.inputs.map((s) => space.sizeOf(s));
  let bestFlops = Infinity;
  let bestSize = Infinity;
  let bestPath: number[][] | null = null;
  const progress = new Map<number, number>();

  const assess = (i: number, j: number, remaining: readonly number[], path: readonly number[][], flops: number, size: number): Candidate | null => {
    let keep = p.output;
    for (const r of remaining) if (r !== i && r !== j) keep = union(keep, sets[r]);
    const span = union(sets[i], sets[j]);
    const result = space.empty();
    for (let w = 0; w < result.length; w++) result[w] = span[w] & keep[w];
    const flops12 = flopCount(space.sizeOf(span), !isEmpty(minus(span, result)), 2);
    const resultSize = space.sizeOf(result);
    const newFlops = flops + flops12;
    const newSize = Math.max(size, resultSize);
    if (!(newFlops < bestFlops || (newFlops === bestFlops && newSize < bestSize))) return null;
    const depth = sets.length;
    const seen = progress.get(depth) ?? Infinity;
    if (newFlops < seen) progress.set(depth, newFlops);
    else if (newFlops > cutoff * seen) return null;
    if (resultSize > p.memoryLimit) {
      let all = space.empty();
      for (const r of remaining) all = union(all, sets[r]);
      const total = flops + flopCount(space.sizeOf(all), !isEmpty(minus(all, p.output)), remaining.length);
      if (total < bestFlops) {
        bestFlops = total;
        bestPath = [...path, [...remaining]];
      }
      return null;
    }
    return { heuristic: resultSize - sizes[i] - sizes[j], flops12, flops: newFlops, size: newSize, i, j, result, resultSize };
  };

  const iterate = (path: number[][], remaining: number[], flops: number, size: number): void => {
    if (remaining.length === 1) {
      bestFlops = flops;
      bestSize = size;
      bestPath = path;
      return;
    }
    const candidates: Candidate[] = [];
    const scan = (outer: boolean) => {
      for (let a = 0; a < remaining.length; a++) {
        for (let b = a + 1; b < remaining.length; b++) {
          const i = remaining[a];
          const j = remaining[b];
          if (!outer && !intersects(sets[i], sets[j])) continue;
          const c = assess(i, j, remaining, path, flops, size);
          if (c) candidates.push(c);
        }
      }
    };
    scan(false);
    if (candidates.length === 0) scan(true);
    candidates.sort(compare);
    for (let b = 0; b < candidates.length && b < nbranch; b++) {
      const c = candidates[b];
      const id = sets.length;
      sets.push(c.result);
      sizes.push(c.resultSize);
      iterate([...path, [c.i, c.j]], [...remaining.filter((r) => r !== c.i && r !== c.j), id], c.flops, c.size);
      sets.pop();
      sizes.pop();
    }
  };

  iterate([], Array.from({ length: n }, (_, i) => i), 0, 0);
  return bestPath ? ssaToLinear(n, bestPath) : [Array.from({ length: n }, (_, i) => i)];
}
