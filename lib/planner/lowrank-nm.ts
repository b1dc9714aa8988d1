// Low rank with N:M-sparse factors: W ≈ U·V (U [out, r], V [r, in]) with
// each factor pruned n:m along its own reduction dim — V along the inputs,
// U along the rank — and run as two N:M products. When activations are
// given, each factor is pruned by |w|·‖x_j‖ on the activations it sees (x for
// V, x·Vᵀ for U); that score also makes the result independent of how the
// singular values are split between the factors. The planner (for the error
// of a candidate) and applyPlan (to build the layer) share this.
import { matmulSync } from '../matmul';
import { nmPrune } from '../sparse/prune';
import { Tensor } from '../tensor';

export interface PrunedFactors {
  /** [out, r], pruned n:m along r. */
  u: Tensor;
  /** [r, in], pruned n:m along in. */
  v: Tensor;
}

/** Whether an [out, in] layer can take rank r with n:m factors: both reduction dims must be multiples of m. */
export function lowrankNmFits(inFeatures: number, rank: number, m: number): boolean {
  return inFeatures % m === 0 && rank % m === 0;
}

/** Parameters kept by low rank r with n:m factors on an [out, in] layer. */
export function lowrankNmParams(inFeatures: number, outFeatures: number, rank: number, n: number, m: number): number {
  return (rank * (inFeatures + outFeatures) * n) / m;
}

export function pruneLowrankFactors(u: Tensor, v: Tensor, n: number, m: number, x?: Tensor): PrunedFactors {
  const pv = nmPrune(v, { n, m, ...(x ? { activations: x } : {}) }).pruned;
  const inner = x ? matmulSync(x, pv, { transB: true }) : undefined;
  const pu = nmPrune(u, { n, m, ...(inner ? { activations: inner } : {}) }).pruned;
  return { u: pu, v: pv };
}

/** The leading r singular triplets of W = U·diag(σ)·Vᵀ as the factors U·diag(√σ) [out, r] and diag(√σ)·Vᵀ [r, in]. */
export function splitTruncated(u: Tensor, sigma: ArrayLike<number>, v: Tensor, r: number): { u: Tensor; v: Tensor } {
  const [out, ru] = u.shape, [inp, rv] = v.shape;
  const uf = new Float32Array(out * r), vf = new Float32Array(r * inp);
  for (let i = 0; i < out; i++) for (let c = 0; c < r; c++) uf[i * r + c] = u.data[i * ru + c] * Math.sqrt(sigma[c]);
  for (let c = 0; c < r; c++) {
    const s = Math.sqrt(sigma[c]);
    for (let j = 0; j < inp; j++) vf[c * inp + j] = v.data[j * rv + c] * s;
  }
  return { u: new Tensor(uf, [out, r]), v: new Tensor(vf, [r, inp]) };
}

/** Ŵ = U·V [out, in]. */
export function factorsToDense(f: PrunedFactors): Tensor {
  return matmulSync(f.u, f.v);
}
