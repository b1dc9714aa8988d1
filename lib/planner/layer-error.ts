// What a format loses, measured the same way for every format from the
// weight it represents: ‖W - Ŵ‖ / ‖W‖ in float64, and on activations X
// ‖X(W - Ŵ)ᵀ‖ / ‖XWᵀ‖. The products run on the float32 GEMM with the
// difference formed in float64 first, so the figure is good to about 1e-6
// of itself, and exactly 0 where Ŵ = W.
import { matmulSync } from '../matmul';
import { Tensor } from '../tensor';

function ratio(num2: number, den2: number): number {
  return den2 > 0 ? Math.sqrt(num2 / den2) : num2 > 0 ? Infinity : 0;
}

function sumSquares(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}

/** w and wHat are [out, in]; x, when given, is [tokens, in]. */
export function relativeErrors(w: Tensor, wHat: Tensor, x?: Tensor): { weightError: number; outputError: number | null } {
  const diff = new Float32Array(w.size);
  let num2 = 0, den2 = 0;
  for (let i = 0; i < w.size; i++) {
    const d = w.data[i] - wHat.data[i];
    diff[i] = d;
    num2 += d * d;
    den2 += w.data[i] * w.data[i];
  }
  const weightError = ratio(num2, den2);
  if (!x) return { weightError, outputError: null };
  if (num2 === 0) return { weightError, outputError: 0 };
  const ye = matmulSync(x, new Tensor(diff, w.shape), { transB: true });
  const y = matmulSync(x, w, { transB: true });
  return { weightError, outputError: ratio(sumSquares(ye.data), sumSquares(y.data)) };
}
