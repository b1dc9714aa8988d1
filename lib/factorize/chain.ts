// Lowers a factorized layer's forward einsum, for a path chosen by
// contractPath, to the native chain (native/kernels/factorized/chain.h).
//
// Every intermediate is token-major and contiguous per token, so the same
// steps serve any block of tokens. Steps that touch only weights are done
// once here and their results kept as weights. Each remaining step
// contracts the activation with one weight: as a GEMM whose B operand is the
// weight, laid out once as [contracted, kept] (packed for the blocked GEMM,
// or padded for the narrow-weight kernel when it has few columns), with the
// tokens in the GEMM's rows when the activation's kept indices precede its
// contracted ones and as a loop over tokens when they follow them; otherwise
// the activation is first permuted. The order of the weight's kept indices is
// chosen so that the next step finds its contracted indices last and needs
// no permute where that is possible. Steps whose operands share an index
// they both keep (a Hadamard index, as in CP) run as a sum of products.
import { einsumSync, PathInfo } from '../einsum';
import type { ChainCreateArgs, ChainRefArg, ChainStepArg } from '../native';
import { Tensor } from '../tensor';
import { permuteArray } from './tensor64';

type Buf = 'x' | 'y' | 's0' | 's1';

/**
 * Steps run on the narrow-weight kernel when the weight has at most
 * NARROW_MAX columns, or at most NARROW_WIDE columns over at most NARROW_DEEP
 * rows (a 64-column slice of it then fits L1), or when they loop over tokens.
 */
export const NARROW_MAX = 64;
export const NARROW_WIDE = 256;
export const NARROW_DEEP = 256;

interface Item {
  /** Index letters in memory order; activations carry the token letter first. */
  readonly ids: string;
  /** Weights (and weight-only intermediates): contiguous data in `ids` order. */
  readonly data?: Float32Array;
  readonly buf?: Buf;
}

export interface ChainSpec {
  readonly token: string;
  readonly inIds: string;
  readonly outIds: string;
  readonly weights: readonly { ids: string; data: Float32Array }[];
  readonly sizes: ReadonlyMap<string, number>;
  readonly bias?: Float32Array;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

export interface LoweredStep {
  readonly kind: 'gemm' | 'gemm-token-loop' | 'gemm-weight-left' | 'narrow' | 'narrow-token-loop' | 'permute' | 'sumProduct' | 'cached';
  /** The contraction, einsum style (the token letter included). */
  readonly subscripts: string;
  readonly flopsPerToken: number;
}

export interface LoweredChain {
  readonly args: ChainCreateArgs;
  readonly steps: readonly LoweredStep[];
  /** FLOPs per token of the steps that run per call (weight-only steps excluded). */
  readonly flopsPerToken: number;
  /** FLOPs of the weight-only steps, done once. */
  readonly cachedFlops: number;
  /** Elements of weight-only intermediates kept. */
  readonly cachedElements: number;
  /** Scratch floats per token (both buffers). */
  readonly scratchPerToken: number;
}

export function lowerChain(spec: ChainSpec, info: PathInfo): LoweredChain {
  const size = (c: string) => spec.sizes.get(c) ?? 1;
  // Size-1 indices move no pointer: drop them everywhere.
  const live = (ids: string) => [...ids].filter((c) => c === spec.token || size(c) !== 1).join('');
  const count = (ids: string) => [...ids].reduce((p, c) => (c === spec.token ? p : p * size(c)), 1);
  const T = spec.token;

  const weights: Float32Array[] = [];
  const steps: ChainStepArg[] = [];
  const lowered: LoweredStep[] = [];
  const scratch = { s0: 0, s1: 0 };
  let cachedFlops = 0, cachedElements = 0;

  const addWeight = (data: Float32Array): ChainRefArg => {
    weights.push(data);
    return { buf: 'w', weight: weights.length - 1 };
  };
  const use = (buf: Buf, ids: string) => {
    if (buf === 's0' || buf === 's1') scratch[buf] = Math.max(scratch[buf], count(ids));
  };
  const other = (b: Buf | undefined): Buf => (b === 's0' ? 's1' : 's0');
  const flops = (ids: string) => 2 * count(ids);

  /** A weight in index order `to` (letters of `w`, possibly after summing some out). */
  const arrange = (w: Item, to: string): Float32Array => {
    if (w.ids === to) return w.data!;
    if (to.length === w.ids.length) return permuteArray(w.data!, [...w.ids].map(size), [...to].map((c) => w.ids.indexOf(c)));
    return einsumOf([w], to);
  };
  /** float32 einsum over weight items (done once, at lowering). */
  const einsumOf = (items: readonly Item[], out: string): Float32Array => {
    const ops = items.map((it) => new Tensor(it.data!, [...it.ids].map(size)));
    const r = einsumSync(`${items.map((it) => it.ids).join(',')}->${out}`, ...ops);
    return r.data;
  };

  /** Strides of a token-major layout, per index; the token's is the per-token size. */
  const stridesOf = (ids: string): Map<string, number> => {
    const m = new Map<string, number>();
    let s = 1;
    for (let i = ids.length - 1; i >= 0; i--) {
      if (ids[i] === T) continue;
      m.set(ids[i], s);
      s *= size(ids[i]);
    }
    m.set(T, s);
    return m;
  };

  /** dst (ids dstIds, buffer dstBuf) = src permuted. */
  const permute = (src: Item, dstIds: string, dstBuf: Buf): Item => {
    const ss = stridesOf(src.ids), ds = stridesOf(dstIds);
    steps.push({
      kind: 'permute',
      shape: [...dstIds].map((c) => (c === T ? 1 : size(c))),
      tokenDim: dstIds.indexOf(T),
      ins: [{ buf: src.buf!, offset: 0, strides: [...dstIds].map((c) => ss.get(c)!) }],
      out: { buf: dstBuf, offset: 0, strides: [...dstIds].map((c) => ds.get(c)!) },
    });
    use(dstBuf, dstIds);
    lowered.push({ kind: 'permute', subscripts: `${src.ids}->${dstIds}`, flopsPerToken: 0 });
    return { ids: dstIds, buf: dstBuf };
  };

  // The first pass records, for each handle (inputs 0..n-1, step results
  // n + s), the step that consumes it and what that step keeps.
  const n = 1 + spec.weights.length;
  const order = Array.from({ length: n }, (_, i) => i);
  const takenBy: number[][] = [];
  info.steps.forEach((step, s) => {
    takenBy.push(step.operands.map((pos) => order.splice(pos, 1)[0]));
    order.push(n + s);
  });
  const resultOf = (s: number) => live(info.steps[s].subscripts.slice(info.steps[s].subscripts.indexOf('->') + 2));
  const termsOf = (s: number) => info.steps[s].subscripts.slice(0, info.steps[s].subscripts.indexOf('->')).split(',').map(live);
  // Indices the activation made by step s gives up in the next step that uses it.
  const contractedNext = (s: number): string => {
    const h = n + s;
    const next = takenBy.findIndex((t) => t.includes(h));
    if (next < 0) return '';
    const mine = resultOf(s);
    const others = takenBy[next].map((hh, i) => (hh === h ? '' : termsOf(next)[i])).join('');
    const res = resultOf(next);
    return [...mine].filter((c) => others.includes(c) && !res.includes(c)).join('');
  };
  const hasHadamardNext = (s: number): boolean => {
    const h = n + s;
    const next = takenBy.findIndex((t) => t.includes(h));
    if (next < 0) return false;
    const mine = resultOf(s);
    const others = takenBy[next].map((hh, i) => (hh === h ? '' : termsOf(next)[i])).join('');
    const res = resultOf(next);
    return [...mine].some((c) => c !== T && others.includes(c) && res.includes(c));
  };
  /** How the next step could read an activation laid out `ids`: 2 GEMM rows, 1 token loop, 0 permute first. */
  const fit = (ids: string, k: string): number => {
    const rest = ids.slice(1);
    const kk = [...rest].filter((c) => k.includes(c)).join('');
    const pp = [...rest].filter((c) => !k.includes(c)).join('');
    if (rest === pp + kk) return 2;
    if (rest === kk + pp) return 1;
    return 0;
  };

  const items = new Map<number, Item>();
  items.set(0, { ids: live(T + spec.inIds), buf: 'x' });
  spec.weights.forEach((w, i) => items.set(i + 1, { ids: live(w.ids), data: w.data }));
  const lastStep = info.steps.length - 1;
  const outIds = live(T + spec.outIds);

  info.steps.forEach((step, s) => {
    const taken = takenBy[s].map((h) => items.get(h)!);
    takenBy[s].forEach((h) => items.delete(h));
    const result = s === lastStep ? outIds : resultOf(s);
    const acts = taken.filter((it) => it.buf !== undefined);
    let consts = taken.filter((it) => it.buf === undefined);
    if (acts.length === 0) {
      // Weights only: done now, kept as a weight.
      const data = einsumOf(consts, result);
      cachedFlops += 2 * [...new Set(consts.map((c) => c.ids).join(''))].reduce((p, c) => p * size(c), 1);
      cachedElements += data.length;
      lowered.push({ kind: 'cached', subscripts: step.subscripts, flopsPerToken: 0 });
      items.set(n + s, { ids: result, data });
      return;
    }
    let a = acts[0];
    if (consts.length > 1) {
      // Merge the weights first, keeping what the activation or result needs.
      const keep = [...new Set(consts.map((c) => c.ids).join(''))].filter((c) => a.ids.includes(c) || result.includes(c)).join('');
      const data = einsumOf(consts, keep);
      cachedElements += data.length;
      consts = [{ ids: keep, data }];
    }
    const last = s === lastStep;
    if (consts.length === 0) {
      // A reduction of the activation alone.
      const dst: Buf = last ? 'y' : other(a.buf);
      const loop = result + [...a.ids].filter((c) => !result.includes(c)).join('');
      const as = stridesOf(a.ids), ds = stridesOf(result);
      steps.push({
        kind: 'sumProduct',
        shape: [...loop].map((c) => (c === T ? 1 : size(c))),
        tokenDim: loop.indexOf(T),
        ins: [{ buf: a.buf!, offset: 0, strides: [...loop].map((c) => as.get(c) ?? 0) }],
        out: { buf: dst, offset: 0, strides: [...loop].map((c) => (result.includes(c) ? ds.get(c)! : 0)) },
      });
      use(dst, result);
      lowered.push({ kind: 'sumProduct', subscripts: `${a.ids}->${result}`, flopsPerToken: count(loop) });
      items.set(n + s, { ids: result, buf: dst });
      return;
    }
    const w = consts[0];
    const K = [...a.ids].filter((c) => c !== T && w.ids.includes(c) && !result.includes(c)).join('');
    const H = [...a.ids].filter((c) => c !== T && w.ids.includes(c) && result.includes(c)).join('');
    const P = [...a.ids].filter((c) => c !== T && !w.ids.includes(c)).join('');
    const Q = [...w.ids].filter((c) => !a.ids.includes(c) && result.includes(c)).join('');
    const aOnlySummed = [...P].some((c) => !result.includes(c));
    const span = [...new Set(a.ids + w.ids)].join('');

    if (H || aOnlySummed) {
      // A sum of products over every index of the step.
      const outLayout = last ? outIds : T + H + [...P].filter((c) => result.includes(c)).join('') + Q;
      const dst: Buf = last ? 'y' : other(a.buf);
      const loop = outLayout + [...span].filter((c) => !outLayout.includes(c)).join('');
      const wData = arrange(w, [...w.ids].filter((c) => span.includes(c)).join(''));
      const wr = addWeight(wData);
      const as = stridesOf(a.ids), ws = stridesOf(w.ids), os = stridesOf(outLayout);
      ws.set(T, 0);
      steps.push({
        kind: 'sumProduct',
        shape: [...loop].map((c) => (c === T ? 1 : size(c))),
        tokenDim: loop.indexOf(T),
        ins: [
          { buf: a.buf!, offset: 0, strides: [...loop].map((c) => as.get(c) ?? 0) },
          { ...wr, offset: 0, strides: [...loop].map((c) => (w.ids.includes(c) ? ws.get(c)! : 0)) },
        ],
        out: { buf: dst, offset: 0, strides: [...loop].map((c) => (outLayout.includes(c) ? os.get(c)! : 0)) },
      });
      use(dst, outLayout);
      lowered.push({ kind: 'sumProduct', subscripts: `${a.ids},${w.ids}->${outLayout}`, flopsPerToken: flops(loop) });
      items.set(n + s, { ids: outLayout, buf: dst });
      return;
    }

    // GEMM: the activation's kept (P) and contracted (K) indices must each be
    // one block; otherwise permute it to [token, P, K].
    let form = fit(a.ids, K);
    if (form === 0 || (form === 1 && (!P || !K))) {
      a = permute(a, T + P + K, other(a.buf));
      form = 2;
    }
    const pOrder = [...a.ids.slice(1)].filter((c) => P.includes(c)).join('');
    const kOrder = [...a.ids.slice(1)].filter((c) => K.includes(c)).join('');
    if (last && form === 1) {
      // The output may want the weight's kept indices first ([T, Q, P]): then
      // each token's product is Wᵀ [Q, K] · X_t [K, P], Wᵀ packed once and the
      // activation read in place, written in final order with no permute.
      const want = outIds.slice(1);
      const qFirst = want.slice(0, want.length - pOrder.length);
      if (want.endsWith(pOrder) && qFirst.length === Q.length && [...qFirst].every((c) => Q.includes(c))) {
        const pN = count(pOrder), kN = count(kOrder), qN = count(qFirst);
        steps.push({
          kind: 'gemm',
          m: qN,
          n: pN,
          k: kN,
          rsA: kN,
          csA: 1,
          rsB: pN,
          csB: 1,
          rsC: pN,
          a: addWeight(arrange(w, qFirst + kOrder)),
          b: { buf: a.buf!, offset: 0 },
          c: { buf: 'y', offset: 0 },
          loops: [{ token: true, sa: 0, sb: count(a.ids), sc: qN * pN }],
          weightLeft: true,
        });
        lowered.push({ kind: 'gemm-weight-left', subscripts: `${qFirst + kOrder},${a.ids}->${outIds}`, flopsPerToken: 2 * pN * kN * qN });
        items.set(n + s, { ids: outIds, buf: 'y' });
        return;
      }
    }
    // The order of Q: what the output needs, or what spares the next step a permute.
    let qOrder = Q;
    let direct = true;
    if (last) {
      const want = outIds.slice(1);
      if (want.startsWith(pOrder) && [...want.slice(pOrder.length)].every((c) => Q.includes(c))) qOrder = want.slice(pOrder.length);
      else direct = false;
    } else if (!hasHadamardNext(s)) {
      const kn = contractedNext(s);
      const qIn = [...Q].filter((c) => kn.includes(c)).join('');
      const qOut = [...Q].filter((c) => !kn.includes(c)).join('');
      const options = [qOut + qIn, qIn + qOut];
      let best = -1;
      for (const q of options) {
        const f = fit(T + pOrder + q, kn);
        if (f > best) {
          best = f;
          qOrder = q;
        }
      }
    }
    const dst: Buf = last && direct ? 'y' : other(a.buf);
    const outLayout = T + pOrder + qOrder;
    const pN = count(pOrder), kN = count(kOrder), qN = count(qOrder);
    const wr = addWeight(arrange(w, kOrder + qOrder));
    // A narrow weight, or a per-token product, runs on the kernel that keeps
    // the weight's rows in L1 and reads the activation in place.
    const narrow = form === 1 || qN <= NARROW_MAX || (qN <= NARROW_WIDE && kN <= NARROW_DEEP);
    const base = { kind: 'gemm' as const, n: qN, k: kN, rsB: qN, csB: 1, rsC: qN, b: wr, c: { buf: dst, offset: 0 }, ...(narrow ? { narrow: true } : { pack: true }) };
    if (form === 2) {
      steps.push({ ...base, m: pN, mToken: true, rsA: kN, csA: 1, a: { buf: a.buf!, offset: 0 } });
    } else {
      steps.push({
        ...base,
        m: pN,
        rsA: 1,
        csA: pN,
        a: { buf: a.buf!, offset: 0 },
        loops: [{ token: true, sa: count(a.ids), sb: 0, sc: pN * qN }],
      });
    }
    use(dst, outLayout);
    lowered.push({
      kind: narrow ? (form === 2 ? 'narrow' : 'narrow-token-loop') : form === 2 ? 'gemm' : 'gemm-token-loop',
      subscripts: `${a.ids},${kOrder + qOrder}->${outLayout}`,
      flopsPerToken: 2 * pN * kN * qN,
    });
    let made: Item = { ids: outLayout, buf: dst };
    if (last && !direct) made = permute(made, outIds, 'y');
    items.set(n + s, made);
  });

  const final = [...items.values()][0];
  if (!final || final.buf !== 'y') throw new Error('internal: the chain did not end in its output');
  const flopsPerToken = lowered.reduce((p, st) => p + st.flopsPerToken, 0);
  return {
    args: {
      inFeatures: spec.inFeatures,
      outFeatures: spec.outFeatures,
      s0: scratch.s0,
      s1: scratch.s1,
      weights,
      bias: spec.bias,
      steps,
    },
    steps: lowered,
    flopsPerToken,
    cachedFlops,
    cachedElements,
    scratchPerToken: scratch.s0 + scratch.s1,
  };
}
