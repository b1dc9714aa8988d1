// A plan layer ready to run: y = x·Wᵀ (+ bias) in the format the plan chose,
// with what the format costs (params) and loses (errors) beside it. Each
// format brings its own kernels: dense a packed GEMM, N:M the sparse kernel,
// low rank with N:M factors two sparse products, lowrank, tt and tucker the
// fused factor chain.
import { decompose } from '../factorize/decompose';
import { matmul, matmulSync } from '../matmul';
import { packWeight } from '../packed';
import { nmCompress } from '../sparse/compress';
import { nmMatmul, nmMatmulSync } from '../sparse/matmul';
import { nmPrune } from '../sparse/prune';
import { asTensor, Tensor, type TensorLike } from '../tensor';
import { decomposeOptions } from './factorized';
import { factorsToDense, lowrankNmParams, pruneLowrankFactors } from './lowrank-nm';
import { relativeErrors } from './layer-error';
import type { PlanFormat } from './plan';

export interface ReadyLayer {
  readonly name: string;
  /** The plan's label for the format, e.g. 'dense', 'lowrank(64)', '2:4', 'tt(16; 8x8x12->8x8x12)'. */
  readonly label: string;
  readonly format: PlanFormat;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Weights the format stores (bias excluded; N:M counts the kept values). */
  readonly params: number;
  /** ‖W - Ŵ‖ / ‖W‖ of the weight as this layer runs it. */
  readonly weightError: number;
  /** ‖X(W - Ŵ)ᵀ‖ / ‖XWᵀ‖ on the calibration activations, when given. */
  readonly outputError: number | null;
  /** Threads its kernels run on (the plan's per-layer choice, or applyPlan's override). */
  readonly threads: number;
  /** y [..., out] = x [..., in] · Ŵᵀ (+ bias), on the compute pool. */
  forward(x: TensorLike): Promise<Tensor>;
  /** The same on the calling thread. */
  forwardSync(x: TensorLike): Tensor;
  /** Ŵ [out, in]: the weight the format represents. */
  toDense(): Tensor;
}

export interface BuildInput {
  name: string;
  label: string;
  format: PlanFormat;
  /** [out, in] */
  weight: Tensor;
  bias: Tensor | null;
  /** [tokens, in], for the output error. */
  calibration?: Tensor;
  threads: number;
  /** Time the factor chain's paths on this batch (0: do not). */
  tuneBatch: number;
}

interface Runner {
  sync(x: Tensor): Tensor;
  run(x: Tensor): Promise<Tensor>;
}

class PlannedLayer implements ReadyLayer {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weightError: number;
  readonly outputError: number | null;

  constructor(
    readonly name: string,
    readonly label: string,
    readonly format: PlanFormat,
    readonly params: number,
    readonly threads: number,
    private readonly dense: Tensor,
    private readonly runner: Runner,
    errors: { weightError: number; outputError: number | null },
  ) {
    [this.outFeatures, this.inFeatures] = dense.shape;
    this.weightError = errors.weightError;
    this.outputError = errors.outputError;
  }

  private input(x: unknown, fn: string): Tensor {
    const t = asTensor(x, `${this.name}.${fn}: x`);
    if (t.rank === 0 || t.shape[t.rank - 1] !== this.inFeatures)
      throw new RangeError(`${this.name}.${fn}: x must end in the layer's ${this.inFeatures} input features, got shape [${t.shape.join(', ')}]`);
    return t;
  }

  forward(x: TensorLike): Promise<Tensor> {
    try {
      return this.runner.run(this.input(x, 'forward'));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  forwardSync(x: TensorLike): Tensor {
    return this.runner.sync(this.input(x, 'forwardSync'));
  }

  toDense(): Tensor {
    return new Tensor(Float32Array.from(this.dense.data), this.dense.shape);
  }
}

function addBias(y: Tensor, bias: Tensor | null): Tensor {
  if (!bias) return y;
  const n = bias.size;
  for (let i = 0; i < y.size; i++) y.data[i] += bias.data[i % n];
  return y;
}

export async function buildReadyLayer(b: BuildInput): Promise<ReadyLayer> {
  const f = b.format;
  const [out, inp] = b.weight.shape;
  const make = (params: number, dense: Tensor, runner: Runner) =>
    new PlannedLayer(b.name, b.label, f, params, b.threads, dense, runner, relativeErrors(b.weight, dense, b.calibration));
  const threads = b.threads;

  if (f.kind === 'dense') {
    const packed = packWeight(b.weight, { transpose: true, threads });
    return make(out * inp, b.weight, {
      sync: (x) => addBias(matmulSync(x, packed, { threads }), b.bias),
      run: async (x) => addBias(await matmul(x, packed, { threads }), b.bias),
    });
  }
  if (f.kind === 'nm') {
    // With activations, score by |w|·‖x_j‖ as the planner did; else by magnitude.
    const pruned = nmPrune(b.weight, { n: f.n, m: f.m, ...(b.calibration ? { activations: b.calibration } : {}) });
    const sparse = nmCompress(pruned, { n: f.n, m: f.m });
    const opts = { threads, ...(b.bias ? { bias: b.bias } : {}) };
    return make((out * inp * f.n) / f.m, pruned.pruned, {
      sync: (x) => nmMatmulSync(x, sparse, opts),
      run: (x) => nmMatmul(x, sparse, opts),
    });
  }
  if (f.kind === 'lowrank-nm') {
    const svd = await decompose(b.weight, { format: 'lowrank', transpose: true, ranks: f.rank });
    const [u, v] = svd.factors.map((t) => t.tensor);
    const pruned = pruneLowrankFactors(u, v, f.n, f.m, b.calibration);
    const su = nmCompress(pruned.u, { n: f.n, m: f.m }), sv = nmCompress(pruned.v, { n: f.n, m: f.m });
    const opts = { threads, ...(b.bias ? { bias: b.bias } : {}) };
    return make(lowrankNmParams(inp, out, f.rank, f.n, f.m), factorsToDense(pruned), {
      sync: (x) => nmMatmulSync(nmMatmulSync(x, sv, { threads }), su, opts),
      run: async (x) => nmMatmul(await nmMatmul(x, sv, { threads }), su, opts),
    });
  }
  const options = f.kind === 'lowrank' ? { format: 'lowrank' as const, transpose: true, ranks: f.rank } : decomposeOptions(f);
  const layer = await decompose(b.weight, { ...options, ...(b.bias ? { bias: b.bias } : {}) });
  if (b.tuneBatch > 0) layer.tune(b.tuneBatch, { threads });
  return make(layer.params, layer.toDense({ transpose: true }), {
    sync: (x) => layer.forwardSync(x, { threads }),
    run: (x) => layer.forward(x, { threads }),
  });
}
