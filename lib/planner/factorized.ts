// Tensor-train, Tucker and CP formats as planner candidates: their structure
// (factor shapes, parameters), the rank caps worth weighing for a layer, and
// the decompose options that rebuild a planned format. A format's speed
// depends only on its structure, so it is timed on a layer of random factors
// of the same shapes (skeletonLayer); its error depends on the weight, so it
// is measured by decomposing for real — for CP only where a lower bound on
// its error leaves it a chance (see cp-bound.ts), because CP-ALS is slow.
import type { DecomposeOptions } from '../factorize/decompose';
import { FactorizedLinear } from '../factorize/layer';
import { tensorizations } from '../factorize/tensorize';
import { randn } from '../tensor';

export type FactorizedFormat =
  | { kind: 'tt'; in: number[]; out: number[]; ranks: number[] }
  | { kind: 'tucker'; in: number[]; out: number[]; ranks: number[]; iterations: number }
  | { kind: 'cp'; in: number[]; out: number[]; ranks: number[]; iterations: number };

/** The structure alone: what timing needs. */
export type FactorizedShape = Pick<FactorizedFormat, 'kind' | 'in' | 'out' | 'ranks'>;

/**
 * HOOI sweeps after the HOSVD for Tucker: one sweep gives most of the
 * refinement's gain at a small share of the default's (20) time.
 */
export const TUCKER_ITERATIONS = 1;

/**
 * Rank caps are sized so the factors hold about these fractions of the
 * dense parameters; smaller ones lose too much to meet useful budgets, and
 * each cap costs a decomposition per layer when planning.
 */
export const PARAM_FRACTIONS = [1 / 8, 1 / 4];

/**
 * CP ranks weighed, over the most balanced two-factor tensorization. An ALS
 * sweep costs about R³ per mode in its solves: at rank 512 five sweeps on a
 * 768x768 weight took 18 s on two cores, so larger ranks would outlast a tune.
 */
export const CP_RANKS = [32, 64, 128];
/** ALS sweeps for planned CP layers (a cap: each sweep lowers the error, so this is what the layer would have at most). */
export const CP_ITERATIONS = 10;

const prod = (a: readonly number[]) => a.reduce((p, x) => p * x, 1);

export function factorizedLabel(f: FactorizedShape): string {
  const r = new Set(f.ranks).size === 1 ? String(f.ranks[0]) : f.ranks.join(',');
  return `${f.kind}(${r}; ${f.in.join('x')}->${f.out.join('x')})`;
}

/**
 * Factor names and shapes as decompose makes them: tt G_k [r_{k-1}, n_k,
 * m_k, r_k]; tucker C [t_1..t_d, s_1..s_d], then U_k [m_k, t_k] and V_k
 * [n_k, s_k] for the modes whose rank is below their size (the others are
 * folded into the core).
 */
export function factorShapes(f: FactorizedShape): { name: string; shape: number[] }[] {
  const d = f.in.length;
  if (f.kind === 'cp') {
    const R = f.ranks[0];
    return [...f.out.map((m, k) => ({ name: `A${k + 1}`, shape: [m, R] })), ...f.in.map((n, k) => ({ name: `B${k + 1}`, shape: [n, R] }))];
  }
  if (f.kind === 'tt') {
    const bonds = [1, ...f.ranks, 1];
    return f.in.map((n, k) => ({ name: `G${k + 1}`, shape: [bonds[k], n, f.out[k], bonds[k + 1]] }));
  }
  const dims = [...f.out, ...f.in];
  const out = [{ name: 'C', shape: [...f.ranks] }];
  dims.forEach((size, j) => {
    if (f.ranks[j] < size) out.push({ name: j < d ? `U${j + 1}` : `V${j - d + 1}`, shape: [size, f.ranks[j]] });
  });
  return out;
}

export function factorizedParams(f: FactorizedShape): number {
  return factorShapes(f).reduce((p, s) => p + prod(s.shape), 0);
}

/** One rank cap applied to every bond (tt) or mode (tucker), clipped to what the unfoldings allow. */
function withCap(kind: 'tt' | 'tucker', inShape: number[], outShape: number[], cap: number): FactorizedShape {
  if (kind === 'tt') {
    const pair = inShape.map((n, k) => n * outShape[k]);
    const ranks = pair.slice(0, -1).map((_, k) => Math.min(cap, prod(pair.slice(0, k + 1)), prod(pair.slice(k + 1))));
    return { kind, in: inShape, out: outShape, ranks };
  }
  const dims = [...outShape, ...inShape];
  const total = prod(dims);
  return { kind, in: inShape, out: outShape, ranks: dims.map((s) => Math.min(cap, s, total / s)) };
}

/**
 * The formats weighed for an [out, in] layer: tt and tucker over the most
 * balanced tensorization with 2 and with 3 factors, each at the largest
 * rank cap whose factors fit each fraction of the dense parameters (caps of
 * 16 and more rounded down to a multiple of 8, which the kernels like).
 */
export function factorizedFormats(inFeatures: number, outFeatures: number): FactorizedFormat[] {
  const dense = inFeatures * outFeatures;
  const out: FactorizedFormat[] = [];
  const seen = new Set<string>();
  for (const kind of ['tt', 'tucker'] as const)
    for (const d of [2, 3]) {
      const ti = tensorizations(inFeatures, d)[0], to = tensorizations(outFeatures, d)[0];
      if (!ti || !to) continue;
      const maxCap = Math.max(...ti, ...to) ** (kind === 'tt' ? 2 : 1);
      for (const frac of PARAM_FRACTIONS) {
        let cap = 0;
        for (let r = 1; r <= maxCap && factorizedParams(withCap(kind, ti, to, r)) <= frac * dense; r++) cap = r;
        if (cap >= 16) cap -= cap % 8;
        if (cap === 0) continue;
        const f = withCap(kind, ti, to, cap);
        const label = factorizedLabel(f);
        if (seen.has(label) || factorizedParams(f) >= dense) continue;
        seen.add(label);
        out.push(kind === 'tt' ? { kind, in: f.in, out: f.out, ranks: f.ranks } : { kind, in: f.in, out: f.out, ranks: f.ranks, iterations: TUCKER_ITERATIONS });
      }
    }
  const ti = tensorizations(inFeatures, 2)[0], to = tensorizations(outFeatures, 2)[0];
  if (ti && to)
    for (const r of CP_RANKS) {
      const f = { kind: 'cp' as const, in: ti, out: to, ranks: [r], iterations: CP_ITERATIONS };
      if (factorizedParams(f) <= PARAM_FRACTIONS[0] * dense && r < Math.min(inFeatures, outFeatures)) out.push(f);
    }
  return out;
}

/** Options for decompose (of an [out, in] weight) that rebuild the format: the planner and applyPlan share them. */
export function decomposeOptions(f: FactorizedFormat): DecomposeOptions {
  const base = { format: f.kind, transpose: true, shape: { in: f.in, out: f.out }, ranks: f.ranks } as const;
  return f.kind === 'tt' ? base : { ...base, iterations: f.iterations };
}

/** A layer of the format's structure with random factors, for timing: speed does not depend on the values. */
export function skeletonLayer(f: FactorizedShape, seed = 1): FactorizedLinear {
  let offset = 0;
  const factors: Float32Array[] = [];
  const entries = factorShapes(f).map((s, i) => {
    const e = { name: s.name, shape: s.shape, offset };
    factors.push(randn([prod(s.shape)], seed + i).data);
    offset += prod(s.shape);
    return e;
  });
  return FactorizedLinear.fromObject({
    header: {
      format: f.kind,
      inFeatures: prod(f.in),
      outFeatures: prod(f.out),
      shape: { in: f.in, out: f.out },
      ranks: f.ranks,
      transpose: true,
      factors: entries,
      bias: null,
      weightError: 0,
      outputError: null,
      report: { skeleton: true },
    },
    factors,
    bias: null,
  });
}
