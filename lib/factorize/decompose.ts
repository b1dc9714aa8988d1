// decompose / decomposeSync: a dense weight to a FactorizedLinear. Checks the
// arguments, runs the format's decomposition (data-aware when calibration
// activations are given), rounds the factors to float32 and measures the
// errors of what will actually run.
import { checkBool, checkInt, checkObject, describe, checkOptions } from '../check';
import { asTensor, Tensor, type TensorLike } from '../tensor';
import { gramOf, lowrankCalibrated, refineCalibrated, weightedNorm2 } from './calibrate';
import { cpDecompose } from './cp';
import { FactorizedLinear } from './layer';
import { lowrankDecompose } from './lowrank';
import { frob2, mat, Mat, transpose as transposeMat } from './matrix';
import { denseWeight, Format, FORMATS } from './network';
import { Gen, runAsync, runSync } from './ops';
import { LayerHeader } from './serialize';
import { SvdMethod } from './svd';
import { tensorizations } from './tensorize';
import { ttDecompose } from './tt';
import { tuckerDecompose } from './tucker';
import { FormatOptions, FormatResult } from './types';

export interface DecomposeOptions {
  readonly format: Format;
  /** The weight is [N_out, N_in] (torch Linear, ONNX Gemm transB): y = x W^T. Default false: [N_in, N_out], y = x W. */
  readonly transpose?: boolean;
  readonly bias?: TensorLike;
  /**
   * Tensorization for tt, tucker and cp: { in: [n_1..n_d], out: [m_1..m_d] },
   * or { d } for the most balanced d-factor shapes (default d = 2).
   */
  readonly shape?: { readonly in?: readonly number[]; readonly out?: readonly number[]; readonly d?: number };
  /**
   * Rank caps. lowrank: r. tt: one cap for every bond or one per bond (d - 1).
   * tucker: one for every mode or one per mode, outputs then inputs (2d).
   * cp: R. Ranks beyond what the weight's unfoldings allow are clipped, with
   * a process warning (code TENSORFOLD_RANK_CLIPPED) and a note in report.
   */
  readonly ranks?: number | readonly number[];
  /** Relative error target in (0, 1): of the weight, or of the output with calibration. */
  readonly maxError?: number;
  /** Calibration activations [..., N_in]: minimise the output error on them instead. */
  readonly calibration?: TensorLike;
  /** SVD: 'auto' (default), 'exact' (one-sided Jacobi) or 'randomized'. */
  readonly method?: SvdMethod;
  /** HOOI (tucker) or CP-ALS iteration limit (defaults 20 and 200). */
  readonly iterations?: number;
  /** Stop HOOI or CP-ALS when the relative error improves by less than this (default 1e-6). */
  readonly tolerance?: number;
  /** Seeds the randomized SVD and CP's initial factors (default 0). */
  readonly seed?: number;
  /** Tucker: refine the HOSVD by HOOI (default true). */
  readonly refine?: boolean;
  /** Data-aware sweeps over the factors (tt, tucker, cp; default 2). */
  readonly sweeps?: number;
}

const OPTION_NAMES = ['format', 'transpose', 'bias', 'shape', 'ranks', 'maxError', 'calibration', 'method', 'iterations', 'tolerance', 'seed', 'refine', 'sweeps'];
const METHODS: readonly SvdMethod[] = ['auto', 'exact', 'randomized'];

interface Checked {
  readonly format: Format;
  readonly w: Mat; // [N_out, N_in], float64
  readonly weight: Tensor;
  readonly transpose: boolean;
  readonly bias: Float32Array | null;
  readonly calibration: { data: Float32Array; tokens: number } | null;
  readonly fo: FormatOptions;
  readonly sweeps: number;
  readonly warnings: string[];
}

function checkFinite(data: Float32Array, what: string, shape: readonly number[]): void {
  for (let i = 0; i < data.length; i++)
    if (!Number.isFinite(data[i])) {
      const cols = shape[shape.length - 1] || 1;
      throw new RangeError(`${what} holds a non-finite value (${data[i]}) at [${Math.floor(i / cols)}, ${i % cols}]`);
    }
}

function checkDims(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || v.length === 0) throw new TypeError(`${what} must be a non-empty array of positive integers, got ${describe(v)}`);
  return v.map((x, i) => checkInt(x, `${what}[${i}]`, 1));
}

function check(weightIn: unknown, optionsIn: unknown, fn: string): Checked {
  const weight = asTensor(weightIn, `${fn}: weight`);
  if (optionsIn === undefined) throw new TypeError(`${fn}: options are required: { format: ${FORMATS.map((f) => `'${f}'`).join(' | ')}, ranks or maxError }`);
  const o = checkOptions(optionsIn, fn, OPTION_NAMES) as unknown as DecomposeOptions;
  if (typeof o.format !== 'string') throw new TypeError(`${fn}: options.format must be one of ${FORMATS.map((f) => `'${f}'`).join(', ')}, got ${describe(o.format)}`);
  if (!FORMATS.includes(o.format)) throw new RangeError(`${fn}: options.format '${o.format}' is not a format; valid formats are ${FORMATS.map((f) => `'${f}'`).join(', ')}`);
  const format = o.format;
  if (weight.rank !== 2) throw new RangeError(`${fn}: weight must be 2-D, got shape [${weight.shape.join(', ')}]`);
  if (weight.size === 0) throw new RangeError(`${fn}: weight must not be empty, got shape [${weight.shape.join(', ')}]`);
  checkFinite(weight.data, `${fn}: weight`, weight.shape);
  const transpose = o.transpose === undefined ? false : checkBool(o.transpose, `${fn}: options.transpose`);
  const [nOut, nIn] = transpose ? weight.shape : [weight.shape[1], weight.shape[0]];
  const inDim = transpose ? 1 : 0, outDim = 1 - inDim;

  if (o.maxError !== undefined) {
    if (typeof o.maxError !== 'number') throw new TypeError(`${fn}: options.maxError must be a number, got ${describe(o.maxError)}`);
    if (!(o.maxError > 0 && o.maxError < 1)) throw new RangeError(`${fn}: options.maxError must lie in (0, 1), got ${o.maxError}`);
  }
  let ranks: number[] | undefined;
  if (o.ranks !== undefined) ranks = typeof o.ranks === 'number' ? [checkInt(o.ranks, `${fn}: options.ranks`, 1)] : checkDims(o.ranks, `${fn}: options.ranks`);
  if (ranks === undefined && o.maxError === undefined) throw new RangeError(`${fn}: give options.ranks, options.maxError or both`);

  // Tensorization.
  let inShape: number[], outShape: number[];
  const sh = o.shape === undefined ? {} : (checkObject(o.shape, `${fn}: options.shape`) as NonNullable<DecomposeOptions['shape']>);
  if (format === 'lowrank') {
    if (o.shape !== undefined) throw new RangeError(`${fn}: options.shape does not apply to format 'lowrank'`);
    inShape = [nIn];
    outShape = [nOut];
  } else if (sh.in !== undefined || sh.out !== undefined) {
    if (sh.in === undefined || sh.out === undefined) throw new RangeError(`${fn}: options.shape needs both 'in' and 'out'`);
    inShape = checkDims(sh.in, `${fn}: options.shape.in`);
    outShape = checkDims(sh.out, `${fn}: options.shape.out`);
    const pi = inShape.reduce((p, x) => p * x, 1), po = outShape.reduce((p, x) => p * x, 1);
    if (pi !== nIn)
      throw new RangeError(`${fn}: options.shape.in = [${inShape.join(', ')}] multiplies to ${pi}, but the weight [${weight.shape.join(', ')}] has ${nIn} input features (dim ${inDim})`);
    if (po !== nOut)
      throw new RangeError(`${fn}: options.shape.out = [${outShape.join(', ')}] multiplies to ${po}, but the weight [${weight.shape.join(', ')}] has ${nOut} output features (dim ${outDim})`);
    if (inShape.length !== outShape.length)
      throw new RangeError(`${fn}: options.shape.in and options.shape.out must have the same number of factors, got ${inShape.length} and ${outShape.length}`);
  } else {
    const d = sh.d === undefined ? 2 : checkInt(sh.d, `${fn}: options.shape.d`, 1, 8);
    const ti = tensorizations(nIn, d), to = tensorizations(nOut, d);
    if (ti.length === 0) throw new RangeError(`${fn}: ${nIn} input features have no factorization into ${d} factors >= 2; give options.shape.in or another options.shape.d`);
    if (to.length === 0) throw new RangeError(`${fn}: ${nOut} output features have no factorization into ${d} factors >= 2; give options.shape.out or another options.shape.d`);
    inShape = ti[0];
    outShape = to[0];
  }
  const d = inShape.length;
  if (format === 'tt' && d < 2) throw new RangeError(`${fn}: format 'tt' needs at least 2 factors per side, got options.shape with ${d}`);
  if (ranks && ranks.length > 1) {
    const want = format === 'tt' ? d - 1 : format === 'tucker' ? 2 * d : 1;
    if (ranks.length !== want)
      throw new RangeError(
        `${fn}: options.ranks for format '${format}' takes one value${want > 1 ? ` or ${want} (${format === 'tt' ? 'one per bond' : 'one per mode, outputs then inputs'})` : ''}, got ${ranks.length}`,
      );
  }

  let bias: Float32Array | null = null;
  if (o.bias !== undefined) {
    const b = asTensor(o.bias, `${fn}: options.bias`);
    if (b.size !== nOut) throw new RangeError(`${fn}: options.bias must have the ${nOut} output features, got shape [${b.shape.join(', ')}]`);
    checkFinite(b.data, `${fn}: options.bias`, [b.size]);
    bias = Float32Array.from(b.data);
  }
  let calibration: Checked['calibration'] = null;
  if (o.calibration !== undefined) {
    const x = asTensor(o.calibration, `${fn}: options.calibration`);
    if (x.rank === 0 || x.shape[x.rank - 1] !== nIn)
      throw new RangeError(`${fn}: options.calibration must end in the ${nIn} input features, got shape [${x.shape.join(', ')}]`);
    if (x.size === 0) throw new RangeError(`${fn}: options.calibration holds no tokens`);
    checkFinite(x.data, `${fn}: options.calibration`, [x.size / nIn, nIn]);
    calibration = { data: x.data, tokens: x.size / nIn };
  }
  const method = o.method ?? 'auto';
  if (!METHODS.includes(method)) throw new RangeError(`${fn}: options.method must be one of ${METHODS.map((m) => `'${m}'`).join(', ')}, got ${describe(method)}`);
  const iterations = o.iterations === undefined ? undefined : checkInt(o.iterations, `${fn}: options.iterations`, 1, 100000);
  let tolerance: number | undefined;
  if (o.tolerance !== undefined) {
    if (typeof o.tolerance !== 'number' || !(o.tolerance >= 0 && o.tolerance < 1)) throw new RangeError(`${fn}: options.tolerance must be a number in [0, 1), got ${describe(o.tolerance)}`);
    tolerance = o.tolerance;
  }
  const seed = o.seed === undefined ? 0 : checkInt(o.seed, `${fn}: options.seed`, 0, 2 ** 32 - 1);
  const refine = o.refine === undefined ? true : checkBool(o.refine, `${fn}: options.refine`);
  const sweeps = o.sweeps === undefined ? 2 : checkInt(o.sweeps, `${fn}: options.sweeps`, 0, 1000);

  // W as [N_out, N_in], float64.
  let w = mat(weight.shape[0], weight.shape[1], Float64Array.from(weight.data));
  if (!transpose) w = transposeMat(w);
  const warnings: string[] = [];
  const fo: FormatOptions = { inShape, outShape, ranks, maxError: o.maxError, method, seed, iterations, tolerance, refine, warn: (m) => warnings.push(m), fn };
  return { format, w, weight, transpose, bias, calibration, fo, sweeps, warnings };
}

function* build(c: Checked): Gen<FactorizedLinear> {
  const started = Date.now();
  const g = c.calibration ? yield* gramOf(c.calibration.data, c.calibration.tokens, c.w.cols) : null;
  let result: FormatResult;
  const details: Record<string, unknown> = {};
  if (c.format === 'lowrank') {
    result = g ? yield* lowrankCalibrated(c.w, g, c.fo) : yield* lowrankDecompose(c.w, c.fo);
  } else {
    const run = c.format === 'tt' ? ttDecompose : c.format === 'tucker' ? tuckerDecompose : cpDecompose;
    result = yield* run(c.w, c.fo);
    if (g && c.sweeps > 0) {
      const refined = yield* refineCalibrated(c.format, c.w, g, result.factors, c.fo, { sweeps: c.sweeps, cgIterations: 12 });
      details.calibrationSweeps = c.sweeps;
      details.outputErrorHistory = refined.history;
      result = { ...result, factors: refined.factors };
    }
  }
  // Errors of the float32 factors that will run.
  const factors32 = result.factors.map((f) => Float32Array.from(f.data));
  const dense = yield* denseWeight(c.format, c.fo.inShape, c.fo.outShape, result.factors.map((f, i) => ({ ...f, data: factors32[i] })));
  const e = mat(dense.rows, dense.cols);
  for (let i = 0; i < e.data.length; i++) e.data[i] = c.w.data[i] - dense.data[i];
  const w2 = frob2(c.w.data), e2 = frob2(e.data);
  const weightError = w2 > 0 ? Math.sqrt(e2 / w2) : e2 > 0 ? Infinity : 0;
  let outputError: number | null = null;
  if (g) {
    const ref2 = yield* weightedNorm2(c.w, g);
    const err2 = yield* weightedNorm2(e, g);
    outputError = ref2 > 0 ? Math.sqrt(err2 / ref2) : err2 > 0 ? Infinity : 0;
  }
  for (const m of c.warnings) process.emitWarning(m, { code: 'TENSORFOLD_RANK_CLIPPED' });
  let offset = 0;
  const entries = result.factors.map((f) => {
    const entry = { name: f.name, shape: [...f.shape], offset };
    offset += f.data.length;
    return entry;
  });
  const header: LayerHeader = {
    format: c.format,
    inFeatures: c.w.cols,
    outFeatures: c.w.rows,
    shape: { in: [...c.fo.inShape], out: [...c.fo.outShape] },
    ranks: [...result.ranks],
    transpose: c.transpose,
    factors: entries,
    bias: c.bias ? { offset } : null,
    weightError,
    outputError,
    report: {
      ...result.details,
      ...details,
      calibrated: g !== null,
      calibrationTokens: c.calibration?.tokens ?? 0,
      warnings: c.warnings,
      seconds: (Date.now() - started) / 1000,
    },
  };
  return new FactorizedLinear({ header, factors: factors32, bias: c.bias, reference: c.weight });
}

/**
 * Decomposes a dense weight into a factorized layer on the calling thread:
 * `decomposeSync(w, { format: 'tt', shape: { in: [8, 8, 12], out: [8, 8, 12] }, ranks: 16 })`.
 */
export function decomposeSync(weight: TensorLike, options: DecomposeOptions): FactorizedLinear {
  return runSync(build(check(weight, options, 'decomposeSync')));
}

/** decomposeSync with its SVDs, QRs and products on the compute pool, so the event loop keeps running between them. */
export async function decompose(weight: TensorLike, options: DecomposeOptions): Promise<FactorizedLinear> {
  return runAsync(build(check(weight, options, 'decompose')));
}
