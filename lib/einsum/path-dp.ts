// opt_einsum's 'dp' optimizer (DynamicProgramming, after Pfeifer et al.,
// Phys. Rev. E 90, 033315): indices private to one operand are summed first,
// operands that share no summed index are planned apart and joined by outer
// products at the end, smallest first, and within each connected group only
// contractions that sum something are tried. Candidates are kept only while
// their cost (the summed sizes of every step's index span) stays under a cap
// that starts at the size of the group's output and grows until the group is
// complete, which skips most of the search on typical networks.

import { IndexSpace, equal, isEmpty, members, minus } from './bitset';
import { Path, PathProblem, Tree, ssaToLinear, treeToSsa } from './problem';

/** Operands in one connected group are tracked as bits of a 32-bit mask. */
export const DP_MAX_GROUP = 31;

interface Entry {
  readonly legs: Uint32Array;
  readonly cost: number;
  readonly tree: Tree;
}

/** The path, or null when no order keeps every intermediate within the memory limit. */
export function dpPath(p: PathProblem): Path | null {
  const n = p.inputs.length;
  if (n === 1) return [[0]];
  const { space } = p;
  const nIdx = space.sizes.length;

  // Indices used by exactly one operand and not by the output.
  const count = new Int32Array(nIdx);
  for (const s of [...p.inputs, p.output]) for (const i of members(s)) count[i]++;
  const single = space.of(Array.from({ length: nIdx }, (_, i) => i).filter((i) => count[i] === 1));

  const reduced = p.inputs.map((s) => minus(s, single));
  const done: { tree: Tree; size: number }[] = [];
  const live: number[] = [];
  const leaf: Tree[] = [];
  p.inputs.forEach((s, k) => {
    if (isEmpty(reduced[k])) {
      // Reduced to a scalar: joined at the very end. A scalar input needs no step.
      done.push({ tree: isEmpty(s) ? k : { reduce: k }, size: 1 });
    } else {
      live.push(k);
    }
    leaf.push(equal(reduced[k], s) ? k : { reduce: k });
  });

  const results = [...done];
  for (const group of connectedGroups(p, live, reduced)) {
    const r = solveGroup(p, space, group, reduced, leaf);
    if (!r) return null;
    results.push(r);
  }
  // Outer products last, smallest results first (a stable sort, as opt_einsum's).
  results.sort((a, b) => a.size - b.size);
  let tree = results[0].tree;
  for (let i = 1; i < results.length; i++) tree = [tree, results[i].tree];
  return ssaToLinear(n, treeToSsa(n, tree));
}

/** Operands linked by a shared summed index, each group ascending. */
function connectedGroups(p: PathProblem, live: number[], reduced: readonly Uint32Array[]): number[][] {
  const summed = reduced.map((s) => minus(s, p.output));
  const unused = new Set(live);
  const groups: number[][] = [];
  for (const start of live) {
    if (!unused.has(start)) continue;
    unused.delete(start);
    const group = [start];
    for (let q = 0; q < group.length; q++) {
      for (const k of [...unused]) {
        let linked = false;
        for (let w = 0; w < summed[k].length; w++) if ((summed[k][w] & summed[group[q]][w]) !== 0) linked = true;
        if (linked) {
          unused.delete(k);
          group.push(k);
        }
      }
    }
    groups.push(group.sort((a, b) => a - b));
  }
  return groups;
}

function solveGroup(
  p: PathProblem,
  space: IndexSpace,
  group: number[],
  reduced: readonly Uint32Array[],
  leaf: readonly Tree[],
): { tree: Tree; size: number } | null {
  const k = group.length;
  if (k > DP_MAX_GROUP)
    throw new RangeError(`'dp' handles at most ${DP_MAX_GROUP} operands linked by summed indices, got ${k}`);
  const W = space.words;
  const out = p.output;

  // x[m]: the best known way to build each m-operand subset (bit i = group[i]).
  const x: Map<number, Entry>[] = Array.from({ length: k + 1 }, () => new Map());
  const all = space.empty();
  let minSize = Infinity;
  group.forEach((op, i) => {
    x[1].set(1 << i, { legs: reduced[op], cost: 0, tree: leaf[op] });
    for (let w = 0; w < W; w++) all[w] |= reduced[op][w];
  });
  for (const i of members(all)) minSize = Math.min(minSize, space.sizes[i]);
  const groupMask = k === 31 ? 0x7fffffff : (1 << k) - 1;
  const allOut = new Uint32Array(W);
  for (let w = 0; w < W; w++) allOut[w] = all[w] & out[w];
  // A zero-size index would pin the cap at 0; start from 1 at least.
  let cap = Math.max(1, space.sizeOf(allOut));
  const growth = Math.max(minSize, 2);

  const span = new Uint32Array(W);
  const shared = new Uint32Array(W);
  const rest = new Uint32Array(W);
  while (x[k].size === 0) {
    let capped = false;
    for (let m = 2; m <= k; m++) {
      const xm = x[m];
      for (let a = 1; a <= m >> 1; a++) {
        const b = m - a;
        for (const [s1, e1] of x[a]) {
          for (const [s2, e2] of x[b]) {
            if ((s1 & s2) !== 0 || (a === b && s1 >= s2)) continue;
            let linked = false;
            for (let w = 0; w < W; w++) {
              shared[w] = e1.legs[w] & e2.legs[w] & ~out[w];
              span[w] = e1.legs[w] | e2.legs[w];
              if (shared[w] !== 0) linked = true;
            }
            if (!linked) continue; // no outer products inside a group
            const c = e1.cost + e2.cost + space.sizeOf(span);
            if (c > cap) {
              capped = true;
              continue;
            }
            const s = s1 | s2;
            const known = xm.get(s);
            if (known && c >= known.cost) continue;
            // A shared index survives only if an operand outside s still uses it.
            rest.fill(0);
            for (let r = groupMask & ~s; r !== 0; r &= r - 1) {
              const op = group[31 - Math.clz32(r & -r)];
              for (let w = 0; w < W; w++) rest[w] |= reduced[op][w];
            }
            const legs = new Uint32Array(W);
            for (let w = 0; w < W; w++) legs[w] = span[w] & ~(shared[w] & ~rest[w]);
            if (space.sizeOf(legs) > p.memoryLimit) continue;
            xm.set(s, { legs, cost: c, tree: [e1.tree, e2.tree] });
          }
        }
      }
    }
    if (x[k].size === 0 && !capped) return null; // only the memory limit stands in the way
    cap *= growth;
  }
  const final = [...x[k].values()][0];
  return { tree: final.tree, size: space.sizeOf(final.legs) };
}
