// How well code similarity keeps the order of the exact attention logits:
// top-k recall and rank correlation per query, against q.k / sqrt(dim).
import { checkInt, checkOptions } from '../check';
import { HashCodes, hammingDistances, wordsPerCode } from './codes';
import { codesOfView, type HashFunction } from './hash';
import { checkHeads, headsView, type HeadsView } from './layout';

export interface HashQuality {
  /** k of the recall. */
  topk: number;
  /**
   * Mean over queries of the fraction of the exact top-k keys that are among
   * the k keys of highest code similarity (ties at the cut share the
   * remaining places evenly, so the figure does not depend on tie order).
   */
  recall: number;
  /** Mean over queries of Spearman's rank correlation (ties get mean ranks). */
  rankCorrelation: number;
  /**
   * Least-squares slope of the exact logits on the +-1 code dot product, per
   * query centred: the logit scale for 'hamming-softmax' mode.
   */
  scale: number;
  /** Queries and keys per head that were scored. */
  queries: number;
  keys: number;
}

export interface HashQualityOptions {
  topk?: number;
  /** Queries per head to score (default 256, evenly spread). */
  queries?: number;
  /** Keys per head to score against (default all, at most 4096, evenly spread). */
  keys?: number;
  heads?: number;
}

function ranks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const r = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && x[idx[j + 1]] === x[idx[i]]) j++;
    const mean = (i + j) / 2;
    for (let t = i; t <= j; t++) r[idx[t]] = mean;
    i = j + 1;
  }
  return r;
}

function correlation(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/** Expected overlap of the exact top-k with the top-k by similarity, ties at the cut split evenly. */
function recallAtK(exact: Float64Array, sim: Float64Array, k: number): number {
  const n = exact.length;
  if (k >= n) return 1;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => exact[b] - exact[a]);
  const sorted = Float64Array.from(sim).sort().reverse();
  const cut = sorted[k - 1];
  let above = 0, at = 0;
  for (let i = 0; i < n; i++) {
    if (sim[i] > cut) above++;
    else if (sim[i] === cut) at++;
  }
  const share = (k - above) / at;
  let hit = 0;
  for (let t = 0; t < k; t++) {
    const s = sim[order[t]];
    hit += s > cut ? 1 : s === cut ? share : 0;
  }
  return hit / k;
}

function spread(n: number, count: number): number[] {
  const c = Math.min(n, count);
  return Array.from({ length: c }, (_, i) => Math.floor((i * n) / c));
}

/** The codes of selected tokens of one (batch, head) as their own HashCodes. */
function select(codes: HashCodes, unit: number, rows: number[]): HashCodes {
  const w = wordsPerCode(codes.bits);
  const out = new BigUint64Array(rows.length * w);
  rows.forEach((r, i) => out.set(codes.words.subarray((unit * codes.seq + r) * w, (unit * codes.seq + r + 1) * w), i * w));
  return new HashCodes(out, codes.bits, 1, 1, rows.length);
}

/** Scores checked views with codes already made (fitHash uses this). */
export function qualityOfCodes(q: HeadsView, k: HeadsView, qc: HashCodes, kc: HashCodes, topk: number, queries: number, keys: number): HashQuality {
  const { dim } = q;
  const qi = spread(q.seq, queries), kj = spread(k.seq, keys);
  const bits = qc.bits;
  let recall = 0, rho = 0, rows = 0, sxy = 0, sxx = 0;
  const exact = new Float64Array(kj.length), sim = new Float64Array(kj.length);
  const inv = 1 / Math.sqrt(dim);
  for (let b = 0; b < q.batch; b++)
    for (let h = 0; h < q.heads; h++) {
      const unit = b * q.heads + h;
      const { dist } = hammingDistances(select(qc, unit, qi), select(kc, unit, kj));
      const qd = q.tensor.data, kd = k.tensor.data;
      const qb = b * q.strides[0] + h * q.strides[1], kb = b * k.strides[0] + h * k.strides[1];
      qi.forEach((i, r) => {
        let me = 0, ms = 0;
        for (let c = 0; c < kj.length; c++) {
          let s = 0;
          const qo = qb + i * q.strides[2], ko = kb + kj[c] * k.strides[2];
          for (let d = 0; d < dim; d++) s += qd[qo + d] * kd[ko + d];
          exact[c] = s * inv;
          sim[c] = bits - 2 * dist[r * kj.length + c];
          me += exact[c];
          ms += sim[c];
        }
        me /= kj.length;
        ms /= kj.length;
        for (let c = 0; c < kj.length; c++) {
          sxy += (sim[c] - ms) * (exact[c] - me);
          sxx += (sim[c] - ms) ** 2;
        }
        recall += recallAtK(exact, sim, Math.min(topk, kj.length));
        rho += correlation(ranks(exact), ranks(sim));
        rows++;
      });
    }
  return {
    topk,
    recall: rows ? recall / rows : 0,
    rankCorrelation: rows ? rho / rows : 0,
    scale: sxx > 0 ? Math.max(0, sxy / sxx) : 1 / Math.sqrt(bits),
    queries: qi.length,
    keys: kj.length,
  };
}

/** Top-k recall and rank correlation of a hash function's codes against the exact logits. */
export function hashQuality(queries: unknown, keys: unknown, hash: HashFunction, options?: HashQualityOptions): HashQuality {
  const o = checkOptions(options, 'hashQuality', ['topk', 'queries', 'keys', 'heads']);
  const heads = checkHeads(o.heads, 'hashQuality: options.heads');
  const q = headsView(queries, 'hashQuality: queries', heads), k = headsView(keys, 'hashQuality: keys', heads);
  if (q.dim !== k.dim || q.batch !== k.batch || q.heads !== k.heads)
    throw new RangeError(`hashQuality: queries [${q.tensor.shape.join(', ')}] and keys [${k.tensor.shape.join(', ')}] must match in batch, heads and head dim`);
  const topk = o.topk === undefined ? 16 : checkInt(o.topk, 'hashQuality: options.topk', 1, 2 ** 20);
  const nq = o.queries === undefined ? 256 : checkInt(o.queries, 'hashQuality: options.queries', 1, 2 ** 24);
  const nk = o.keys === undefined ? 4096 : checkInt(o.keys, 'hashQuality: options.keys', 1, 2 ** 24);
  const qc = codesOfView(q, hash, 0, 'hashQuality', 'queries');
  const kc = codesOfView(k, hash, 0, 'hashQuality', 'keys');
  return qualityOfCodes(q, k, qc, kc, topk, nq, nk);
}

