// FactorizedLinear: a linear layer y = x W^T + b (or x W + b) whose weight
// is held in a factorized format and applied as a chain of contractions.
import { checkBool, checkInt, checkObject, describe, checkOptions } from '../check';
import { einsumSync, type OptimizeOption } from '../einsum';
import { native } from '../native';
import { asTensor, Tensor, type TensorLike } from '../tensor';
import { LoweredChain } from './chain';
import { frob2, mat, mul, transpose as transposeMat } from './matrix';
import { denseWeight, Format, Network, networkOf } from './network';
import { runSync } from './ops';
import { batchBucket, BLOCK_BUDGET_FLOATS, ForwardPlan, makePlan, PlanEntry } from './plan';
import { checkHeader, decode, encode, LayerData, LayerHeader } from './serialize';
import { candidatePaths, timeRuns, TuneResult, TuneTiming } from './tune';
import { randn, zeros } from '../tensor';
import { outputData } from '../memory';

export interface ForwardOptions {
  /**
   * 'auto' (default): blocked over tokens when the whole batch's
   * intermediates would outgrow L2; 'fused': always blocked; 'unfused':
   * each step over the whole batch; 'einsum': the generic einsum executor
   * on the same path (a reference).
   */
  readonly mode?: 'auto' | 'fused' | 'unfused' | 'einsum';
  /** Tokens per block when fused (default: the plan's, sized for L2). */
  readonly block?: number;
  /** At most this many threads of the compute pool (default: all). */
  readonly threads?: number;
  /** Contraction path: an optimizer name or explicit path, as contractPath takes (default 'auto'). */
  readonly optimize?: OptimizeOption;
  /**
   * Write the result here instead of a new tensor: a Tensor of the result's
   * shape, not sharing memory with x. Reusing one output across calls saves
   * allocating (and first touching) fresh memory each time.
   */
  readonly out?: Tensor;
}

export interface FactorTensor {
  readonly name: string;
  readonly tensor: Tensor;
}

/** Everything a layer is made of; what decompose builds and fromObject reads. */
export interface LayerFields extends LayerData {
  /** The original weight (not copied), for error(); absent after deserialization. */
  readonly reference?: Tensor;
}

const FORWARD_OPTIONS = ['mode', 'block', 'threads', 'optimize', 'out'];
const MODES = ['auto', 'fused', 'unfused', 'einsum'];
const MAX_CHAINS = 4;

export class FactorizedLinear {
  readonly format: Format;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Tensorization: inFeatures = Π shape.in, outFeatures = Π shape.out. */
  readonly shape: { readonly in: readonly number[]; readonly out: readonly number[] };
  /** lowrank [r]; tt [r_1..r_{d-1}]; tucker [t_1..t_d, s_1..s_d]; cp [R]. */
  readonly ranks: readonly number[];
  readonly factors: readonly FactorTensor[];
  readonly bias: Tensor | null;
  /** The weight this came from was [N_out, N_in]: toDense() returns that orientation. */
  readonly transpose: boolean;
  /** Parameters of the factors (the bias excluded). */
  readonly params: number;
  readonly denseParams: number;
  /** denseParams / params. */
  readonly compression: number;
  /** Relative Frobenius error of the weight, ‖W - Ŵ‖ / ‖W‖, of these (float32) factors. */
  readonly weightError: number;
  /** Relative output error on the calibration activations, when decomposed with them. */
  readonly outputError: number | null;
  /** How the decomposition went: methods, iterations, convergence, warnings. */
  readonly report: Readonly<Record<string, unknown>>;

  private readonly network: Network;
  private readonly header: LayerHeader;
  private reference: Tensor | undefined;
  private readonly plans = new Map<string, PlanEntry>();
  private readonly chains = new Map<string, { lowered: LoweredChain; chain: unknown }>();
  private readonly tuned = new Map<number, { optimize: OptimizeOption; fused: boolean }>();

  /** @internal Use decompose(), FactorizedLinear.deserialize() or fromObject(). */
  constructor(fields: LayerFields) {
    const h = fields.header;
    this.header = h;
    this.format = h.format;
    this.inFeatures = h.inFeatures;
    this.outFeatures = h.outFeatures;
    this.shape = Object.freeze({ in: Object.freeze([...h.shape.in]), out: Object.freeze([...h.shape.out]) });
    this.ranks = Object.freeze([...h.ranks]);
    this.transpose = h.transpose;
    this.factors = Object.freeze(h.factors.map((e, i) => Object.freeze({ name: e.name, tensor: new Tensor(fields.factors[i], e.shape) })));
    this.bias = fields.bias ? new Tensor(fields.bias, [h.outFeatures]) : null;
    this.params = this.factors.reduce((p, f) => p + f.tensor.size, 0);
    this.denseParams = h.inFeatures * h.outFeatures;
    this.compression = this.denseParams / this.params;
    this.weightError = h.weightError;
    this.outputError = h.outputError;
    this.report = Object.freeze({ ...h.report });
    this.reference = fields.reference;
    this.network = networkOf(h.format, h.shape.in, h.shape.out, h.factors);
    if (h.format === 'tt') {
      const g = h.factors;
      if (g[0].shape[0] !== 1 || g[g.length - 1].shape[3] !== 1)
        throw new RangeError(`a tt layer's first core must start and its last core end with a bond of 1, got [${g[0].shape.join(', ')}] and [${g[g.length - 1].shape.join(', ')}]`);
    }
  }

  /**
   * FLOPs per token of the forward pass as planned for one token. Weight-only
   * contractions a path makes once (see plan()) are not counted: they are
   * paid when the plan is made, not per token.
   */
  get flopsPerToken(): number {
    return this.plan(1).flopsPerToken;
  }

  get denseFlopsPerToken(): number {
    return 2 * this.inFeatures * this.outFeatures;
  }

  /**
   * The forward plan for a batch of `tokens`: the contraction path chosen by
   * contractPath for that batch (rounded up to a power of two), the native
   * steps it lowers to, FLOPs per token and the fused block size.
   */
  plan(tokens: number, options?: { optimize?: OptimizeOption }): ForwardPlan {
    checkInt(tokens, 'FactorizedLinear.plan: tokens', 0);
    return this.entry(tokens, options?.optimize ?? 'auto').plan;
  }

  private entry(tokens: number, optimize: OptimizeOption): PlanEntry {
    const batch = batchBucket(Math.max(1, tokens));
    const key = `${batch}|${JSON.stringify(optimize)}`;
    let e = this.plans.get(key);
    if (!e) {
      if (this.chains.size >= MAX_CHAINS) this.chains.delete(this.chains.keys().next().value as string);
      e = makePlan(
        {
          network: this.network,
          inShape: this.shape.in,
          outShape: this.shape.out,
          factors: this.factors.map((f) => ({ shape: f.tensor.shape, data: f.tensor.data })),
          bias: this.bias?.data ?? null,
          inFeatures: this.inFeatures,
          outFeatures: this.outFeatures,
        },
        batch,
        optimize,
        this.chains,
      );
      this.plans.set(key, e);
    }
    return e;
  }

  /**
   * The plan and fusing for a call: what tune() measured for this batch when
   * the call leaves both to 'auto', else the planner's path, fused when the
   * whole batch's intermediates would not fit the block budget (about half of L2).
   */
  private choose(p: { tokens: number; mode: string; optimize: OptimizeOption; explicitOptimize: boolean }): { e: PlanEntry; fused: boolean } {
    const t = p.mode === 'auto' && !p.explicitOptimize ? this.tuned.get(batchBucket(Math.max(1, p.tokens))) : undefined;
    if (t) return { e: this.entry(p.tokens, t.optimize), fused: t.fused };
    const e = this.entry(p.tokens, p.optimize);
    return { e, fused: p.mode === 'fused' || (p.mode === 'auto' && this.outgrowsCache(e, p.tokens)) };
  }

  /**
   * Times the candidate paths (the planner's, greedy, input side first, the
   * dense weight first), each fused and unfused, on `tokens` random tokens,
   * and makes the fastest what forward() runs in 'auto' mode for batches of
   * that size (the same power-of-two bucket). Returns every timing.
   */
  tune(tokens: number, options?: { reps?: number; minSeconds?: number; threads?: number }): TuneResult {
    const fn = 'FactorizedLinear.tune';
    checkInt(tokens, `${fn}: tokens`, 1);
    const o = checkObject(options, `${fn}: options`) as { reps?: number; minSeconds?: number; threads?: number };
    const reps = o.reps === undefined ? 5 : checkInt(o.reps, `${fn}: options.reps`, 1, 1000);
    const minSeconds = o.minSeconds === undefined ? 0.05 : Number(o.minSeconds);
    if (!(minSeconds >= 0 && minSeconds <= 60)) throw new RangeError(`${fn}: options.minSeconds must be in [0, 60], got ${o.minSeconds}`);
    const threads = o.threads === undefined ? undefined : checkInt(o.threads, `${fn}: options.threads`, 1, 256);
    const x = randn([tokens, this.inFeatures], 1);
    // One output for every run: fresh memory's page faults would be timed too.
    const out = zeros([tokens, this.outFeatures]);
    const seen = new Set<string>();
    const timings: (TuneTiming & { optimize: OptimizeOption })[] = [];
    for (const c of candidatePaths(this.format, this.factors.map((f) => f.name))) {
      const e = this.entry(tokens, c.optimize);
      const key = JSON.stringify(e.plan.path.path);
      if (seen.has(key)) continue;
      seen.add(key);
      for (const mode of ['fused', 'unfused'] as const) {
        const seconds = timeRuns(() => this.forwardSync(x, { mode, optimize: c.optimize, threads, out }), reps, minSeconds);
        timings.push({ name: c.name, mode, seconds, flopsPerToken: e.plan.flopsPerToken, optimize: c.optimize });
      }
    }
    timings.sort((a, b) => a.seconds - b.seconds);
    const winner = timings[0];
    const batch = batchBucket(tokens);
    this.tuned.set(batch, { optimize: winner.optimize, fused: winner.mode === 'fused' });
    return { batch, winner, timings: timings.map(({ optimize: _o, ...t }) => t) };
  }

  /** 'auto' fuses when the whole batch's intermediates would not fit the block budget (about half of L2). */
  private outgrowsCache(e: PlanEntry, tokens: number): boolean {
    return tokens > e.plan.block && tokens * e.plan.scratchPerToken > BLOCK_BUDGET_FLOATS;
  }

  private prepare(xIn: unknown, options: unknown, fn: string) {
    const x = asTensor(xIn, `${fn}: x`);
    const o = checkOptions(options, fn, FORWARD_OPTIONS) as ForwardOptions;
    const mode = o.mode ?? 'auto';
    if (!MODES.includes(mode)) throw new RangeError(`${fn}: options.mode must be one of ${MODES.map((m) => `'${m}'`).join(', ')}, got ${describe(mode)}`);
    const threads = o.threads === undefined ? 0 : checkInt(o.threads, `${fn}: options.threads`, 1, 256);
    const block = o.block === undefined ? 0 : checkInt(o.block, `${fn}: options.block`, 1);
    if (x.rank === 0 || x.shape[x.rank - 1] !== this.inFeatures)
      throw new RangeError(`${fn}: x must end in the layer's ${this.inFeatures} input features, got shape [${x.shape.join(', ')}]`);
    const tokens = x.size / this.inFeatures;
    const shape = [...x.shape.slice(0, -1), this.outFeatures];
    const y = outputData(o.out, shape, fn);
    return { x, mode, threads, block, tokens, shape, y, out: o.out, optimize: o.optimize ?? 'auto', explicitOptimize: o.optimize !== undefined };
  }

  /** The same contraction through the generic einsum executor; bias added here. */
  private viaEinsum(x: Tensor, tokens: number, optimize: OptimizeOption, threads: number): Float32Array {
    const e = this.entry(tokens, optimize);
    const xs = new Tensor(x.data, [tokens, ...this.shape.in]);
    const opts = threads ? { optimize: e.plan.path.path as number[][], threads } : { optimize: e.plan.path.path as number[][] };
    const y = einsumSync(e.plan.subscripts, xs, ...this.factors.map((f) => f.tensor), opts).data;
    if (this.bias) for (let t = 0; t < tokens; t++) for (let j = 0; j < this.outFeatures; j++) y[t * this.outFeatures + j] += this.bias.data[j];
    return y;
  }

  /** y [..., outFeatures] = x [..., inFeatures] through the factors (+ bias), on the calling thread. */
  forwardSync(x: TensorLike, options?: ForwardOptions): Tensor {
    const p = this.prepare(x, options, 'FactorizedLinear.forwardSync');
    if (p.tokens > 0 && p.mode === 'einsum') p.y.set(this.viaEinsum(p.x, p.tokens, p.optimize, p.threads));
    else if (p.tokens > 0) {
      const { e, fused } = this.choose(p);
      native().chainRun({ chain: e.chain, x: p.x.data, y: p.y, tokens: p.tokens, block: p.block || e.plan.block, fused, threads: p.threads });
    }
    return p.out ?? new Tensor(p.y, p.shape);
  }

  /** forwardSync on the compute pool; the event loop stays free. */
  async forward(x: TensorLike, options?: ForwardOptions): Promise<Tensor> {
    const p = this.prepare(x, options, 'FactorizedLinear.forward');
    if (p.tokens > 0 && p.mode === 'einsum') p.y.set(this.viaEinsum(p.x, p.tokens, p.optimize, p.threads));
    else if (p.tokens > 0) {
      const { e, fused } = this.choose(p);
      await native().chainRunAsync({ chain: e.chain, x: p.x.data, y: p.y, tokens: p.tokens, block: p.block || e.plan.block, fused, threads: p.threads });
    }
    return p.out ?? new Tensor(p.y, p.shape);
  }

  /**
   * Relative output error ‖x Ŵ^T - x W^T‖ / ‖x W^T‖ on activations x
   * [..., inFeatures], through this layer's forward pass (bias excluded on
   * both sides). W is `reference` (oriented as the weight given to
   * decompose) or else the weight the layer was decomposed from.
   */
  error(x: TensorLike, reference?: TensorLike): number {
    const fn = 'FactorizedLinear.error';
    const ref = reference === undefined ? this.reference : asTensor(reference, `${fn}: reference`);
    if (!ref) throw new TypeError(`${fn}: this layer holds no reference weight (it was deserialized); pass it as the second argument`);
    const want = this.transpose ? [this.outFeatures, this.inFeatures] : [this.inFeatures, this.outFeatures];
    if (ref.rank !== 2 || ref.shape[0] !== want[0] || ref.shape[1] !== want[1])
      throw new RangeError(`${fn}: reference must be [${want.join(', ')}] like the decomposed weight, got [${ref.shape.join(', ')}]`);
    const y = this.forwardSync(x);
    const xs = asTensor(x, `${fn}: x`);
    const tokens = xs.size / this.inFeatures;
    const w64 = mat(ref.shape[0], ref.shape[1], Float64Array.from(ref.data));
    const yRef = runSync(mul(mat(tokens, this.inFeatures, Float64Array.from(xs.data)), w64, false, this.transpose));
    let num = 0;
    for (let t = 0; t < tokens; t++)
      for (let j = 0; j < this.outFeatures; j++) {
        const i = t * this.outFeatures + j;
        const d = y.data[i] - (this.bias ? this.bias.data[j] : 0) - yRef.data[i];
        num += d * d;
      }
    const den = frob2(yRef.data);
    return den > 0 ? Math.sqrt(num / den) : num > 0 ? Infinity : 0;
  }

  /** The weight Ŵ the factors represent, oriented like the decomposed weight (or as `transpose` says). */
  toDense(options?: { transpose?: boolean }): Tensor {
    const o = checkObject(options, 'FactorizedLinear.toDense: options') as { transpose?: boolean };
    const t = o.transpose === undefined ? this.transpose : checkBool(o.transpose, 'FactorizedLinear.toDense: options.transpose');
    const w = runSync(
      denseWeight(this.format, this.shape.in, this.shape.out, this.factors.map((f) => ({ name: f.name, shape: f.tensor.shape, data: f.tensor.data }))),
    );
    const oriented = t ? w : transposeMat(w);
    return new Tensor(Float32Array.from(oriented.data), [oriented.rows, oriented.cols]);
  }

  /** The header and Float32Arrays (shared, not copied). */
  toObject(): { header: LayerHeader; factors: Float32Array[]; bias: Float32Array | null } {
    return { header: this.header, factors: this.factors.map((f) => f.tensor.data), bias: this.bias?.data ?? null };
  }

  /** JSON header + float32 blob (see docs/factorized.md). */
  serialize(): Uint8Array {
    return encode(this.toObject());
  }

  static deserialize(bytes: Uint8Array): FactorizedLinear {
    return FactorizedLinear.build(decode(bytes), 'FactorizedLinear.deserialize');
  }

  /** From toObject()'s output; the arrays are shared. */
  static fromObject(obj: { header: unknown; factors: readonly Float32Array[]; bias?: Float32Array | null }): FactorizedLinear {
    const fn = 'FactorizedLinear.fromObject';
    checkObject(obj, `${fn}: obj`);
    let header: LayerHeader;
    try {
      header = checkHeader(obj.header);
    } catch (e) {
      throw new RangeError((e as Error).message.replace('FactorizedLinear.deserialize', fn));
    }
    if (!Array.isArray(obj.factors) || obj.factors.length !== header.factors.length)
      throw new RangeError(`${fn}: factors must hold ${header.factors.length} Float32Arrays, one per header entry`);
    obj.factors.forEach((f, i) => {
      if (!(f instanceof Float32Array)) throw new TypeError(`${fn}: factors[${i}] must be a Float32Array, got ${describe(f)}`);
      const want = header.factors[i].shape.reduce((p, d) => p * d, 1);
      if (f.length !== want) throw new RangeError(`${fn}: factors[${i}] (${header.factors[i].name}) has ${f.length} values, its shape needs ${want}`);
    });
    const bias = obj.bias ?? null;
    if ((bias === null) !== (header.bias === null)) throw new RangeError(`${fn}: the header and the bias argument disagree on whether there is a bias`);
    if (bias && (!(bias instanceof Float32Array) || bias.length !== header.outFeatures))
      throw new RangeError(`${fn}: bias must be a Float32Array of ${header.outFeatures} values`);
    return FactorizedLinear.build({ header, factors: obj.factors, bias }, fn);
  }

  private static build(d: LayerData, fn: string): FactorizedLinear {
    d.factors.forEach((f, i) => {
      for (let j = 0; j < f.length; j++)
        if (!Number.isFinite(f[j])) throw new RangeError(`${fn}: factor ${d.header.factors[i].name} holds a non-finite value at ${j}`);
    });
    try {
      return new FactorizedLinear(d);
    } catch (e) {
      if (e instanceof RangeError) throw new RangeError(`${fn}: ${e.message}`);
      throw e;
    }
  }
}
