// Forward plans: the contraction order for a batch (from contractPath on the
// layer's einsum), lowered to a native chain, with the token block that keeps
// one block's intermediates within a core's L2.
import { contractPath, PathInfo, type OptimizeOption } from '../einsum';
import { native } from '../native';
import { lowerChain, LoweredChain, LoweredStep } from './chain';
import { Network } from './network';

/** Scratch budget of one token block: half of a 2 MiB L2, in floats. */
export const BLOCK_BUDGET_FLOATS = (1 << 20) / 4;

export interface ForwardPlan {
  /** The batch the path was planned for (a power of two at or above the tokens of the call). */
  readonly batch: number;
  /** The layer's einsum, e.g. 'abc,dbe,efc->adf', with the token index first. */
  readonly subscripts: string;
  readonly path: PathInfo;
  readonly steps: readonly LoweredStep[];
  /** FLOPs per token of what runs per call. */
  readonly flopsPerToken: number;
  /** Weight-only contractions the path makes, done once when the plan is made. */
  readonly cachedElements: number;
  /** Scratch floats per token; a fused block of `block` tokens keeps them in L2. */
  readonly scratchPerToken: number;
  readonly block: number;
}

export interface PlanEntry {
  readonly plan: ForwardPlan;
  /** Native chain handle. */
  readonly chain: unknown;
}

export interface PlanSource {
  readonly network: Network;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly factors: readonly { readonly shape: readonly number[]; readonly data: Float32Array }[];
  readonly bias: Float32Array | null;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

/** Power-of-two bucket of a token count: plans are shared within a factor of two. */
export function batchBucket(tokens: number): number {
  let b = 1;
  while (b < tokens) b *= 2;
  return b;
}

export function subscriptsOf(net: Network): string {
  return `${net.token}${net.inIds},${net.factorIds.join(',')}->${net.token}${net.outIds}`;
}

/** Plans and lowers; `chains` shares native chains between batches whose paths agree. */
export function makePlan(src: PlanSource, batch: number, optimize: OptimizeOption, chains: Map<string, { lowered: LoweredChain; chain: unknown }>): PlanEntry {
  const net = src.network;
  const subscripts = subscriptsOf(net);
  const path = contractPath(subscripts, [batch, ...src.inShape], ...src.factors.map((f) => f.shape), { optimize });
  const key = JSON.stringify(path.path);
  let hit = chains.get(key);
  if (!hit) {
    const lowered = lowerChain(
      {
        token: net.token,
        inIds: net.inIds,
        outIds: net.outIds,
        weights: src.factors.map((f, i) => ({ ids: net.factorIds[i], data: f.data })),
        sizes: net.sizes,
        bias: src.bias ?? undefined,
        inFeatures: src.inFeatures,
        outFeatures: src.outFeatures,
      },
      path,
    );
    hit = { lowered, chain: native().chainCreate(lowered.args) };
    chains.set(key, hit);
  }
  const lw = hit.lowered;
  const perToken = lw.scratchPerToken + src.inFeatures + src.outFeatures;
  const block = Math.max(1, Math.min(1024, Math.floor(BLOCK_BUDGET_FLOATS / perToken)));
  return {
    plan: {
      batch,
      subscripts,
      path,
      steps: lw.steps,
      flopsPerToken: lw.flopsPerToken,
      cachedElements: lw.cachedElements,
      scratchPerToken: lw.scratchPerToken,
      block,
    },
    chain: hit.chain,
  };
}
