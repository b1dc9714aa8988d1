// Dense matrix products on the native blocked GEMM, numpy.matmul semantics:
// the last two dims multiply, leading (batch) dims broadcast.
import { checkBool, checkInt, checkOptions } from './check';
import { native, type GemmCall } from './native';
import { PackedWeight } from './packed';
import { asTensor, Tensor } from './tensor';
import { outputData } from './memory';

export interface MatmulOptions {
  /** Treat a's last two dims as [K, M] (multiply by its transpose). */
  transA?: boolean;
  /** Treat b's last two dims as [N, K]. */
  transB?: boolean;
  /** At most this many threads of the compute pool (default: all). */
  threads?: number;
  /**
   * Write the result here instead of a new tensor: a Tensor of exactly the
   * result's shape, not sharing memory with a or b. Reusing one output across
   * calls saves allocating (and first touching) fresh memory each time.
   */
  out?: Tensor;
}

interface MatmulPlan {
  calls: GemmCall[];
  shape: number[];
  out: Float32Array;
}

function broadcastBatch(a: readonly number[], b: readonly number[], fn: string): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1)
      throw new RangeError(
        `${fn}: batch dims do not broadcast: a has ${da} and b has ${db} at batch dim ${i} (a batch [${a.join(', ')}], b batch [${b.join(', ')}])`,
      );
    out.push(da === 1 ? db : da); // a size-1 dim takes the other size, even 0
  }
  return out;
}

/** Offset, in matrices, of batch item `index` of an operand broadcast to `full`. */
function batchOffsets(own: readonly number[], full: readonly number[]): number[] {
  const count = full.reduce((p, d) => p * d, 1);
  const offsets = new Array<number>(count);
  const lead = full.length - own.length;
  for (let t = 0; t < count; t++) {
    let rem = t, off = 0, stride = 1;
    for (let i = full.length - 1; i >= 0; i--) {
      const idx = rem % full[i];
      rem = Math.floor(rem / full[i]);
      const d = i >= lead ? own[i - lead] : 1;
      if (d !== 1) off += idx * stride;
      stride *= d;
    }
    offsets[t] = off;
  }
  return offsets;
}

function planPacked(a: Tensor, b: PackedWeight, transA: boolean, threads: number, out: unknown, fn: string): MatmulPlan {
  if (a.rank === 0) throw new RangeError(`${fn}: a must have at least 1 dimension, got a scalar`);
  const [k, n] = b.shape;
  const aMat = a.rank === 1 ? (transA ? [a.shape[0], 1] : [1, a.shape[0]]) : a.shape.slice(-2);
  const [m, kA] = transA ? [aMat[1], aMat[0]] : aMat;
  if (kA !== k)
    throw new RangeError(`${fn}: inner dims differ: a [${a.shape.join(', ')}]${transA ? ' (transposed)' : ''} has K = ${kA}, the packed weight is [${k}, ${n}]`);
  const batch = a.shape.slice(0, Math.max(0, a.rank - 2));
  const count = batch.reduce((p, d) => p * d, 1);
  const shape = [...batch, ...(a.rank === 1 ? [] : [m]), n];
  const c = outputData(out, shape, fn);
  const base: GemmCall = { a: a.data, b: EMPTY, bPacked: b.handle, c, m, n, k, transA, threads };
  return { calls: [transA ? { ...base, batch: count } : { ...base, m: count * m }], shape, out: c };
}

const EMPTY = new Float32Array(0);

function plan(aIn: unknown, bIn: unknown, optsIn: unknown, fn: string): MatmulPlan {
  const a = asTensor(aIn, `${fn}: a`);
  const opts = checkOptions(optsIn, fn, ['transA', 'transB', 'threads', 'out']) as MatmulOptions;
  if (bIn instanceof PackedWeight) {
    if (opts.transB !== undefined)
      throw new RangeError(`${fn}: options.transB does not apply to a packed weight (pack it with { transpose: true } instead)`);
    const transA = opts.transA === undefined ? false : checkBool(opts.transA, `${fn}: options.transA`);
    const threads = opts.threads === undefined ? 0 : checkInt(opts.threads, `${fn}: options.threads`, 1, 256);
    return planPacked(a, bIn, transA, threads, opts.out, fn);
  }
  const b = asTensor(bIn, `${fn}: b`);
  const transA = opts.transA === undefined ? false : checkBool(opts.transA, `${fn}: options.transA`);
  const transB = opts.transB === undefined ? false : checkBool(opts.transB, `${fn}: options.transB`);
  const threads = opts.threads === undefined ? 0 : checkInt(opts.threads, `${fn}: options.threads`, 1, 256);
  if (a.rank === 0) throw new RangeError(`${fn}: a must have at least 1 dimension, got a scalar`);
  if (b.rank === 0) throw new RangeError(`${fn}: b must have at least 1 dimension, got a scalar`);

  // numpy: a 1-D a is a row [1, K], a 1-D b a column [K, 1]; both dropped after.
  const aMat = a.rank === 1 ? (transA ? [a.shape[0], 1] : [1, a.shape[0]]) : a.shape.slice(-2);
  const bMat = b.rank === 1 ? (transB ? [1, b.shape[0]] : [b.shape[0], 1]) : b.shape.slice(-2);
  const [m, kA] = transA ? [aMat[1], aMat[0]] : aMat;
  const [kB, n] = transB ? [bMat[1], bMat[0]] : bMat;
  if (kA !== kB)
    throw new RangeError(
      `${fn}: inner dims differ: a [${a.shape.join(', ')}]${transA ? ' (transposed)' : ''} has K = ${kA} in dim ${transA ? a.rank - 2 : a.rank - 1}, ` +
        `b [${b.shape.join(', ')}]${transB ? ' (transposed)' : ''} has K = ${kB} in dim ${transB ? b.rank - 1 : Math.max(0, b.rank - 2)}`,
    );
  const k = kA;
  const aBatch = a.shape.slice(0, Math.max(0, a.rank - 2));
  const bBatch = b.shape.slice(0, Math.max(0, b.rank - 2));
  const batch = broadcastBatch(aBatch, bBatch, fn);
  const shape = [...batch, ...(a.rank === 1 ? [] : [m]), ...(b.rank === 1 ? [] : [n])];
  const count = batch.reduce((p, d) => p * d, 1);
  const c = outputData(opts.out, shape, fn);
  const base: GemmCall = { a: a.data, b: b.data, c, m, n, k, transA, transB, threads };
  const aCount = aBatch.reduce((p, d) => p * d, 1);
  const bCount = bBatch.reduce((p, d) => p * d, 1);

  let calls: GemmCall[];
  if (bCount === 1 && !transA && aCount === count) {
    // Leading dims of a fold into M: one large GEMM, the fastest form.
    calls = [{ ...base, m: count * m }];
  } else if (aCount === count && bCount === count) {
    calls = [{ ...base, batch: count }];
  } else if (bCount === 1 && aCount === count) {
    calls = [{ ...base, batch: count, strideB: 0 }];
  } else if (aCount === 1 && bCount === count) {
    calls = [{ ...base, batch: count, strideA: 0 }];
  } else {
    // Mixed broadcasting: one GEMM per batch item.
    const offA = batchOffsets(aBatch, batch), offB = batchOffsets(bBatch, batch);
    calls = offA.map((oa, t) => ({ ...base, aOffset: oa * m * k, bOffset: offB[t] * k * n, cOffset: t * m * n }));
  }
  return { calls, shape, out: c };
}

/**
 * Matrix product on the calling thread (fine for small work). `b` may be a
 * PackedWeight (see packWeight), the fast form for a weight used many times.
 */
export function matmulSync(a: unknown, b: unknown, options?: MatmulOptions): Tensor {
  const p = plan(a, b, options, 'matmulSync');
  const nat = native();
  for (const call of p.calls) nat.gemm(call);
  return options?.out ?? new Tensor(p.out, p.shape);
}

/** Matrix product on the compute pool; the event loop stays free. */
export async function matmul(a: unknown, b: unknown, options?: MatmulOptions): Promise<Tensor> {
  const p = plan(a, b, options, 'matmul');
  const nat = native();
  for (const call of p.calls) await nat.gemmAsync(call);
  return options?.out ?? new Tensor(p.out, p.shape);
}
