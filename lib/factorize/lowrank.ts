// Low rank: W ≈ U V with U [N_out, r], V [r, N_in], from the truncated SVD;
// the singular values are split evenly between the two factors so neither
// carries the whole dynamic range into float32.
import { frob2, Mat } from './matrix';
import { Gen } from './ops';
import { svdTruncated } from './svd';
import { FormatOptions, FormatResult } from './types';

export function* lowrankDecompose(w: Mat, o: FormatOptions): Gen<FormatResult> {
  const full = Math.min(w.rows, w.cols);
  let cap = o.ranks?.[0] ?? full;
  if (cap > full) {
    o.warn(`${o.fn}: rank ${cap} exceeds what a ${w.rows} x ${w.cols} weight allows; clipped to ${full}`);
    cap = full;
  }
  const maxTail2 = o.maxError === undefined ? undefined : o.maxError * o.maxError * frob2(w.data);
  const d = yield* svdTruncated(w, { maxRank: cap, maxTail2, method: o.method, seed: o.seed });
  return { format: 'lowrank', ...splitFactors(d.u, d.s, d.vt), details: { svd: d.randomized ? 'randomized' : 'exact', jacobiSweeps: d.status.sweeps, converged: d.status.converged } };
}

/** U diag(s) V^T as U' = U diag(sqrt s), V' = diag(sqrt s) V^T. */
export function splitFactors(u: Mat, s: Float64Array, vt: Mat): Pick<FormatResult, 'factors' | 'ranks'> {
  const r = s.length;
  const uf = new Float64Array(u.rows * r), vf = new Float64Array(r * vt.cols);
  for (let i = 0; i < u.rows; i++) for (let c = 0; c < r; c++) uf[i * r + c] = u.data[i * u.cols + c] * Math.sqrt(s[c]);
  for (let c = 0; c < r; c++) {
    const f = Math.sqrt(s[c]);
    for (let j = 0; j < vt.cols; j++) vf[c * vt.cols + j] = vt.data[c * vt.cols + j] * f;
  }
  return {
    factors: [
      { name: 'U', shape: [u.rows, r], data: uf },
      { name: 'V', shape: [r, vt.cols], data: vf },
    ],
    ranks: [r],
  };
}
