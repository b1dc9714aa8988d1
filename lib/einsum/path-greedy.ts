// opt_einsum's 'greedy' optimizer, step for step, so paths match its output:
//   1. operands with the same index set are multiplied together first
//      (Hadamard products never grow anything);
//   2. repeatedly take the pair that shares a summed index and shrinks memory
//      the most (result size minus both inputs), ties to the lowest ids;
//   3. join what is left by outer products, smallest first.
// With a memory limit it runs branch-and-bound with one branch, as opt_einsum does.

import { intersect, members, minus, setKey, union } from './bitset';
import { branchPath } from './path-branch';
import { Heap } from './heap';
import { Path, PathProblem, ssaToLinear } from './problem';

type Key = number | string;

interface Candidate {
  readonly cost: number;
  /** Single-assignment ids, id1 < id2. */
  readonly id1: number;
  readonly id2: number;
  readonly k1: Key;
  readonly k2: Key;
  readonly result: Uint32Array;
}

const candidateLess = (a: Candidate, b: Candidate): boolean =>
  a.cost !== b.cost ? a.cost < b.cost : a.id2 !== b.id2 ? a.id2 < b.id2 : a.id1 < b.id1;

export function greedyPath(p: PathProblem): Path {
  const n = p.inputs.length;
  if (n === 1) return [[0]];
  if (p.memoryLimit < Infinity) return branchPath(p, 1);
  const { space } = p;
  const nIdx = space.sizes.length;

  // An index every operand has can only be summed in the last step; calling
  // it output spares all-pairs checks when operands share a batch index.
  let common = p.inputs[0];
  for (const s of p.inputs) common = intersect(common, s);
  const output = union(p.output, common);

  const remaining = new Map<Key, number>(); // index set -> single-assignment id
  const setOf = new Map<Key, Uint32Array>();
  const ssa: number[][] = [];
  let next = n;
  p.inputs.forEach((s, id) => {
    const key = setKey(s);
    const prev = remaining.get(key);
    if (prev !== undefined) {
      ssa.push([prev, id]);
      remaining.set(key, next++);
    } else {
      remaining.set(key, id);
      setOf.set(key, s);
    }
  });

  // Which operands still use each summable index, and which indices two or
  // more (three or more) operands use: those decide what a pair keeps.
  const dimToKeys: Set<Key>[] = Array.from({ length: nIdx }, () => new Set());
  for (const key of remaining.keys()) for (const d of members(minus(setOf.get(key)!, output))) dimToKeys[d].add(key);
  const ref2 = space.empty();
  const ref3 = space.empty();
  const updateRefs = (dims: readonly number[]) => {
    for (const d of dims) {
      const c = dimToKeys[d].size;
      const bit = 1 << (d & 31);
      const w = d >>> 5;
      if (c >= 2) ref2[w] |= bit;
      else ref2[w] &= ~bit;
      if (c >= 3) ref3[w] |= bit;
      else ref3[w] &= ~bit;
    }
  };
  updateRefs(members(minus(space.of(Array.from({ length: nIdx }, (_, i) => i)), output)));
  const footprint = new Map<Key, number>();
  for (const key of remaining.keys()) footprint.set(key, space.sizeOf(setOf.get(key)!));

  const candidate = (k1: Key, k2: Key): Candidate => {
    const s1 = setOf.get(k1)!;
    const s2 = setOf.get(k2)!;
    const result = space.empty();
    for (let w = 0; w < result.length; w++) {
      const both = s1[w] & s2[w];
      const one = (s1[w] | s2[w]) & ~both;
      result[w] = ((s1[w] | s2[w]) & output[w]) | (both & ref3[w]) | (one & ref2[w]);
    }
    const cost = space.sizeOf(result) - footprint.get(k1)! - footprint.get(k2)!;
    const i1 = remaining.get(k1)!;
    const i2 = remaining.get(k2)!;
    return i1 < i2 ? { cost, id1: i1, id2: i2, k1, k2, result } : { cost, id1: i2, id2: i1, k1: k2, k2: k1, result };
  };
  const queue = new Heap<Candidate>(candidateLess);
  const pushBest = (k1: Key, k2s: Iterable<Key>) => {
    let best: Candidate | null = null;
    for (const k2 of k2s) {
      const c = candidate(k1, k2);
      if (!best || candidateLess(c, best)) best = c;
    }
    if (best) queue.push(best);
  };

  for (const keys of dimToKeys) {
    const sorted = [...keys].sort((a, b) => remaining.get(a)! - remaining.get(b)!);
    for (let i = 0; i + 1 < sorted.length; i++) pushBest(sorted[i], sorted.slice(i + 1));
  }

  for (let c = queue.pop(); c; c = queue.pop()) {
    if (!remaining.has(c.k1) || !remaining.has(c.k2)) continue; // stale
    const s1 = setOf.get(c.k1)!;
    const s2 = setOf.get(c.k2)!;
    ssa.push([remaining.get(c.k1)!, remaining.get(c.k2)!]);
    remaining.delete(c.k1);
    remaining.delete(c.k2);
    for (const d of members(minus(s1, output))) dimToKeys[d].delete(c.k1);
    for (const d of members(minus(s2, output))) dimToKeys[d].delete(c.k2);
    const k12 = setKey(c.result);
    const existing = remaining.get(k12);
    if (existing !== undefined) {
      // Same index set as a live operand: multiply them at once.
      ssa.push([existing, next++]);
    } else {
      for (const d of members(minus(c.result, output))) dimToKeys[d].add(k12);
    }
    remaining.set(k12, next++);
    setOf.set(k12, c.result);
    updateRefs(members(minus(union(s1, s2), output)));
    footprint.set(k12, space.sizeOf(c.result));
    const partners = new Set<Key>();
    for (const d of members(c.result)) for (const key of dimToKeys[d]) partners.add(key);
    partners.delete(k12);
    if (partners.size > 0) pushBest(k12, partners);
  }

  // Outer products, smallest (by output indices) first.
  interface Part {
    readonly size: number;
    readonly id: number;
    readonly set: Uint32Array;
  }
  const parts = new Heap<Part>((a, b) => (a.size !== b.size ? a.size < b.size : a.id < b.id));
  for (const [key, id] of remaining) {
    const set = setOf.get(key)!;
    parts.push({ size: space.sizeOf(intersect(set, output)), id, set });
  }
  let cur = parts.pop()!;
  while (parts.size > 0) {
    const other = parts.pop()!;
    ssa.push([Math.min(cur.id, other.id), Math.max(cur.id, other.id)]);
    const set = intersect(union(cur.set, other.set), output);
    parts.push({ size: space.sizeOf(set), id: next++, set });
    cur = parts.pop()!;
  }
  return ssaToLinear(n, ssa);
}
