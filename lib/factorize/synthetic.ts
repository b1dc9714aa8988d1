// Seeded weights and activations with known structure, for tests, the
// accuracy tables in docs/factorized.md and the benchmark:
//   decayingWeight: W = U diag(σ) V^T, σ_i = (1 + i)^-alpha, with U and V
//     Haar-random orthonormal (QR of a seeded Gaussian matrix, signs fixed by
//     R's diagonal), so the spectrum is exactly the one asked for;
//   correlatedActivations: x = z diag(d) Q^T with z standard Gaussian,
//     d_j = (1 + j)^-beta and Q Haar-random orthogonal (seeded apart from
//     z), so the features are correlated and their covariance has the
//     spectrum d^2.
import { Tensor, xoshiro128 } from '../tensor';
import { gaussian, Mat, mul } from './matrix';
import { runSync } from './ops';
import { qrThin } from './svd';

/** Haar-random n x k orthonormal columns. */
function orthonormal(n: number, k: number, next: () => number): Mat {
  const { q, r } = runSync(qrThin(gaussian(n, k, next)));
  for (let c = 0; c < k; c++) {
    if (r.data[c * r.cols + c] >= 0) continue;
    for (let i = 0; i < n; i++) q.data[i * k + c] = -q.data[i * k + c];
  }
  return q;
}

/** W [rows, cols] with singular values (1 + i)^-alpha. */
export function decayingWeight(rows: number, cols: number, options: { alpha?: number; seed?: number } = {}): Tensor {
  const next = xoshiro128(options.seed ?? 0);
  const k = Math.min(rows, cols);
  const alpha = options.alpha ?? 0.5;
  const u = orthonormal(rows, k, next), v = orthonormal(cols, k, next);
  for (let i = 0; i < rows; i++) for (let c = 0; c < k; c++) u.data[i * k + c] *= Math.pow(1 + c, -alpha);
  const w = runSync(mul(u, v, false, true));
  return new Tensor(Float32Array.from(w.data), [rows, cols]);
}

/**
 * x [tokens, n] whose features are correlated: covariance Q diag(d^2) Q^T.
 * `basis` seeds Q (the distribution), `seed` the samples: calibration and
 * held-out sets share a basis and differ in seed.
 */
export function correlatedActivations(tokens: number, n: number, options: { beta?: number; seed?: number; basis?: number } = {}): Tensor {
  const beta = options.beta ?? 1;
  const q = orthonormal(n, n, xoshiro128((options.basis ?? 0) ^ 0x51ed270b));
  const z = gaussian(tokens, n, xoshiro128((options.seed ?? 0) ^ 0x9e3779b9));
  for (let t = 0; t < tokens; t++) for (let j = 0; j < n; j++) z.data[t * n + j] *= Math.pow(1 + j, -beta);
  const x = runSync(mul(z, q, false, true));
  return new Tensor(Float32Array.from(x.data), [tokens, n]);
}
