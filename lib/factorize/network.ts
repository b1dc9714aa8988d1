// The tensor network behind each format: which indices every factor
// carries, named by einsum letters, and float64 contraction of any subset of
// the factors (the dense weight, or the gradient with respect to one factor)
// in the order the einsum path planner picks from their shapes.
import { contractPath } from '../einsum';
import { Mat, mat } from './matrix';
import { Gen } from './ops';
import { contract64, reorder, T64 } from './tensor64';

export type Format = 'lowrank' | 'tt' | 'tucker' | 'cp';
export const FORMATS: readonly Format[] = ['lowrank', 'tt', 'tucker', 'cp'];

export interface FactorSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

export interface Network {
  /** The token index of activations. */
  readonly token: string;
  /** Input modes n_1..n_d and output modes m_1..m_d. */
  readonly inIds: string;
  readonly outIds: string;
  /** Index letters of each factor, in the order of `factors`. */
  readonly factorIds: readonly string[];
  readonly sizes: ReadonlyMap<string, number>;
}

const CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * Letters for a format's factors. Factors are named: lowrank U [out, r] and
 * V [r, in]; tt G1..Gd [r_{k-1}, n_k, m_k, r_k]; tucker C [t_1..t_d,
 * s_1..s_d] with U1..Ud [m_k, t_k] and V1..Vd [n_k, s_k] (a factor may be
 * absent: its mode was absorbed into the core, which then carries m_k or
 * n_k); cp A1..Ad [m_k, R] and B1..Bd [n_k, R].
 */
export function networkOf(format: Format, inShape: readonly number[], outShape: readonly number[], factors: readonly FactorSpec[]): Network {
  const d = inShape.length;
  let next = 0;
  const take = () => CHARS[next++];
  const token = take();
  const inIds = inShape.map(take).join('');
  const outIds = outShape.map(take).join('');
  const sizes = new Map<string, number>([[token, 1]]);
  inShape.forEach((n, k) => sizes.set(inIds[k], n));
  outShape.forEach((m, k) => sizes.set(outIds[k], m));
  const has = (name: string) => factors.some((f) => f.name === name);
  const ids = new Map<string, string>();
  switch (format) {
    case 'lowrank': {
      const r = take();
      ids.set('U', outIds[0] + r);
      ids.set('V', r + inIds[0]);
      break;
    }
    case 'tt': {
      const bonds = Array.from({ length: d + 1 }, take);
      for (let k = 0; k < d; k++) ids.set(`G${k + 1}`, bonds[k] + inIds[k] + outIds[k] + bonds[k + 1]);
      break;
    }
    case 'tucker': {
      let core = '';
      for (let k = 0; k < d; k++) {
        if (has(`U${k + 1}`)) {
          const t = take();
          ids.set(`U${k + 1}`, outIds[k] + t);
          core += t;
        } else core += outIds[k];
      }
      for (let k = 0; k < d; k++) {
        if (has(`V${k + 1}`)) {
          const s = take();
          ids.set(`V${k + 1}`, inIds[k] + s);
          core += s;
        } else core += inIds[k];
      }
      ids.set('C', core);
      break;
    }
    case 'cp': {
      const r = take();
      for (let k = 0; k < d; k++) {
        ids.set(`A${k + 1}`, outIds[k] + r);
        ids.set(`B${k + 1}`, inIds[k] + r);
      }
      break;
    }
  }
  const required = [...ids.keys()].filter((name) => format !== 'tucker' || name === 'C' || has(name));
  for (const name of required)
    if (!has(name)) throw new RangeError(`a ${format} layer needs a factor named ${name}; got ${factors.map((f) => f.name).join(', ')}`);
  const factorIds = factors.map((f) => {
    const s = ids.get(f.name);
    if (s === undefined) throw new RangeError(`a ${format} layer has no factor named ${f.name}`);
    if (s.length !== f.shape.length)
      throw new RangeError(`factor ${f.name} must have ${s.length} dims, got [${f.shape.join(', ')}]`);
    [...s].forEach((c, i) => {
      const known = sizes.get(c);
      if (known !== undefined && known !== f.shape[i] && c !== token)
        throw new RangeError(`factor ${f.name} [${f.shape.join(', ')}] has ${f.shape[i]} in dim ${i}, where the other factors or the shape give ${known}`);
      sizes.set(c, f.shape[i]);
    });
    return s;
  });
  return { token, inIds, outIds, factorIds, sizes };
}

/** Contracts the operands (float64) to the index order `out`; the order of pairwise steps comes from contractPath. */
export function* contractAll(operands: readonly { t: T64; ids: string }[], out: string): Gen<T64> {
  // Output indices no operand carries (size-1 bonds, such as a TT layer's
  // outer ones) broadcast: the data is the same without them.
  const all = operands.map((o) => o.ids).join('');
  const present = [...out].filter((c) => all.includes(c)).join('');
  if (present !== out) {
    const t = yield* contractAll(operands, present);
    let i = 0;
    return { data: t.data, shape: [...out].map((c) => (all.includes(c) ? t.shape[i++] : 1)) };
  }
  if (operands.length === 1) {
    const only = operands[0];
    if (only.ids.length !== out.length) throw new Error('internal: contractAll of one operand must not sum');
    return reorder(only.t, only.ids, out);
  }
  const subscripts = `${operands.map((o) => o.ids).join(',')}->${out}`;
  const info = contractPath(subscripts, ...operands.map((o) => o.t.shape), { optimize: operands.length <= 8 ? 'optimal' : 'greedy' });
  const list = operands.map((o) => ({ t: o.t, ids: o.ids }));
  for (const step of info.steps) {
    const taken = step.operands.map((pos) => list.splice(pos, 1)[0]);
    const result = step.subscripts.slice(step.subscripts.indexOf('->') + 2);
    let acc = taken[0];
    for (let i = 1; i < taken.length; i++) {
      // Keep what the result, or a later factor of this step, still needs.
      const later = taken.slice(i + 1).map((x) => x.ids).join('') + result;
      const keep = [...new Set([...acc.ids, ...taken[i].ids])].filter((c) => later.includes(c)).join('');
      acc = { t: yield* contract64(acc.t, acc.ids, taken[i].t, taken[i].ids, keep), ids: keep };
    }
    list.push({ t: reorder(acc.t, acc.ids, result), ids: result });
  }
  return list[0].t;
}

/**
 * The dense weight W (N_out x N_in, float64) from float64 copies of the
 * factors; with `replace`, factor `replace.index` takes other values.
 */
export function* denseWeight(
  format: Format,
  inShape: readonly number[],
  outShape: readonly number[],
  factors: readonly (FactorSpec & { readonly data: ArrayLike<number> })[],
  replace?: { readonly index: number; readonly data: Float64Array },
): Gen<Mat> {
  const net = networkOf(format, inShape, outShape, factors);
  const ops = factors.map((f, i) => {
    const data = replace && i === replace.index ? replace.data : f.data instanceof Float64Array ? f.data : Float64Array.from(f.data);
    return { t: { data, shape: f.shape } as T64, ids: net.factorIds[i] };
  });
  const t = yield* contractAll(ops, net.outIds + net.inIds);
  const nOut = outShape.reduce((p, x) => p * x, 1);
  return mat(nOut, nOut === 0 ? 0 : t.data.length / nOut, t.data);
}
