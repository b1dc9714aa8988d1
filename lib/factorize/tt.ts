// Tensor-train matrix (MPO): W[(m_1..m_d), (n_1..n_d)] = G_1 ... G_d with
// cores G_k [r_{k-1}, n_k, m_k, r_k], r_0 = r_d = 1, by TT-SVD (Oseledets):
// the weight's modes are paired (n_k, m_k) and each bond is a truncated SVD
// of the remainder. With an error target each of the d - 1 truncations may
// drop ε²‖W‖²/(d - 1), which bounds the total error by ε‖W‖.
import { frob2, Mat, mat } from './matrix';
import { Gen } from './ops';
import { svdTruncated } from './svd';
import { permute64, t64 } from './tensor64';
import { FormatOptions, FormatResult } from './types';

export function* ttDecompose(w: Mat, o: FormatOptions): Gen<FormatResult> {
  const { inShape, outShape } = o;
  const d = inShape.length;
  const pair = inShape.map((n, k) => n * outShape[k]);
  // [m_1..m_d, n_1..n_d] -> [n_1, m_1, n_2, m_2, ...]
  const perm = inShape.flatMap((_, k) => [d + k, k]);
  let rest = permute64(t64([...outShape, ...inShape], w.data), perm).data;
  const total2 = frob2(w.data);
  const maxTail2 = o.maxError === undefined ? undefined : (o.maxError * o.maxError * total2) / (d - 1);
  const caps = bondCaps(pair, o);
  const factors = [];
  const ranks: number[] = [];
  const sweeps: number[] = [];
  let randomized = false;
  let rPrev = 1;
  for (let k = 0; k < d - 1; k++) {
    const rows = rPrev * pair[k];
    const cols = rest.length / rows;
    const s = yield* svdTruncated(mat(rows, cols, rest), { maxRank: Math.min(caps[k], rows, cols), maxTail2, method: o.method, seed: o.seed + k });
    const r = s.s.length;
    randomized ||= s.randomized;
    sweeps.push(s.status.sweeps);
    factors.push({ name: `G${k + 1}`, shape: [rPrev, inShape[k], outShape[k], r], data: s.u.data });
    // The remainder diag(s) V^T, reshaped [r * n_{k+1} m_{k+1}, ...].
    const next = new Float64Array(r * cols);
    for (let c = 0; c < r; c++) for (let j = 0; j < cols; j++) next[c * cols + j] = s.s[c] * s.vt.data[c * cols + j];
    rest = next;
    ranks.push(r);
    rPrev = r;
  }
  factors.push({ name: `G${d}`, shape: [rPrev, inShape[d - 1], outShape[d - 1], 1], data: rest });
  return { format: 'tt', factors, ranks, details: { svd: randomized ? 'randomized' : 'exact', jacobiSweeps: sweeps } };
}

/** Per-bond caps: given ranks (one for all bonds, or one per bond) clipped to the unfolding ranks. */
function bondCaps(pair: readonly number[], o: FormatOptions): number[] {
  const d = pair.length;
  const caps: number[] = [];
  for (let k = 0; k < d - 1; k++) {
    const left = pair.slice(0, k + 1).reduce((p, x) => p * x, 1);
    const right = pair.slice(k + 1).reduce((p, x) => p * x, 1);
    const bound = Math.min(left, right);
    const asked = o.ranks ? (o.ranks.length === 1 ? o.ranks[0] : o.ranks[k]) : bound;
    if (asked > bound) o.warn(`${o.fn}: TT rank ${asked} at bond ${k + 1} exceeds what the unfolding allows (${left} x ${right}); clipped to ${bound}`);
    caps.push(Math.min(asked, bound));
  }
  return caps;
}
