// Tensor-train, Tucker and CP candidates for one layer. The error is the
// real relative output error of the decomposed synthetic weight on the
// calibration activations (cached in wisdom like the other candidates');
// FLOPs come from the forward plan at the tuning batch. CP is decomposed only
// where the rank bound (cp-bound.ts) is within the error ceiling; the others
// are reported as pruned, with their bound.
import { decompose } from '../factorize/decompose';
import type { Tensor } from '../tensor';
import type { Candidate, CandidateContext } from './candidates';
import { rankErrorBound, rankErrorBounds } from './cp-bound';
import { decomposeOptions, factorizedFormats, factorizedLabel, factorizedParams, skeletonLayer } from './factorized';
import type { LinearLayerSpec } from './models';
import type { SyntheticLayer } from './synthetic';

/** A candidate left out without decomposing, because no decomposition of its rank could meet the error ceiling. */
export interface PrunedCandidate {
  layer: string;
  label: string;
  /** A proven lower bound on its relative output error. */
  errorBound: number;
}

export interface FactorizedContext extends CandidateContext {
  signal?: AbortSignal;
  /** The largest error any budget of this plan accepts: CP whose bound exceeds it is pruned (default: none is). */
  errorCeiling?: number;
  /** Receives the pruned candidates. */
  pruned?: PrunedCandidate[];
}

export async function factorizedCandidates(spec: LinearLayerSpec, layer: SyntheticLayer, x: Tensor, ctx: FactorizedContext): Promise<Candidate[]> {
  const { batch, threads } = ctx;
  const out: Candidate[] = [];
  let bounds: Float64Array | undefined;
  for (const format of factorizedFormats(spec.in, spec.out)) {
    // A stop leaves the rest out: they would not be measured either.
    if (ctx.signal?.aborted) break;
    const label = factorizedLabel(format);
    const refinement = format.kind === 'tucker' ? `:hooi=${format.iterations}` : format.kind === 'cp' ? `:als=${format.iterations}` : '';
    const key = `${ctx.cacheKey ?? ''}:${spec.name}:${label}${refinement}`;
    if (format.kind === 'cp') {
      const boundKey = `${ctx.cacheKey ?? ''}:${spec.name}:rank-bound(${format.ranks[0]})`;
      let bound = ctx.errorCache?.get(boundKey);
      if (bound === undefined) {
        bound = rankErrorBound((bounds ??= rankErrorBounds(layer.weight, x)), format.ranks[0]);
        ctx.errorCache?.set(boundKey, bound);
      }
      if (bound > (ctx.errorCeiling ?? Infinity)) {
        ctx.pruned?.push({ layer: spec.name, label, errorBound: bound });
        continue;
      }
    }
    let error = ctx.errorCache?.get(key);
    if (error === undefined) {
      const fl = await decompose(layer.weight, decomposeOptions(format));
      error = fl.error(x);
      ctx.errorCache?.set(key, error);
    }
    const params = factorizedParams(format);
    const flopsPerToken = skeletonLayer(format).plan(batch).flopsPerToken;
    out.push({
      layer: spec.name,
      format,
      label,
      params,
      flopsPerToken,
      weightBytes: 4 * params,
      error,
      specs: [{ kernel: 'factorized', format: format.kind, in: format.in, out: format.out, ranks: format.ranks, batch, threads }],
    });
  }
  return out;
}
