// A lower bound on the output error of any weight of matrix rank R, to
// weigh CP without running CP-ALS where it cannot win. If rank Ŵ <= R then
// rank XŴᵀ <= R, so ‖X(W - Ŵ)ᵀ‖ is at least the tail of XWᵀ's singular
// values beyond R (Eckart–Young). A CP decomposition of rank R, reshaped to
// [out, in], is a sum of R outer products, so the bound holds for it
// whatever ALS does; a CP candidate whose bound exceeds every error budget
// the plan weighs is left out without decomposing.
import { matmulSync } from '../matmul';
import type { Tensor } from '../tensor';
import { mat } from '../factorize/matrix';
import { runSync } from '../factorize/ops';
import { svdExact } from '../factorize/svd';

/** bound[R] for R = 0..min(tokens, out): the least ‖X(W - Ŵ)ᵀ‖ / ‖XWᵀ‖ over Ŵ of rank <= R. w is [out, in], x [tokens, in]. */
export function rankErrorBounds(w: Tensor, x: Tensor): Float64Array {
  const y = matmulSync(x, w, { transB: true });
  const [tokens, out] = y.shape;
  const s = runSync(svdExact(mat(tokens, out, Float64Array.from(y.data)))).s;
  const tail = new Float64Array(s.length + 1);
  for (let i = s.length - 1; i >= 0; i--) tail[i] = tail[i + 1] + s[i] * s[i];
  return tail.map((t) => (tail[0] > 0 ? Math.sqrt(t / tail[0]) : 0));
}

/** The bound at rank R (0 once R reaches the rank of XWᵀ). */
export function rankErrorBound(bounds: Float64Array, rank: number): number {
  return rank < bounds.length ? bounds[rank] : 0;
}
