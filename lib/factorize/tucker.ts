// Tucker over the tensorized weight W[m_1..m_d, n_1..n_d]: a core
// C [t_1..t_d, s_1..s_d] with a factor on every mode, U_k [m_k, t_k] on the
// output side and V_k [n_k, s_k] on the input side (with d = 1 this is the
// Tucker-2 of the matrix, U C V^T). HOSVD gives the factors (leading left
// singular vectors of each unfolding), HOOI then refines them: each factor
// in turn becomes the best one given the others, which never increases the
// error. A mode whose rank equals its size gains nothing from a factor, so
// its factor is folded into the core and dropped.
import { frob2, Mat, mat } from './matrix';
import { Gen } from './ops';
import { svdTruncated } from './svd';
import { contract64, T64, unfold } from './tensor64';
import { FactorData, FormatOptions, FormatResult } from './types';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** t (modes lettered a, b, ...) with mode j multiplied by f^T (f: [I_j, r]): mode j becomes r. */
export function* project(t: T64, j: number, f: Mat): Gen<T64> {
  const ids = LETTERS.slice(0, t.shape.length);
  const r = 'Z';
  const out = ids.slice(0, j) + r + ids.slice(j + 1);
  return yield* contract64(t, ids, { data: f.data, shape: [f.rows, f.cols] }, ids[j] + r, out);
}

/** t with mode j multiplied by f (f: [I_j, r], t's mode j has size r): mode j becomes I_j. */
export function* expand(t: T64, j: number, f: Mat): Gen<T64> {
  const ids = LETTERS.slice(0, t.shape.length);
  const big = 'Z';
  const out = ids.slice(0, j) + big + ids.slice(j + 1);
  return yield* contract64(t, ids, { data: f.data, shape: [f.rows, f.cols] }, big + ids[j], out);
}

/** t projected on every factor but `skip`, largest reductions first. */
function* projectAllBut(t: T64, factors: readonly Mat[], skip: number): Gen<T64> {
  const order = factors.map((_, j) => j).filter((j) => j !== skip).sort((a, b) => factors[a].cols / factors[a].rows - factors[b].cols / factors[b].rows);
  let y = t;
  for (const j of order) y = yield* project(y, j, factors[j]);
  return y;
}

export function* tuckerDecompose(w: Mat, o: FormatOptions): Gen<FormatResult> {
  const d = o.inShape.length;
  const dims = [...o.outShape, ...o.inShape];
  const modes = dims.length;
  const t: T64 = { data: w.data, shape: dims };
  const total2 = frob2(w.data);
  const maxTail2 = o.maxError === undefined ? undefined : (o.maxError * o.maxError * total2) / modes;
  const caps = modeCaps(dims, o);

  // HOSVD.
  const factors: Mat[] = [];
  let randomized = false;
  for (let j = 0; j < modes; j++) {
    const u = unfold(t, j);
    const s = yield* svdTruncated(mat(u.shape[0], u.shape[1], u.data), { maxRank: caps[j], maxTail2, method: o.method, seed: o.seed + j });
    randomized ||= s.randomized;
    factors.push(s.u);
  }
  let core = yield* projectAllBut(t, factors, -1);
  let err2 = Math.max(0, total2 - frob2(core.data));
  const history = [Math.sqrt(err2 / Math.max(total2, 1e-300))];

  // HOOI: each factor becomes the leading subspace of the tensor projected on the others.
  let iterations = 0, converged = !o.refine;
  const maxIter = o.iterations ?? 20;
  const tol = o.tolerance ?? 1e-6;
  if (o.refine && err2 > 0) {
    for (iterations = 1; iterations <= maxIter; iterations++) {
      let y: T64 = t;
      for (let j = 0; j < modes; j++) {
        y = yield* projectAllBut(t, factors, j);
        const u = unfold(y, j);
        const s = yield* svdTruncated(mat(u.shape[0], u.shape[1], u.data), { maxRank: factors[j].cols, method: 'exact' });
        factors[j] = s.u;
      }
      core = yield* project(y, modes - 1, factors[modes - 1]);
      const next = Math.max(0, total2 - frob2(core.data));
      history.push(Math.sqrt(next / Math.max(total2, 1e-300)));
      const gain = (err2 - next) / Math.max(total2, 1e-300);
      err2 = Math.min(err2, next);
      if (gain < tol) {
        converged = true;
        break;
      }
    }
    iterations = Math.min(iterations, maxIter);
  }

  // Fold full-rank modes into the core.
  const out: FactorData[] = [];
  const ranks = factors.map((f) => f.cols);
  for (let j = 0; j < modes; j++)
    if (factors[j].cols === dims[j]) core = yield* expand(core, j, factors[j]);
  out.push({ name: 'C', shape: core.shape, data: core.data });
  for (let j = 0; j < modes; j++) {
    if (factors[j].cols === dims[j]) continue;
    const name = j < d ? `U${j + 1}` : `V${j - d + 1}`;
    out.push({ name, shape: [factors[j].rows, factors[j].cols], data: factors[j].data });
  }
  return { format: 'tucker', factors: out, ranks, details: { svd: randomized ? 'randomized' : 'exact', hooiIterations: iterations, converged, errorHistory: history } };
}

/** Mode rank caps, clipped to the mode size and to the product of the other modes. */
function modeCaps(dims: readonly number[], o: FormatOptions): number[] {
  const total = dims.reduce((p, x) => p * x, 1);
  return dims.map((size, j) => {
    const bound = Math.min(size, total / size);
    const asked = o.ranks ? (o.ranks.length === 1 ? o.ranks[0] : o.ranks[j]) : bound;
    if (asked > bound) o.warn(`${o.fn}: Tucker rank ${asked} of mode ${j} exceeds the mode's size ${size}; clipped to ${bound}`);
    return Math.min(asked, bound);
  });
}
