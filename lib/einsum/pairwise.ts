// One step over two operands. Indices only one side has and the result
// drops are summed out of that side first. Then, with nothing summed, the
// step is an elementwise (Hadamard, batch or outer) product; when one side
// keeps no free index it is a batched dot or matrix-vector product, a sum of
// products; otherwise it is a batched GEMM (TTGT: transpose, GEMM,
// transpose), with as few transposes as strides allow.

import { Consumer, bestLayout, consumerOrder } from './layout';
import { ProgramBuilder } from './program';
import { View, countOf, fusedStride, memoryOrder, preferredOrder, strideOf } from './view';

/** The indices of a GEMM step by role: C[batch, m, n] = Σ_k A[batch, m, k] B[batch, k, n]. */
interface Groups {
  readonly batch: readonly number[];
  readonly m: readonly number[];
  readonly n: readonly number[];
  readonly k: readonly number[];
}

type GroupName = keyof Groups;

/** Sums out of `v` the indices neither `other` nor the result has. */
function sumPrivate(b: ProgramBuilder, v: View, other: View, result: ReadonlySet<number>): View {
  const keep = v.ids.filter((id) => other.ids.includes(id) || result.has(id));
  if (keep.length === v.ids.length) return v;
  const t = b.fresh(preferredOrder(keep, [v], b.sizes));
  b.sumProduct([v], t);
  b.release(v);
  return t;
}

/** A new intermediate for `ids` from `sources`, in the order its consumer reads best. */
export function freshFor(b: ProgramBuilder, ids: readonly number[], sources: readonly View[], next: Consumer | null): View {
  const preferred = preferredOrder(ids, sources, b.sizes);
  return b.fresh(bestLayout([preferred, consumerOrder(ids, preferred, next)], next, b.sizes));
}

/**
 * Contracts `x` and `y` into the indices `result`. `dst`, for the last
 * step, is the output; the returned view is dst when the step wrote there.
 * `next` says how a later step reads the result.
 */
export function contractPair(b: ProgramBuilder, x: View, y: View, result: readonly number[], dst: View | null, next: Consumer | null): View {
  const keep = new Set(result);
  const a = sumPrivate(b, x, y, keep);
  const c = sumPrivate(b, y, a, keep);
  const inA = new Set(a.ids), inC = new Set(c.ids);
  const groups: Groups = {
    batch: a.ids.filter((id) => inC.has(id) && keep.has(id)),
    m: a.ids.filter((id) => !inC.has(id)),
    n: c.ids.filter((id) => !inA.has(id)),
    k: a.ids.filter((id) => inC.has(id) && !keep.has(id)),
  };
  if (groups.k.length === 0 || groups.m.length === 0 || groups.n.length === 0) {
    const target = dst ?? freshFor(b, result, [a, c], next);
    if (groups.k.length === 0) b.multiply(a, c, target);
    else b.sumProduct([a, c], target);
    b.release(a);
    b.release(c);
    return target;
  }
  return gemmStep(b, a, c, groups, dst, next);
}

/**
 * How the GEMM reads an input: in place (each of its index groups one
 * strided dimension), through offset tables (groups that do not fuse: the
 * GEMM's packing gathers them), or from a permuted copy.
 */
type Mode = 'fuse' | 'index' | 'copy';

interface Choice {
  modeA: Mode;
  modeB: Mode;
  copyC: boolean;
  orders: Record<GroupName, number[]>;
  /** Leading batch indices run as separate GEMM calls (their strides do not chain). */
  outer: number[];
  cost: number;
}

type Who = 'A' | 'B' | 'C';

/** Which views hold each group. */
const USERS: Record<GroupName, readonly Who[]> = { batch: ['A', 'B', 'C'], m: ['A', 'C'], n: ['B', 'C'], k: ['A', 'B'] };

/**
 * A copy avoided is worth this many extra GEMM calls' overhead, in elements
 * copied; past MAX_CALLS a copy is made anyway.
 */
const CALL_COST = 16384;
const MAX_CALLS = 256;

/**
 * An input read through offset tables costs this fraction of its elements
 * each time the GEMM packs it, over a plain strided packing, while the
 * packing copies runs of at least RUN contiguous elements across each
 * panel; shorter runs cost proportionally more. A copy costs all of them,
 * written and read again (docs/PERF.md, einsum item 11). A is packed once
 * per block of NC_BLOCK columns, B once.
 */
const INDEX_COST = 0.25;
const RUN = 16;
/** Building and walking the tables, per call: small operands are copied instead. */
const INDEX_CALL_COST = 8192;
const NC_BLOCK = 1024;

/** Elements of `v` that `order`'s innermost dims put next to each other. */
function unitRun(v: View, order: readonly number[], sizes: readonly number[]): number {
  let run = 1;
  for (let i = order.length - 1; i >= 0 && strideOf(v, order[i]) === run; i--) run *= sizes[order[i]];
  return run;
}

/**
 * C narrower than one AVX-512 register tile (32 columns) runs one tile per
 * row panel, so packing A's rows dominates: 16384 x 24 x 96 took 2.1 ms,
 * the same product with rows and columns swapped 0.85 ms. When the output
 * would be written that narrow, writing Cᵀ to the arena and transposing it
 * (rows x cols elements copied) is cheaper once k outgrows the columns; in
 * the cost below a narrow output is charged rows x k elements.
 */
const NARROW_COLS = 32;

function narrowCost(rows: number, cols: number, k: number): number {
  return cols < NARROW_COLS && rows > cols ? rows * k : 0;
}

/** True when every view walks `order` as one strided dimension in that order. */
function allFuse(views: readonly View[], order: readonly number[], sizes: readonly number[]): boolean {
  return views.every((v) => {
    const own = memoryOrder(v, order);
    return own.join() === order.join() && fusedStride(v, own, sizes) !== null;
  });
}

/**
 * When the batch indices do not chain in every kept view (heads interleaved
 * with sequence positions, say), the longest trailing run that does becomes
 * the GEMM's batch and the rest are looped over, one call each: fewest calls.
 */
function splitBatch(batch: readonly number[], views: readonly View[], sizes: readonly number[]): { outer: number[]; inner: number[] } | null {
  let best: { outer: number[]; inner: number[] } | null = null;
  for (const base of views) {
    const order = memoryOrder(base, batch);
    for (let cut = 1; cut <= order.length; cut++) {
      const inner = order.slice(cut);
      if (!allFuse(views, inner, sizes)) continue;
      const outer = order.slice(0, cut);
      if (!best || countOf(outer, sizes) < countOf(best.outer, sizes)) best = { outer, inner };
      break;
    }
  }
  return best;
}

/**
 * One index order per group that every view kept in place walks as a single
 * strided dimension, or null when they disagree; the batch group may instead
 * be split into looped and fused parts. A group no kept view holds follows
 * the memory order of a view that will be copied, so the copy reads its
 * source in order.
 */
function commonOrders(
  groups: Groups,
  kept: Record<Who, View | null>,
  indexed: Record<Who, View | null>,
  all: Record<Who, View | null>,
  sizes: readonly number[],
): { orders: Record<GroupName, number[]>; outer: number[] } | null {
  const orders = {} as Record<GroupName, number[]>;
  let outer: number[] = [];
  for (const name of ['batch', 'm', 'n', 'k'] as const) {
    // Offset tables cover rows and columns; the batch stays one stride.
    const bound = name === 'batch' ? (who: Who) => kept[who] ?? indexed[who] : (who: Who) => kept[who];
    const views = USERS[name].map(bound).filter((v): v is View => v !== null);
    const source = USERS[name].map((who) => all[who]).find((v) => v !== null);
    const first = views.length > 0 ? memoryOrder(views[0], groups[name]) : source ? memoryOrder(source, groups[name]) : [...groups[name]];
    if (allFuse(views, first, sizes)) {
      orders[name] = first;
      continue;
    }
    if (name !== 'batch') return null;
    const split = splitBatch(groups.batch, views, sizes);
    if (!split) return null;
    outer = split.outer;
    orders.batch = [...split.outer, ...split.inner];
  }
  return { orders, outer };
}

const MODES: readonly Mode[] = ['fuse', 'index', 'copy'];

/**
 * Picks how to read A and B and whether to copy (for the last step) the
 * output so that each group is one strided dimension wherever it is read in
 * place, or that looping over some batch indices makes it so: the cheapest
 * choice, counting elements copied or gathered and calls made. Copying
 * everything always works.
 */
function choose(b: ProgramBuilder, a: View, c: View, groups: Groups, dst: View | null): Choice {
  const sizes = b.sizes;
  const all = { A: a, B: c, C: dst };
  let best: Choice | null = null;
  for (const modeA of MODES)
    for (const modeB of MODES)
      for (const copyC of dst ? [false, true] : [true]) {
        const kept = { A: modeA === 'fuse' ? a : null, B: modeB === 'fuse' ? c : null, C: copyC ? null : dst };
        const indexed = { A: modeA === 'index' ? a : null, B: modeB === 'index' ? c : null, C: null };
        const found = commonOrders(groups, kept, indexed, all, sizes);
        if (!found) continue;
        let narrow = 0;
        if (!copyC && dst) {
          // The output's unit-stride index must be a GEMM column index.
          const inner = dst.ids[dst.strides.indexOf(1)];
          if (!groups.m.includes(inner) && !groups.n.includes(inner)) continue;
          const [cols, rows] = groups.m.includes(inner) ? [groups.m, groups.n] : [groups.n, groups.m];
          narrow = narrowCost(countOf(rows, sizes), countOf(cols, sizes), countOf(groups.k, sizes));
        }
        const calls = countOf(found.outer, sizes);
        if (calls > MAX_CALLS) continue;
        const sizeA = countOf(a.ids, sizes), sizeB = countOf(c.ids, sizes);
        // The GEMM's left operand is packed along k once per column block,
        // its right one along C's columns once. Which of A and B is which
        // follows the output's unit stride, or for a new intermediate which
        // group is larger (gemmStep keeps to that when it gathers).
        const o = found.orders;
        const swap = !copyC && dst ? o.m.includes(dst.ids[dst.strides.indexOf(1)]) : countOf(o.n, sizes) < countOf(o.m, sizes);
        // The packing copies runs across the panel (its rows for the left
        // operand, its columns for the right) as spans; runs along k alone
        // make it a transpose, element by element, dearer than a copy.
        const gather = (v: View, across: number[]) => INDEX_COST * Math.max(1, RUN / unitRun(v, across, sizes));
        const asLeft = (v: View, rows: number[], cols: number[]) =>
          INDEX_CALL_COST + gather(v, rows) * countOf(v.ids, sizes) * Math.ceil(countOf(cols, sizes) / NC_BLOCK);
        const asRight = (v: View, cols: number[]) => INDEX_CALL_COST + gather(v, cols) * countOf(v.ids, sizes);
        const indexA = () => (swap ? asRight(a, o.m) : asLeft(a, o.m, o.n));
        const indexB = () => (swap ? asLeft(c, o.n, o.m) : asRight(c, o.n));
        const moved =
          (modeA === 'copy' ? sizeA : modeA === 'index' ? indexA() : 0) +
          (modeB === 'copy' ? sizeB : modeB === 'index' ? indexB() : 0) +
          (dst && copyC ? countOf(dst.ids, sizes) : 0);
        const cost = moved + (calls - 1) * CALL_COST + narrow;
        if (!best || cost < best.cost) best = { modeA, modeB, copyC, orders: found.orders, outer: found.outer, cost };
      }
  // Unreachable: with everything copied no constraint is left.
  if (!best) throw new Error('einsum: no GEMM layout found');
  return best;
}

/**
 * A group's index dims in `v` as flattened [size, stride] pairs, outermost
 * first, for the GEMM's offset tables; dims that chain are merged.
 */
function groupDims(v: View, order: readonly number[], sizes: readonly number[]): number[] {
  const dims: number[] = [];
  for (const id of order) {
    const size = sizes[id], stride = strideOf(v, id);
    if (size === 1) continue;
    const last = dims.length - 2;
    if (last >= 0 && dims[last + 1] === stride * size) {
      dims[last] *= size;
      dims[last + 1] = stride;
    } else dims.push(size, stride);
  }
  return dims.length > 0 ? dims : [1, 0];
}

function gemmStep(b: ProgramBuilder, a: View, c: View, groups: Groups, dst: View | null, next: Consumer | null): View {
  const sizes = b.sizes;
  const ch = choose(b, a, c, groups, dst);
  const o = ch.orders;
  // C's columns must be unit stride: in the output that decides which of m
  // and n are the rows. A new intermediate may take either as rows, and put
  // the batch first or between rows and columns: whatever its consumer
  // reads without a copy.
  const out = !ch.copyC && dst ? dst : null;
  let layout: number[] | null = null;
  let swap: boolean;
  if (out) {
    swap = o.m.includes(out.ids[out.strides.indexOf(1)]);
  } else {
    // On a tie the larger group takes the columns: the microkernels are
    // wider than tall, so a narrow C wastes most of each register tile.
    const pairs = b.count(o.n) >= b.count(o.m) ? [[o.m, o.n], [o.n, o.m]] : [[o.n, o.m], [o.m, o.n]];
    // choose() costed a gathered input on the side the first pair puts it.
    const gathers = ch.modeA === 'index' || ch.modeB === 'index';
    const candidates: number[][] = [];
    for (const [r, s] of gathers ? pairs.slice(0, 1) : pairs) {
      candidates.push([...o.batch, ...r, ...s]);
      if (o.batch.length > 0) candidates.push([...r, ...o.batch, ...s]);
    }
    layout = bestLayout(candidates, next, sizes);
    swap = layout[layout.length - 1] !== o.n[o.n.length - 1];
  }
  const rows = swap ? o.n : o.m;
  const cols = swap ? o.m : o.n;
  let left = swap ? c : a;
  let right = swap ? a : c;
  const modeLeft = swap ? ch.modeB : ch.modeA;
  const modeRight = swap ? ch.modeA : ch.modeB;
  if (modeLeft === 'copy') {
    const t = b.fresh([...o.batch, ...rows, ...o.k]);
    b.permute(left, t);
    b.release(left);
    left = t;
  }
  if (modeRight === 'copy') {
    const t = b.fresh([...o.batch, ...o.k, ...cols]);
    b.permute(right, t);
    b.release(right);
    right = t;
  }
  const target = out ?? b.fresh(layout as number[]);
  const fused = (v: View, order: readonly number[]) => fusedStride(v, order, sizes) as number;
  const inner = o.batch.filter((id) => !ch.outer.includes(id));
  const m = b.count(rows), n = b.count(cols), k = b.count(o.k), batch = b.count(inner);
  const a0 = modeLeft === 'index'
    ? { bs: fused(left, inner), rs: 0, cs: 0, groups: { rows: groupDims(left, rows, sizes), cols: groupDims(left, o.k, sizes) } }
    : { bs: fused(left, inner), rs: fused(left, rows), cs: fused(left, o.k) };
  const b0 = modeRight === 'index'
    ? { bs: fused(right, inner), rs: 0, cs: 0, groups: { rows: groupDims(right, o.k, sizes), cols: groupDims(right, cols, sizes) } }
    : { bs: fused(right, inner), rs: fused(right, o.k), cs: fused(right, cols) };
  const c0 = { bs: fused(target, inner), rs: fused(target, rows), cs: 1 };
  // One call per position of the looped batch indices.
  const shape = ch.outer.map((id) => sizes[id]);
  const idx = shape.map(() => 0);
  for (let t = 0, calls = b.count(ch.outer); t < calls; t++) {
    let oa = left.offset, ob = right.offset, oc = target.offset;
    ch.outer.forEach((id, d) => {
      oa += idx[d] * strideOf(left, id);
      ob += idx[d] * strideOf(right, id);
      oc += idx[d] * strideOf(target, id);
    });
    b.gemm(m, n, k, batch, { buf: left.buf, offset: oa, ...a0 }, { buf: right.buf, offset: ob, ...b0 }, { buf: target.buf, offset: oc, ...c0 });
    for (let d = shape.length - 1; d >= 0 && ++idx[d] === shape[d]; d--) idx[d] = 0;
  }
  b.release(left);
  b.release(right);
  return target;
}
