// Weights packed once into the layout the GEMM microkernel reads, so each
// product skips repacking them: the usual case in inference, where a layer's
// weight meets a new activation every call.
import { checkBool, checkInt, checkOptions } from './check';
import { native } from './native';
import { asTensor } from './tensor';

export interface PackWeightOptions {
  /** The weight is stored [N, K] (torch Linear, ONNX Gemm transB) rather than [K, N]. */
  transpose?: boolean;
  threads?: number;
}

/** A [K, N] right-hand operand for `matmul(x, packed)`, packed for this CPU's kernels. */
export class PackedWeight {
  /** [K, N]: the product is x [.., K] · W [K, N]. */
  readonly shape: readonly [number, number];
  /** Kernel tier the layout was made for. */
  readonly tier: string;
  /** @internal Opaque native handle. */
  readonly handle: unknown;

  /** @internal Use packWeight(). */
  constructor(handle: unknown, k: number, n: number, tier: string) {
    this.handle = handle;
    this.shape = Object.freeze([k, n]) as readonly [number, number];
    this.tier = tier;
  }
}

export function packWeight(weight: unknown, options?: PackWeightOptions): PackedWeight {
  const w = asTensor(weight, 'packWeight: weight');
  const opts = checkOptions(options, 'packWeight', ['transpose', 'threads']) as PackWeightOptions;
  const transpose = opts.transpose === undefined ? false : checkBool(opts.transpose, 'packWeight: options.transpose');
  const threads = opts.threads === undefined ? 0 : checkInt(opts.threads, 'packWeight: options.threads', 1, 256);
  if (w.rank !== 2) throw new RangeError(`packWeight: weight must be 2-D, got shape [${w.shape.join(', ')}]`);
  const [k, n] = transpose ? [w.shape[1], w.shape[0]] : [w.shape[0], w.shape[1]];
  const nat = native();
  const handle = nat.packB({ b: w.data, k, n, transB: transpose, threads });
  return new PackedWeight(handle, k, n, nat.info().tier);
}
