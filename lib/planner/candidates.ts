// The ways to run one linear layer that the planner weighs: dense, low-rank
// at several ranks, N:M patterns, and low rank with N:M factors. Each candidate carries what it costs
// (parameters, FLOPs per token, weight bytes), what it loses (relative output
// error on calibration activations) and the native kernels that time it.
// Tensor-train and Tucker candidates are made in factorized-candidates.ts.
import { matmulSync } from '../matmul';
import type { MeasureSpec } from '../native';
import { nmPrune } from '../sparse/prune';
import { Tensor } from '../tensor';
import { factorizedLabel, type FactorizedFormat } from './factorized';
import { relativeErrors } from './layer-error';
import { factorsToDense, lowrankNmFits, lowrankNmParams, pruneLowrankFactors, splitTruncated } from './lowrank-nm';
import type { PlannerSpec } from './measure';
import type { LinearLayerSpec } from './models';
import type { SyntheticLayer } from './synthetic';

export type Format =
  | { kind: 'dense' }
  | { kind: 'lowrank'; rank: number }
  | { kind: 'nm'; n: number; m: number }
  | { kind: 'lowrank-nm'; rank: number; n: number; m: number }
  | FactorizedFormat;

export interface Candidate {
  layer: string;
  format: Format;
  label: string;
  params: number;
  flopsPerToken: number;
  weightBytes: number;
  /** Relative output error ||X(W - Ŵ)ᵀ|| / ||XWᵀ|| on the calibration activations. */
  error: number;
  /** Kernels (or a factorized forward pass) whose times add up to one forward call. */
  specs: PlannerSpec[];
}

export const NM_PATTERNS: [number, number][] = [[2, 4], [4, 8], [1, 4], [2, 8], [1, 8]];
/** Patterns weighed on low-rank factors: the half-density ones (sparser factors lose more than a lower rank does). */
export const LOWRANK_NM_PATTERNS: [number, number][] = [[2, 4], [4, 8]];

export function formatLabel(f: Format): string {
  if (f.kind === 'tt' || f.kind === 'tucker' || f.kind === 'cp') return factorizedLabel(f);
  if (f.kind === 'lowrank-nm') return `lowrank(${f.rank})+${f.n}:${f.m}`;
  return f.kind === 'dense' ? 'dense' : f.kind === 'lowrank' ? `lowrank(${f.rank})` : `${f.n}:${f.m}`;
}

/** Ranks that save parameters: r (in + out) < in · out, on a coarse grid. */
export function candidateRanks(inp: number, out: number): number[] {
  const full = Math.min(inp, out), limit = (inp * out) / (inp + out);
  const ranks: number[] = [];
  for (const frac of [1 / 24, 1 / 12, 1 / 8, 1 / 6, 1 / 4, 1 / 3, 1 / 2, 2 / 3])
    ranks.push(Math.max(8, Math.round((full * frac) / 8) * 8));
  return [...new Set(ranks)].filter((r) => r < limit).sort((a, b) => a - b);
}

/** Relative output error of every truncation rank at once: one product X·V. */
export function lowrankErrors(layer: SyntheticLayer, x: Tensor): Float64Array {
  const p = matmulSync(x, layer.v); // [tokens, r]
  const r = layer.sigma.length, tokens = x.shape[0];
  const energy = new Float64Array(r);
  for (let t = 0; t < tokens; t++) for (let j = 0; j < r; j++) energy[j] += (p.data[t * r + j] * layer.sigma[j]) ** 2;
  const tail = new Float64Array(r + 1);
  for (let j = r - 1; j >= 0; j--) tail[j] = tail[j + 1] + energy[j];
  return Float64Array.from({ length: r + 1 }, (_, rank) => (tail[0] > 0 ? Math.sqrt(tail[rank] / tail[0]) : 0));
}

export interface CandidateContext {
  batch: number;
  threads: number;
  /** Cached errors by key (accuracy does not depend on the host). */
  errorCache?: Map<string, number>;
  cacheKey?: string;
}

export function layerCandidates(spec: LinearLayerSpec, layer: SyntheticLayer, x: Tensor, ctx: CandidateContext): Candidate[] {
  const { batch, threads } = ctx;
  const gemm = (m: number, n: number, k: number): MeasureSpec => ({ kernel: 'gemm', m, n, k, packB: true, threads });
  const out: Candidate[] = [];
  const add = (format: Format, params: number, flopsPerToken: number, weightBytes: number, error: number, specs: MeasureSpec[]) =>
    out.push({ layer: spec.name, format, label: formatLabel(format), params, flopsPerToken, weightBytes, error, specs });

  add({ kind: 'dense' }, spec.in * spec.out, 2 * spec.in * spec.out, 4 * spec.in * spec.out, 0, [gemm(batch, spec.out, spec.in)]);

  const cached = (key: string, compute: () => number) => {
    const k = `${ctx.cacheKey ?? ''}:${spec.name}:${key}`;
    const hit = ctx.errorCache?.get(k);
    if (hit !== undefined) return hit;
    const v = compute();
    ctx.errorCache?.set(k, v);
    return v;
  };
  let errs: Float64Array | undefined;
  for (const r of candidateRanks(spec.in, spec.out)) {
    const err = cached(`lowrank(${r})`, () => (errs ??= lowrankErrors(layer, x))[r]);
    add({ kind: 'lowrank', rank: r }, r * (spec.in + spec.out), 2 * r * (spec.in + spec.out), 4 * r * (spec.in + spec.out), err, [
      gemm(batch, r, spec.in),
      gemm(batch, spec.out, r),
    ]);
  }
  const nmCall = (rows: number, k: number, n: number, m: number): MeasureSpec => ({ kernel: 'nm', rows, k, n, m, tokens: batch, threads });
  for (const r of candidateRanks(spec.in, spec.out))
    for (const [n, m] of LOWRANK_NM_PATTERNS) {
      if (!lowrankNmFits(spec.in, r, m)) continue;
      const err = cached(`lowrank(${r})+${n}:${m}`, () => {
        const f = splitTruncated(layer.u, layer.sigma, layer.v, r);
        return relativeErrors(layer.weight, factorsToDense(pruneLowrankFactors(f.u, f.v, n, m, x)), x).outputError!;
      });
      const kept = lowrankNmParams(spec.in, spec.out, r, n, m);
      const bits = Math.ceil(Math.log2(m));
      add({ kind: 'lowrank-nm', rank: r, n, m }, kept, 2 * kept, kept * (4 + bits / 8), err, [nmCall(r, spec.in, n, m), nmCall(spec.out, r, n, m)]);
    }
  for (const [n, m] of NM_PATTERNS) {
    if (spec.in % m) continue;
    const err = cached(`${n}:${m}`, () => nmPrune(layer.weight, { n, m, activations: x }).outputError!);
    const kept = (spec.in * spec.out * n) / m;
    const bits = Math.ceil(Math.log2(m));
    add({ kind: 'nm', n, m }, kept, 2 * kept, kept * (4 + bits / 8), err, [
      nmCall(spec.out, spec.in, n, m),
    ]);
  }
  return out;
}
