// Dense (pruned) weight -> NMSparseMatrix.
import { checkBool, checkOptions } from '../check';
import { asTensor } from '../tensor';
import { encodeNM, nmLayout } from './layout';
import { NMSparseMatrix } from './matrix';
import { checkPattern } from './pattern';
import type { NMPruneResult } from './prune';

export interface NMCompressOptions {
  n: number;
  m: number;
  /** The weight is [in, out] (x·W) rather than [out, in] (x·Wᵀ, the default). */
  transpose?: boolean;
}

function isPruneResult(v: unknown): v is NMPruneResult {
  return typeof v === 'object' && v !== null && 'pruned' in v && 'mask' in v;
}

/**
 * Compresses a weight that is already n:m along its reduction dim (an
 * nmPrune result, or a dense tensor with at most n nonzeros per group —
 * zeros fill the remaining slots). A group with more than n nonzeros is an
 * error: prune first.
 */
export function nmCompress(weight: unknown, options: NMCompressOptions): NMSparseMatrix {
  const fn = 'nmCompress';
  const opts = checkOptions(options, fn, ['n', 'm', 'transpose']) as unknown as NMCompressOptions;
  const { n, m } = checkPattern(opts.n, opts.m, fn);
  let transpose = opts.transpose === undefined ? false : checkBool(opts.transpose, `${fn}: options.transpose`);
  let given: Uint8Array | undefined;
  let w;
  if (isPruneResult(weight)) {
    if (weight.n !== n || weight.m !== m) throw new RangeError(`${fn}: the prune result is ${weight.n}:${weight.m}, options ask for ${n}:${m}`);
    w = weight.pruned;
    given = weight.mask;
    transpose = weight.axis === 0;
  } else {
    w = asTensor(weight, `${fn}: weight`);
  }
  if (w.rank !== 2) throw new RangeError(`${fn}: weight must be 2-D, got shape [${w.shape.join(', ')}]`);
  const [rows, k] = transpose ? [w.shape[1], w.shape[0]] : [w.shape[0], w.shape[1]];
  if (k % m !== 0) throw new RangeError(`${fn}: the reduction dim is ${k}, not a multiple of m = ${m}; pad it with zeros to ${Math.ceil(k / m) * m}`);
  const dense = new Float32Array(rows * k);
  const srcMask = new Uint8Array(rows * k);
  for (let o = 0; o < rows; o++)
    for (let j = 0; j < k; j++) {
      const src = transpose ? j * rows + o : o * k + j;
      dense[o * k + j] = w.data[src];
      srcMask[o * k + j] = given ? given[src] : w.data[src] !== 0 ? 1 : 0;
    }
  // Exactly n slots per group: the kept entries, then zeros at the lowest free positions.
  for (let o = 0; o < rows; o++)
    for (let g = 0; g < k; g += m) {
      let count = 0;
      for (let j = 0; j < m; j++) count += srcMask[o * k + g + j];
      if (count > n)
        throw new RangeError(`${fn}: row ${o} group ${g / m} (columns ${g}..${g + m - 1}) has ${count} nonzeros, more than n = ${n}; prune it with nmPrune first`);
      for (let j = 0; j < m && count < n; j++)
        if (!srcMask[o * k + g + j]) {
          srcMask[o * k + g + j] = 1;
          count++;
        }
    }
  const L = nmLayout(rows, k, n, m);
  const { values, indices } = encodeNM(dense, srcMask, L);
  return new NMSparseMatrix(values, indices, rows, k, n, m);
}
