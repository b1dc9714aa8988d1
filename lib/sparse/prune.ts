// N:M pruning: keep the n highest-scoring weights in every m consecutive ones
// along the reduction dim. Scores are magnitudes, or magnitudes weighted by
// the activation norm of their input channel (calibration: |w_oj|·||x_j||).
import { checkBool, checkInt, checkOptions } from '../check';
import { matmulSync } from '../matmul';
import { asTensor, Tensor, xoshiro128 } from '../tensor';
import { checkPattern } from './pattern';
import { transposableMask } from './transposable';

export interface NMPruneOptions {
  n: number;
  m: number;
  /** Reduction axis of the 2-D weight, along which groups of m run: 1 for [out, in] (default), 0 for [in, out]. */
  axis?: 0 | 1;
  /** 'magnitude' (default) or 'calibration' (needs `activations`). */
  method?: 'magnitude' | 'calibration';
  /** Calibration activations [tokens, in]: scores pruning by |w|·||x_col||, and measures the output error. */
  activations?: unknown;
  /** Masks that stay n:m along both axes (m x m blocks), for weights used both ways. */
  transposable?: boolean;
  /** Search an input-channel permutation that keeps more score (see result.permutation). */
  permute?: boolean | { trials?: number; seed?: number };
}

export interface NMPruneResult {
  /** The weight with pruned entries zeroed, in the input's layout (and column order, unless permuted). */
  pruned: Tensor;
  /** 1 where a weight is kept. */
  mask: Uint8Array;
  n: number;
  m: number;
  axis: 0 | 1;
  /** ||W - W_pruned||_F / ||W||_F. */
  weightError: number;
  /** ||X (W - W_pruned)ᵀ||_F / ||X Wᵀ||_F on the given activations. */
  outputError?: number;
  /** Fraction of Σ|w| kept. */
  keptMagnitude: number;
  /**
   * With `permute`: input channel j of the pruned weight is channel permutation[j]
   * of the original. Apply the same order to the activations (or fold it into
   * the previous layer's output rows) before multiplying.
   */
  permutation?: Int32Array;
  /** keptMagnitude without the permutation, for comparison. */
  keptMagnitudeUnpermuted?: number;
}

/** Row-major [rows, k] copy with groups along k, whatever the input axis. */
function toRowsByK(w: Tensor, axis: 0 | 1): { data: Float32Array; rows: number; k: number } {
  const [r, c] = w.shape;
  if (axis === 1) return { data: w.data, rows: r, k: c };
  const t = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = w.data[i * c + j];
  return { data: t, rows: c, k: r };
}

function fromRowsByK(d: Float32Array, rows: number, k: number, axis: 0 | 1): Float32Array {
  if (axis === 1) return d;
  const t = new Float32Array(rows * k);
  for (let o = 0; o < rows; o++) for (let j = 0; j < k; j++) t[j * rows + o] = d[o * k + j];
  return t;
}

/** Keeps the n best of each group of m; ties go to the lower index. */
export function groupMask(score: Float64Array, rows: number, k: number, n: number, m: number, cols?: Int32Array): Uint8Array {
  const mask = new Uint8Array(rows * k);
  const order = new Array<number>(m);
  for (let o = 0; o < rows; o++)
    for (let g = 0; g < k; g += m) {
      for (let j = 0; j < m; j++) order[j] = j;
      const at = (j: number) => score[o * k + (cols ? cols[g + j] : g + j)];
      order.sort((a, b) => at(b) - at(a) || a - b);
      for (let s = 0; s < n; s++) mask[o * k + g + order[s]] = 1;
    }
  return mask;
}

/** Score of the best n of one group, for columns c[0..m) of row o. */
function groupBest(score: Float64Array, o: number, k: number, cols: ArrayLike<number>, n: number, buf: number[]): number {
  for (let j = 0; j < cols.length; j++) buf[j] = score[o * k + cols[j]];
  buf.length = cols.length;
  buf.sort((a, b) => b - a);
  let s = 0;
  for (let j = 0; j < n; j++) s += buf[j];
  return s;
}

/**
 * Randomised pairwise channel swaps between groups, kept when they raise the
 * total kept score (the search NVIDIA's ASP runs, bounded by a trial count).
 */
function searchPermutation(score: Float64Array, rows: number, k: number, n: number, m: number, trials: number, seed: number): Int32Array {
  const perm = Int32Array.from({ length: k }, (_, i) => i);
  const groups = k / m;
  if (groups < 2) return perm;
  const rand = xoshiro128(seed);
  const buf: number[] = [];
  const ga = new Int32Array(m), gb = new Int32Array(m);
  for (let t = 0; t < trials; t++) {
    const a = rand() % groups;
    let b = rand() % (groups - 1);
    if (b >= a) b++;
    const ia = rand() % m, ib = rand() % m;
    let before = 0, after = 0;
    for (let j = 0; j < m; j++) {
      ga[j] = perm[a * m + j];
      gb[j] = perm[b * m + j];
    }
    for (let o = 0; o < rows; o++) before += groupBest(score, o, k, ga, n, buf) + groupBest(score, o, k, gb, n, buf);
    [ga[ia], gb[ib]] = [gb[ib], ga[ia]];
    for (let o = 0; o < rows; o++) after += groupBest(score, o, k, ga, n, buf) + groupBest(score, o, k, gb, n, buf);
    if (after > before * (1 + 1e-12)) [perm[a * m + ia], perm[b * m + ib]] = [perm[b * m + ib], perm[a * m + ia]];
  }
  return perm;
}

function frobenius(d: Float32Array): number {
  let s = 0;
  for (const v of d) s += v * v;
  return Math.sqrt(s);
}

export function nmPrune(weight: unknown, options: NMPruneOptions): NMPruneResult {
  const fn = 'nmPrune';
  const w = asTensor(weight, `${fn}: weight`);
  const opts = checkOptions(options, fn, ['n', 'm', 'axis', 'method', 'activations', 'transposable', 'permute']) as unknown as NMPruneOptions;
  const { n, m } = checkPattern(opts.n, opts.m, fn);
  const axis = opts.axis === undefined ? 1 : (checkInt(opts.axis, `${fn}: options.axis`, 0, 1) as 0 | 1);
  const method = opts.method ?? (opts.activations !== undefined ? 'calibration' : 'magnitude');
  if (method !== 'magnitude' && method !== 'calibration')
    throw new RangeError(`${fn}: options.method must be 'magnitude' or 'calibration', got '${String(method)}'`);
  const transposable = opts.transposable === undefined ? false : checkBool(opts.transposable, `${fn}: options.transposable`);
  if (w.rank !== 2) throw new RangeError(`${fn}: weight must be 2-D, got shape [${w.shape.join(', ')}]`);
  const { data, rows, k } = toRowsByK(w, axis);
  if (k % m !== 0)
    throw new RangeError(
      `${fn}: the reduction dim (weight dim ${axis}) is ${k}, not a multiple of m = ${m}; pad the weight with zero ${axis === 1 ? 'columns' : 'rows'} (and the activations with zeros) to ${Math.ceil(k / m) * m}`,
    );
  for (let i = 0; i < data.length; i++)
    if (!Number.isFinite(data[i])) throw new RangeError(`${fn}: weight has a non-finite value at flat index ${i}`);

  let x: Tensor | undefined;
  const colNorm = new Float64Array(k).fill(1);
  if (opts.activations !== undefined) {
    x = asTensor(opts.activations, `${fn}: options.activations`);
    if (x.rank !== 2 || x.shape[1] !== k)
      throw new RangeError(`${fn}: options.activations must be [tokens, ${k}], got [${x.shape.join(', ')}]`);
    if (method === 'calibration') {
      colNorm.fill(0);
      for (let t = 0; t < x.shape[0]; t++) for (let j = 0; j < k; j++) colNorm[j] += x.data[t * k + j] ** 2;
      for (let j = 0; j < k; j++) colNorm[j] = Math.sqrt(colNorm[j]);
    }
  } else if (method === 'calibration') {
    throw new TypeError(`${fn}: method 'calibration' needs options.activations`);
  }
  const score = new Float64Array(rows * k);
  for (let o = 0; o < rows; o++) for (let j = 0; j < k; j++) score[o * k + j] = Math.abs(data[o * k + j]) * colNorm[j];

  let permutation: Int32Array | undefined;
  let keptUnpermuted: number | undefined;
  let rowsByK = data;
  let rowScore = score;
  if (opts.permute) {
    if (transposable) throw new RangeError(`${fn}: options.permute and options.transposable cannot be combined`);
    const p = typeof opts.permute === 'object' ? opts.permute : {};
    const trials = p.trials === undefined ? Math.min(20000, 40 * k) : checkInt(p.trials, `${fn}: options.permute.trials`, 0);
    const seed = p.seed === undefined ? 0 : checkInt(p.seed, `${fn}: options.permute.seed`, 0, 2 ** 32 - 1);
    const plain = groupMask(score, rows, k, n, m);
    keptUnpermuted = 0;
    for (let i = 0; i < plain.length; i++) if (plain[i]) keptUnpermuted += Math.abs(data[i]);
    permutation = searchPermutation(score, rows, k, n, m, trials, seed);
    rowsByK = new Float32Array(rows * k);
    rowScore = new Float64Array(rows * k);
    for (let o = 0; o < rows; o++)
      for (let j = 0; j < k; j++) {
        rowsByK[o * k + j] = data[o * k + permutation[j]];
        rowScore[o * k + j] = score[o * k + permutation[j]];
      }
  }

  let mask: Uint8Array;
  if (transposable) {
    if (rows % m !== 0) throw new RangeError(`${fn}: transposable masks need both dims divisible by m = ${m}; the other dim is ${rows}`);
    mask = transposableMask(rowScore, rows, k, n, m);
  } else {
    mask = groupMask(rowScore, rows, k, n, m);
  }
  const prunedRows = new Float32Array(rows * k);
  let total = 0, kept = 0, diff = 0, norm = 0;
  for (let i = 0; i < mask.length; i++) {
    const v = rowsByK[i];
    total += Math.abs(v);
    norm += v * v;
    if (mask[i]) {
      prunedRows[i] = v;
      kept += Math.abs(v);
    } else diff += v * v;
  }
  const pruned = new Tensor(fromRowsByK(prunedRows, rows, k, axis), w.shape);
  const outMask = axis === 1 ? mask : Uint8Array.from(fromRowsByK(Float32Array.from(mask), rows, k, 0));
  const result: NMPruneResult = {
    pruned,
    mask: outMask,
    n,
    m,
    axis,
    weightError: norm > 0 ? Math.sqrt(diff / norm) : 0,
    keptMagnitude: total > 0 ? kept / total : 1,
  };
  if (permutation) {
    result.permutation = permutation;
    result.keptMagnitudeUnpermuted = total > 0 ? keptUnpermuted! / total : 1;
  }
  if (x) {
    // Output error of the layer on the activations (channels in the pruned weight's order).
    let xs = x;
    if (permutation) {
      const t = x.shape[0], d = new Float32Array(t * k);
      for (let i = 0; i < t; i++) for (let j = 0; j < k; j++) d[i * k + j] = x.data[i * k + permutation[j]];
      xs = new Tensor(d, [t, k]);
    }
    const wDense = new Tensor(rowsByK, [rows, k]);
    const wDiff = new Tensor(Float32Array.from(rowsByK, (v, i) => (mask[i] ? 0 : v)), [rows, k]);
    const y = matmulSync(xs, wDense, { transB: true }), e = matmulSync(xs, wDiff, { transB: true });
    const ny = frobenius(y.data);
    result.outputError = ny > 0 ? frobenius(e.data) / ny : 0;
  }
  return result;
}
