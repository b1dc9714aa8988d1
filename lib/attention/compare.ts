// Error of an attention output against a reference on the same inputs: the
// relative Frobenius error and the mean cosine similarity of output rows.
import type { HeadStrides } from '../native';

export interface AttentionError {
  /** ||out - ref|| / ||ref|| over all outputs. */
  relativeError: number;
  /** Mean over (batch, head, token) of the cosine of the output row with the reference row. */
  cosine: number;
  maxAbsError: number;
}

export interface RowsView {
  data: ArrayLike<number>;
  strides: HeadStrides;
}

export function attentionError(out: RowsView, ref: RowsView, batch: number, heads: number, seq: number, dim: number): AttentionError {
  let num = 0, den = 0, cos = 0, rows = 0, worst = 0;
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < heads; h++)
      for (let s = 0; s < seq; s++) {
        const o = b * out.strides[0] + h * out.strides[1] + s * out.strides[2];
        const r = b * ref.strides[0] + h * ref.strides[1] + s * ref.strides[2];
        let dot = 0, oo = 0, rr = 0;
        for (let d = 0; d < dim; d++) {
          const x = out.data[o + d], y = ref.data[r + d];
          num += (x - y) ** 2;
          den += y * y;
          dot += x * y;
          oo += x * x;
          rr += y * y;
          worst = Math.max(worst, Math.abs(x - y));
        }
        cos += oo > 0 && rr > 0 ? dot / Math.sqrt(oo * rr) : oo === rr ? 1 : 0;
        rows++;
      }
  return {
    relativeError: den > 0 ? Math.sqrt(num / den) : Math.sqrt(num),
    cosine: rows ? cos / rows : 1,
    maxAbsError: worst,
  };
}
