// What every format's decomposition takes and gives back.
import type { Format } from './network';
import type { SvdMethod } from './svd';

export interface FormatOptions {
  /** Tensorization: N_in = prod(inShape), N_out = prod(outShape) (lowrank: one factor each). */
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  /** Rank caps, as the format reads them (validated as positive integers). */
  readonly ranks?: readonly number[];
  /** Relative Frobenius error target in (0, 1). */
  readonly maxError?: number;
  readonly method: SvdMethod;
  readonly seed: number;
  /** Iteration limit of HOOI or CP-ALS. */
  readonly iterations?: number;
  /** Stop when the relative error improves by less than this. */
  readonly tolerance?: number;
  /** Tucker: refine the HOSVD by HOOI. */
  readonly refine: boolean;
  /** Reports a rank clipped to what the unfoldings allow. */
  readonly warn: (message: string) => void;
  /** Names the calling function in messages. */
  readonly fn: string;
}

export interface FactorData {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export interface FormatResult {
  readonly format: Format;
  readonly factors: readonly FactorData[];
  /** The ranks chosen (lowrank [r]; tt [r_1..r_{d-1}]; tucker [t_1..t_d, s_1..s_d]; cp [R]). */
  readonly ranks: readonly number[];
  /** Method details: SVD kind and sweeps, iterations run, convergence. */
  readonly details: Record<string, unknown>;
}
