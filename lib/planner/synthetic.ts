// Synthetic weights and activations for planning without a trained model.
// Weights are W = U·diag(σ)·Vᵀ with σ_i = (1 + i)^-0.5 — a slow decay, closer
// to trained transformer weights than a flat or fast one — and activations
// are correlated (feature variances decaying as (1 + j)^-1 in a rotated
// basis). U, V and the rotation are orthonormal DCT-II bases with seeded row
// permutations and sign flips: exactly orthogonal, cheap, and reproducible.
// Every planner output that rests on these says so.
import { matmulSync } from '../matmul';
import { Tensor, xoshiro128 } from '../tensor';

/** n x r orthonormal columns (r <= n). */
export function orthonormal(n: number, r: number, seed: number): Float32Array {
  const next = xoshiro128(seed);
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const out = new Float32Array(n * r);
  for (let row = 0; row < n; row++) {
    const sign = next() & 1 ? -1 : 1;
    const x = perm[row];
    for (let c = 0; c < r; c++) {
      const scale = c === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n);
      out[row * r + c] = sign * scale * Math.cos((Math.PI * (2 * x + 1) * c) / (2 * n));
    }
  }
  return out;
}

export interface SyntheticLayer {
  /** [out, in] */
  weight: Tensor;
  /** Singular values, descending. */
  sigma: Float64Array;
  /** [out, r] and [in, r] orthonormal factors: weight = u · diag(sigma) · vᵀ. */
  u: Tensor;
  v: Tensor;
}

export function syntheticLayer(out: number, inp: number, seed: number): SyntheticLayer {
  const r = Math.min(out, inp);
  const sigma = Float64Array.from({ length: r }, (_, i) => (1 + i) ** -0.5);
  const u = new Tensor(orthonormal(out, r, seed * 2 + 1), [out, r]);
  const v = new Tensor(orthonormal(inp, r, seed * 2 + 2), [inp, r]);
  const us = new Float32Array(u.data);
  for (let i = 0; i < out; i++) for (let c = 0; c < r; c++) us[i * r + c] *= sigma[c];
  const weight = matmulSync(new Tensor(us, [out, r]), v, { transB: true });
  return { weight, sigma, u, v };
}

/** [tokens, dim] activations with correlated features. */
export function syntheticActivations(tokens: number, dim: number, seed: number): Tensor {
  const next = xoshiro128(seed);
  const z = new Float32Array(tokens * dim);
  for (let i = 0; i < z.length; i += 2) {
    const u1 = (next() + 1) / 4294967297, u2 = next() / 4294967296;
    const rad = Math.sqrt(-2 * Math.log(u1));
    z[i] = rad * Math.cos(2 * Math.PI * u2);
    if (i + 1 < z.length) z[i + 1] = rad * Math.sin(2 * Math.PI * u2);
  }
  for (let t = 0; t < tokens; t++) for (let j = 0; j < dim; j++) z[t * dim + j] *= (1 + j) ** -0.5;
  const q = new Tensor(orthonormal(dim, dim, seed + 7), [dim, dim]);
  return matmulSync(new Tensor(z, [tokens, dim]), q, { transB: true });
}
