// Tensor-train and Tucker candidates for one layer. The error is the real
// relative output error of the decomposed synthetic weight on the
// calibration activations (cached in wisdom like the other candidates');
// FLOPs come from the forward plan at the tuning batch.
import { decompose } from '../factorize/decompose';
import type { Tensor } from '../tensor';
import type { Candidate, CandidateContext } from './candidates';
import { decomposeOptions, factorizedFormats, factorizedLabel, factorizedParams, skeletonLayer } from './factorized';
import type { LinearLayerSpec } from './models';
import type { SyntheticLayer } from './synthetic';

export async function factorizedCandidates(
  spec: LinearLayerSpec,
  layer: SyntheticLayer,
  x: Tensor,
  ctx: CandidateContext & { signal?: AbortSignal },
): Promise<Candidate[]> {
  const { batch, threads } = ctx;
  const out: Candidate[] = [];
  for (const format of factorizedFormats(spec.in, spec.out)) {
    // A stop leaves the rest out: they would not be measured either.
    if (ctx.signal?.aborted) break;
    const label = factorizedLabel(format);
    const key = `${ctx.cacheKey ?? ''}:${spec.name}:${label}${format.kind === 'tucker' ? `:hooi=${format.iterations}` : ''}`;
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
