// numpy's greedy optimizer (numpy.core.einsumfunc._greedy_path), step for
// step. It ranks pairs as opt_einsum's greedy does, by the memory a step
// frees, but breaks ties by the step's FLOPs and considers every pair that
// shares an index rather than each operand's best one; on random networks of
// 13-30 operands neither heuristic is always the cheaper, so 'auto' runs
// both (paths.ts). Like numpy, a pair's rank is computed when the pair is
// first seen and kept after other steps, and pairs sharing no index are only
// tried when no other pair is left. Unlimited memory only.

import { intersects, isEmpty, minus, union } from './bitset';
import { Path, PathProblem, flopCount } from './problem';

interface Contraction {
  /** numpy's sort key: memory freed (larger first), then FLOPs. */
  readonly removed: number;
  readonly cost: number;
  /** Positions in the current operand list, x < y. */
  readonly x: number;
  readonly y: number;
  /** The operand list after this step: the others in order, then the result. */
  sets: Uint32Array[];
}

const better = (a: Contraction, b: Contraction): boolean => (a.removed !== b.removed ? a.removed > b.removed : a.cost < b.cost);

export function numpyGreedyPath(p: PathProblem): Path {
  const n = p.inputs.length;
  if (n === 1) return [[0]];
  if (n === 2) return [[0, 1]];
  const { space } = p;
  let sets = [...p.inputs];

  let all = space.empty();
  for (const s of sets) all = union(all, s);
  const inner = sets.reduce((k, s) => k + bitCount(s), 0) > bitCount(all);
  const naiveCost = flopCount(space.sizeOf(all), inner, n);

  let pathCost = 0;
  const path: Path = [];

  const contraction = (x: number, y: number): Contraction | null => {
    let keep = p.output;
    sets.forEach((s, i) => {
      if (i !== x && i !== y) keep = union(keep, s);
    });
    const span = union(sets[x], sets[y]);
    const result = space.empty();
    for (let w = 0; w < result.length; w++) result[w] = span[w] & keep[w];
    const cost = flopCount(space.sizeOf(span), !isEmpty(minus(span, result)), 2);
    if (pathCost + cost > naiveCost) return null;
    const removed = space.sizeOf(sets[x]) + space.sizeOf(sets[y]) - space.sizeOf(result);
    return { removed, cost, x, y, sets: [...sets.filter((_, i) => i !== x && i !== y), result] };
  };

  let known: Contraction[] = [];
  let pairs: [number, number][] = allPairs(n);
  for (let iter = 0; iter < n - 1; iter++) {
    for (const [x, y] of pairs) {
      if (!intersects(sets[x], sets[y])) continue;
      const c = contraction(x, y);
      if (c) known.push(c);
    }
    if (known.length === 0) {
      // Only outer products are left.
      for (const [x, y] of allPairs(sets.length)) {
        const c = contraction(x, y);
        if (c) known.push(c);
      }
      if (known.length === 0) {
        path.push(sets.map((_, i) => i));
        break;
      }
    }
    let best = known[0];
    for (const c of known) if (better(c, best)) best = c;
    known = update(known, best);
    sets = best.sets;
    const last = sets.length - 1;
    pairs = Array.from({ length: last }, (_, i): [number, number] => [i, last]);
    path.push([best.x, best.y]);
    pathCost += best.cost;
  }
  return path;
}

function allPairs(n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let x = 0; x < n; x++) for (let y = x + 1; y < n; y++) out.push([x, y]);
  return out;
}

/** numpy's _update_other_results: drops pairs that used the contracted operands and renumbers the rest. */
function update(known: readonly Contraction[], best: Contraction): Contraction[] {
  const { x: bx, y: by } = best;
  const made = best.sets[best.sets.length - 1];
  const out: Contraction[] = [];
  for (const c of known) {
    const { x, y } = c;
    if (x === bx || x === by || y === bx || y === by) continue;
    const sets = [...c.sets];
    sets.splice(by - Number(by > x) - Number(by > y), 1);
    sets.splice(bx - Number(bx > x) - Number(bx > y), 1);
    sets.splice(sets.length - 1, 0, made);
    out.push({ removed: c.removed, cost: c.cost, x: x - Number(x > bx) - Number(x > by), y: y - Number(y > bx) - Number(y > by), sets });
  }
  return out;
}

function bitCount(s: Uint32Array): number {
  let c = 0;
  for (let w = 0; w < s.length; w++) {
    let v = s[w];
    while (v) {
      v &= v - 1;
      c++;
    }
  }
  return c;
}
