// Loads the addon and types its surface. The loader never lets a bare dlopen
// error or an illegal instruction reach the user: each place a binary could
// come from is tried, and if none loads, one error lists every cause and fix.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TensorfoldError } from './errors';

export type IsaTierName = 'generic' | 'avx2' | 'avx512';

export interface NativeInfo {
  cpu: { vendor: string; brand: string; logicalCores: number; features: Record<string, boolean> };
  maxTier: IsaTierName;
  tier: IsaTierName;
  threads: number;
  kernels: { gemm: string; hashPopcount?: string };
  malloc: MallocInfo;
  compiler: string;
}

/**
 * Whether tensorfold raised glibc's mmap and trim thresholds at load, so that
 * freed outputs are reused warm instead of returned to the OS and faulted in
 * again (TENSORFOLD_MALLOC=system, or malloc settings in GLIBC_TUNABLES, keep
 * the allocator's defaults).
 */
export interface MallocInfo {
  tuned: boolean;
  /** Allocations below this many bytes come from the reusable heap (0 when not tuned). */
  reuseBelowBytes: number;
  /** Why not tuned: 'disabled', 'GLIBC_TUNABLES', 'not glibc' or 'mallopt refused'. */
  reason?: string;
}

/** C = alpha * op(A) * op(B) + beta * C over `batch` items, row-major. */
export interface GemmCall {
  a: Float32Array;
  /** Ignored (may be empty) when bPacked is given. */
  b: Float32Array;
  /** B packed once by packB; then transB and strideB do not apply. */
  bPacked?: unknown;
  c: Float32Array;
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
  batch?: number;
  strideA?: number;
  strideB?: number;
  strideC?: number;
  aOffset?: number;
  bOffset?: number;
  cOffset?: number;
  /**
   * Element strides of A's rows and columns, B's rows and columns and C's
   * rows, for views transA/transB cannot describe (C's columns stay unit
   * stride). Any of them given: the others default from transA/transB.
   * Not with bPacked.
   */
  rsA?: number;
  csA?: number;
  rsB?: number;
  csB?: number;
  rsC?: number;
  /**
   * An operand whose rows or columns are several index dims that no single
   * stride walks (an einsum group that does not fuse): each as [size, stride]
   * pairs, outermost first, flattened, whose sizes multiply to the
   * dimension. They replace that operand's rsX/csX; the GEMM then reads it
   * only while packing. Not with bPacked.
   */
  aGroups?: OffsetGroups;
  bGroups?: OffsetGroups;
  threads?: number;
}

/** A GEMM operand's rows and columns as index dims: flattened [size, stride] pairs each. */
export interface OffsetGroups {
  readonly rows: readonly number[];
  readonly cols: readonly number[];
}

/** One call of a runSequence: a kernel's name and the args its own binding takes. */
export type SequenceCall =
  | { readonly kind: 'gemm'; readonly args: GemmCall }
  | { readonly kind: 'permute'; readonly args: PermuteCall }
  | { readonly kind: 'multiply'; readonly args: MultiplyCall }
  | { readonly kind: 'sumProduct'; readonly args: SumProductCall };

/** A strided view for the contraction kernels: element i of the loop nest is data[offset + Σ i_d * strides[d]]. */
export interface StridedView {
  data: Float32Array;
  offset?: number;
  strides: readonly number[];
}

/** dst = src over the loop nest `shape` (a permuted or strided copy). */
export interface PermuteCall {
  shape: readonly number[];
  src: StridedView;
  dst: StridedView;
  threads?: number;
}

/** dst = a * b elementwise; a stride of 0 broadcasts. */
export interface MultiplyCall {
  shape: readonly number[];
  a: StridedView;
  b: StridedView;
  dst: StridedView;
  threads?: number;
}

/**
 * dst = Σ over the dims where dst's stride is 0 of Π ops, accumulated in
 * float64; with one operand a reduce-sum.
 */
export interface SumProductCall {
  shape: readonly number[];
  ops: readonly StridedView[];
  dst: StridedView;
  threads?: number;
}

/** y [tokens, rows] = x [tokens, k] · Wᵀ (+ bias) for an N:M matrix made by nmCreate. */
export interface NmMatmulCall {
  w: unknown;
  x: Float32Array;
  tokens: number;
  y: Float32Array;
  bias?: Float32Array;
  threads?: number;
}

/** Strides [batch, head, token] of a [batch, heads, seq, dim] operand (dim has stride 1). */
export type HeadStrides = readonly [number, number, number];

/** A hash function's parameters as the addon reads them (see lib/attention/hash.ts). */
export interface NativeHashFunction {
  kind: 'simhash' | 'kernel';
  bits: number;
  dim: number;
  heads: number;
  planes?: Float32Array;
  anchors?: number;
  centers?: Float32Array;
  weights?: Float32Array;
  mean?: Float32Array;
  gamma?: Float32Array;
  normalize?: boolean;
}

/** Codes [batch, heads, seq, words] of x; returns -1 or the flat token index of the first non-finite projection. */
export interface HashCodesCall {
  x: Float32Array;
  xStrides: HeadStrides;
  batch: number;
  heads: number;
  seq: number;
  dim: number;
  fn: NativeHashFunction;
  codes: BigUint64Array;
  threads?: number;
}

/** Attention on codes: [batch, heads, n, words] codes, v and out by strides. */
export interface HashAttentionCall {
  qCodes: BigUint64Array;
  kCodes: BigUint64Array;
  v: Float32Array;
  vStrides: HeadStrides;
  out: Float32Array;
  outStrides: HeadStrides;
  batch: number;
  heads: number;
  nq: number;
  nk: number;
  dim: number;
  bits: number;
  causal?: boolean;
  threads?: number;
  /** linear: 0 exact normalised kernel, 1 EcoFormer's released form. */
  variant?: number;
  /** hamming: softmax over scale * (bits - 2 * Hamming), optionally the topk nearest keys only. */
  scale?: number;
  topk?: number;
  portablePopcount?: boolean;
}

/** One step of a running linear hash attention state (see HashAttentionState). */
export interface HashStateCall {
  p: Float32Array;
  vsum: Float32Array;
  wsum: Float32Array;
  counts: Int32Array;
  length: Float64Array;
  batch: number;
  heads: number;
  dim: number;
  bits: number;
  n: number;
  kCodes?: BigUint64Array;
  v?: Float32Array;
  vStrides?: HeadStrides;
  qCodes?: BigUint64Array;
  out?: Float32Array;
  outStrides?: HeadStrides;
  variant?: number;
  threads?: number;
}

export interface SoftmaxAttentionCall {
  q: Float32Array;
  qStrides: HeadStrides;
  k: Float32Array;
  kStrides: HeadStrides;
  v: Float32Array;
  vStrides: HeadStrides;
  out: Float32Array;
  outStrides: HeadStrides;
  batch: number;
  heads: number;
  nq: number;
  nk: number;
  dim: number;
  dimV: number;
  causal?: boolean;
  scale?: number;
  threads?: number;
}

export type MeasureSpec =
  | { kernel: 'gemm'; m: number; n: number; k: number; transA?: boolean; transB?: boolean; batch?: number; rotate?: number; threads?: number; packB?: boolean }
  | { kernel: 'fma-peak'; threads?: number; iters?: number }
  | { kernel: 'hamming-scores'; n: number; bits: number; heads?: number; rows?: number; threads?: number; portablePopcount?: boolean }
  | { kernel: 'qk-scores'; n: number; dim: number; heads?: number; rows?: number; threads?: number }
  | { kernel: 'hash-linear'; n: number; bits: number; dim: number; heads?: number; causal?: boolean; threads?: number }
  | { kernel: 'add-peak'; threads?: number; iters?: number }
  | { kernel: 'nm'; rows: number; k: number; n: number; m: number; tokens: number; threads?: number };

export interface MeasureOptions {
  warmup?: number;
  minReps?: number;
  maxReps?: number;
  minSeconds?: number;
  maxSeconds?: number;
}

export interface NativeMeasurement {
  medianS: number;
  minS: number;
  maxS: number;
  trimmedMeanS: number;
  reps: number;
  flops: number;
  samplesS: Float64Array;
}

/** A = Q R P^T (row-major, float64); k = min(m, n). q: m x k, r: k x n, perm: n. */
export interface QrCall {
  a: Float64Array;
  m: number;
  n: number;
  /** Column pivoting by largest remaining norm (default false). */
  pivot?: boolean;
  q?: Float64Array;
  r?: Float64Array;
  perm?: Int32Array;
  threads?: number;
}

/** A = U diag(s) V^T (row-major, float64); k = min(m, n). u: m x k, s: k (descending), vt: k x n. */
export interface SvdCall {
  a: Float64Array;
  m: number;
  n: number;
  u?: Float64Array;
  s: Float64Array;
  vt?: Float64Array;
  threads?: number;
}

/** Triangular solve: left: op(T) X = B (B n x nrhs); right: X op(T) = B (B nrhs x n); B is overwritten. */
export interface TrsmCall {
  t: Float64Array;
  b: Float64Array;
  n: number;
  nrhs: number;
  left?: boolean;
  lower?: boolean;
  trans?: boolean;
}

/** C = alpha op(A) op(B) + beta C in float64, row-major; op(A) is m x k. */
export interface DgemmCall {
  a: Float64Array;
  b: Float64Array;
  c: Float64Array;
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
  threads?: number;
}

/** An operand of a chain step: a token-major buffer (x, y, scratch s0/s1) or a weight. */
export interface ChainRefArg {
  buf: 'x' | 'y' | 's0' | 's1' | 'w';
  weight?: number;
  offset?: number;
}

/**
 * One step of a factorized layer's chain, written for a block of T tokens:
 * a strided GEMM C = A B (rows T*m when mToken; loops around it, one of
 * which may be the token loop), a permuted copy, or a sum of products over a
 * nest whose dim tokenDim has extent T.
 */
export type ChainStepArg =
  | {
      kind: 'gemm';
      m: number;
      n: number;
      k: number;
      mToken?: boolean;
      rsA: number;
      csA: number;
      rsB: number;
      csB: number;
      rsC: number;
      a: ChainRefArg;
      b: ChainRefArg;
      c: ChainRefArg;
      loops?: { size?: number; token?: boolean; sa?: number; sb?: number; sc?: number }[];
      /** Pack B (a weight) once at creation. */
      pack?: boolean;
      /** Run as a narrow-weight GEMM (B a weight copied once, A read in place; at most one loop). */
      narrow?: boolean;
      /** A is a weight packed once; per token of the one (token) loop, B is read in place. */
      weightLeft?: boolean;
    }
  | {
      kind: 'permute' | 'sumProduct';
      shape: number[];
      tokenDim?: number;
      ins: (ChainRefArg & { strides: number[] })[];
      out: ChainRefArg & { strides: number[] };
    };

export interface ChainCreateArgs {
  inFeatures: number;
  outFeatures: number;
  /** Scratch floats per token. */
  s0?: number;
  s1?: number;
  weights: Float32Array[];
  bias?: Float32Array;
  steps: ChainStepArg[];
}

/** Runs a chain: y [tokens, out] from x [tokens, in]; fused: blocked over tokens (`block` per block). */
export interface ChainRunCall {
  chain: unknown;
  x: Float32Array;
  y: Float32Array;
  tokens: number;
  block?: number;
  fused?: boolean;
  threads?: number;
}

export interface NativeBinding {
  info(): NativeInfo;
  setThreads(n: number): void;
  getThreads(): number;
  setIsa(name: string): boolean;
  /** A zeroed Float32Array whose memory, when large, is advised onto huge pages. */
  outputArray(n: number): Float32Array;
  gemm(call: GemmCall): void;
  gemmAsync(call: GemmCall): Promise<void>;
  packB(args: { b: Float32Array; k: number; n: number; transB?: boolean; threads?: number }): unknown;
  measure(spec: MeasureSpec, options?: MeasureOptions): Promise<NativeMeasurement>;
  hashCodes(call: HashCodesCall): number;
  hashCodesAsync(call: HashCodesCall): Promise<number>;
  hashLinear(call: HashAttentionCall): void;
  hashLinearAsync(call: HashAttentionCall): Promise<void>;
  hashHamming(call: HashAttentionCall): void;
  hashHammingAsync(call: HashAttentionCall): Promise<void>;
  hashState(call: HashStateCall): void;
  hashStateAsync(call: HashStateCall): Promise<void>;
  /** Hamming distances [units, nq, nk]; returns the popcount kernel's name. */
  hashDistances(call: { qCodes: BigUint64Array; kCodes: BigUint64Array; dist: Int32Array; units: number; nq: number; nk: number; bits: number; portablePopcount?: boolean; threads?: number }): string;
  softmaxAttention(call: SoftmaxAttentionCall): void;
  softmaxAttentionAsync(call: SoftmaxAttentionCall): Promise<void>;
  nmCreate(args: { rows: number; k: number; n: number; m: number; values: Float32Array; indices: Uint8Array }): unknown;
  nmExport(w: unknown): { values: Float32Array; indices: Uint8Array; kernel: string };
  nmMatmul(call: NmMatmulCall): void;
  nmMatmulAsync(call: NmMatmulCall): Promise<void>;
  permute(call: PermuteCall): void;
  permuteAsync(call: PermuteCall): Promise<void>;
  multiply(call: MultiplyCall): void;
  multiplyAsync(call: MultiplyCall): Promise<void>;
  sumProduct(call: SumProductCall): void;
  sumProductAsync(call: SumProductCall): Promise<void>;
  /** Several kernel calls, all checked first, then run in order in one trip (one job when async). */
  runSequence(calls: readonly SequenceCall[]): void;
  runSequenceAsync(calls: readonly SequenceCall[]): Promise<void>;
  qr(call: QrCall): void;
  qrAsync(call: QrCall): Promise<void>;
  svd(call: SvdCall): { sweeps: number; converged: boolean };
  svdAsync(call: SvdCall): Promise<{ sweeps: number; converged: boolean }>;
  /** Lower Cholesky factor in place (n x n, row-major); -1 on success, else the failing column. */
  cholesky(call: { a: Float64Array; n: number }): number;
  choleskyAsync(call: { a: Float64Array; n: number }): Promise<number>;
  /** false when T has a zero on its diagonal. */
  trsm(call: TrsmCall): boolean;
  trsmAsync(call: TrsmCall): Promise<boolean>;
  dgemm(call: DgemmCall): void;
  dgemmAsync(call: DgemmCall): Promise<void>;
  chainCreate(args: ChainCreateArgs): unknown;
  chainRun(call: ChainRunCall): void;
  chainRunAsync(call: ChainRunCall): Promise<void>;
}

export const packageRoot = path.resolve(__dirname, '..');

let binding: NativeBinding | undefined;

function candidates(): { file: string; kind: string }[] {
  const out: { file: string; kind: string }[] = [];
  if (process.env.TENSORFOLD_NATIVE) out.push({ file: path.resolve(process.env.TENSORFOLD_NATIVE), kind: 'TENSORFOLD_NATIVE' });
  out.push({ file: path.join(packageRoot, 'build', 'Release', 'tensorfold.node'), kind: 'local build' });
  try {
    // node-gyp-build knows the prebuild naming (platform, arch, libc, napi).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const file = require('node-gyp-build').path(packageRoot) as string;
    if (!out.some((c) => c.file === file)) out.push({ file, kind: 'prebuild' });
  } catch {
    out.push({ file: path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`), kind: 'prebuild' });
  }
  return out;
}

function fixFor(message: string): string {
  if (/invalid ELF|wrong ELF class|not a valid Win32|mach-o/i.test(message))
    return 'the binary is for another platform or architecture: run `npm rebuild tensorfold`';
  if (/GLIBC|GLIBCXX|CXXABI/.test(message))
    return 'the binary needs a newer C/C++ runtime than this system has: run `npm rebuild tensorfold` to build it here';
  if (/undefined symbol|did not self-register|NODE_MODULE_VERSION/i.test(message))
    return 'the binary is stale or from another build: run `npm rebuild tensorfold`';
  return 'run `npm rebuild tensorfold` (needs python3, make and a C++17 compiler)';
}

function load(): NativeBinding {
  const causes: string[] = [];
  for (const { file, kind } of candidates()) {
    if (!fs.existsSync(file) || !file.endsWith('.node')) {
      causes.push(`  - ${kind}: not found at ${file}`);
      continue;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(file) as NativeBinding;
    } catch (err) {
      const message = (err as Error).message.split('\n')[0];
      causes.push(`  - ${kind}: ${file} failed to load: ${message}\n    fix: ${fixFor(message)}`);
    }
  }
  throw new TensorfoldError(
    'NATIVE_LOAD',
    `tensorfold: no native addon could be loaded for ${process.platform}-${process.arch} (Node ${process.version}, N-API ${process.versions.napi}).\n` +
      `${causes.join('\n')}\n` +
      'To build from source: `npm rebuild tensorfold`, or in a checkout `npm run build:native`.',
  );
}

/** Applies TENSORFOLD_ISA, which may lower the kernel tier but never raise it. */
function applyIsaEnv(b: NativeBinding): void {
  const wanted = process.env.TENSORFOLD_ISA;
  if (wanted === undefined || wanted === '') return;
  if (!['generic', 'avx2', 'avx512'].includes(wanted))
    throw new RangeError(`TENSORFOLD_ISA must be one of generic, avx2, avx512; got '${wanted}'`);
  if (!b.setIsa(wanted))
    throw new TensorfoldError(
      'ISA_UNSUPPORTED',
      `TENSORFOLD_ISA=${wanted} asks for a tier this CPU or OS cannot run (best available: ${b.info().maxTier})`,
    );
}

/** The addon, loaded on first use. */
export function native(): NativeBinding {
  if (!binding) {
    const b = load();
    applyIsaEnv(b);
    binding = b;
  }
  return binding;
}
